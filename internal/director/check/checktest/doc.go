// Package checktest holds fake real servers for the health checks' tests:
// loopback servers that answer right, refuse, hang, reset, answer wrongly
// or fail TLS, drip bytes or overflow a size limit, one small protocol
// server per service, and helpers that start throwaway instances of the
// real Debian servers (MariaDB, PostgreSQL, slapd, FreeRADIUS, vsftpd,
// Dovecot, Exim, dnsmasq: daemon.go, sql.go, real.go). Every server
// listens on loopback only and is stopped by t.Cleanup.
package checktest
