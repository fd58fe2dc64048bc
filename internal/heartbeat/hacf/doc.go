// Package hacf parses Heartbeat 3.0.6's ha.cf and authkeys into typed values.
//
// It accepts what Heartbeat 3.0.6 (heartbeat/config.c parse_config,
// add_option, init_config; heartbeat/auth.c parse_authfile) accepts, applies
// the same defaults and consistency rules, and rejects with a clear error
// what Heartbeat rejects or what hbd cannot honour (Pacemaker mode, serial
// media, STONITH, IPv6 media, failfast). Every error is an *Error naming
// file:line; several errors come back together as an ErrorList, as
// Heartbeat reports all of them before it exits. Heartbeat exits 6
// (LSB_EXIT_NOTCONFIGED) on any ha.cf or authkeys error, including bad
// authkeys permissions; choosing the exit code is cmd/hbd's business.
//
// Warnings (what Heartbeat logs but accepts) are returned as []Warning with
// file:line, never logged here.
//
// ParseHaCf and ParseAuthKeys are pure: they take the file's bytes and
// perform no I/O, name lookups or interface checks. load.go holds the only
// file-system access (LoadHaCf, LoadAuthKeys, CheckAuthKeysMode). The package
// imports only the standard library.
package hacf
