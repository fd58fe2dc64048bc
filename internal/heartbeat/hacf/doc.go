// Package hacf parses Heartbeat's ha.cf and authkeys into typed values. Every
// error names file:line and what was expected. It imports only the standard
// library and performs no I/O beyond what its callers hand it.
package hacf
