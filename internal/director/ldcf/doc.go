// Package ldcf parses ldirectord.cf, the configuration file of ldirectord
// 4.x, into typed values that keep the file:line of every directive.
//
// It accepts what ldirectord 4.12 accepts and rejects what it rejects for a
// real error, with an error that names file, line and what was expected.
// It imports only the standard library and performs no I/O of its own: host
// and service-name lookups are passed in through Options.
package ldcf
