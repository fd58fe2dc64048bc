// Package checktest holds fake real servers for the health checks' tests:
// loopback servers that answer right, refuse, hang, reset, answer wrongly
// or fail TLS, one small protocol server per service, and helpers that
// start throwaway MariaDB and PostgreSQL instances. Every server listens
// on loopback only and is stopped by t.Cleanup.
package checktest
