// Package ldcf parses ldirectord.cf, the configuration file of ldirectord
// 4.x, into typed values that keep the file:line of every directive.
//
// It accepts what ldirectord 4.12 accepts and rejects what it rejects for a
// real error, with an *Error that names file, line, the directive and what
// was expected. Per-virtual values are the effective ones, resolved after
// the whole file is read (ldirectord's ld_setup timeout chains and its
// run-time fallbacks to the globals). It imports only the standard library
// and performs no I/O of its own: host and service-name lookups are passed
// in through Options. lookup.go (Load, SystemOptions) is the one file that
// touches the system.
//
// Deliberate differences from ldirectord 4.12 (read_config), where its
// leniency is harmful or its strictness accidental:
//
//   - checktimeout, negotiatetimeout, checkinterval, checkcount and
//     failurecount are read as ldirectord reads them, the first run of
//     digits ("5s" and "-5" are 5), but with a warning; every other number
//     must be a whole decimal value.
//   - Values are checked that ldirectord leaves to ipvsadm or to run time:
//     the scheduler (the kernel's list), schedflags, netmask (contiguous),
//     persistent (1-2678400), weight (0-65535), l:/u: thresholds, a zero
//     virtual port without persistence, fwmark 0, a logfile that is neither
//     a path nor a syslog facility, ops=yes on a non-UDP service, and
//     trailing garbage after an address.
//   - A blank line does not end a virtual section, and '#' inside "quotes"
//     does not start a comment (ldirectord then fails on the lines or the
//     quotes it cut). A top-level "# comment" after a value is allowed.
//   - The words after a real's forwarding method may come in any order, each
//     once; ldirectord silently drops misordered ones.
//   - A check directive (request, receive, httpmethod, virtualhost, login,
//     passwd, database, secret, checkcommand) given to a check that does
//     not read it is a warning, and so is a mysql or pgsql check without
//     login= or a query, or a radius check without secret=, with which every
//     check fails (checkopts.go, CheckReads: the one table of which check
//     reads what). ldirectord 4.12 accepts all of these silently.
//   - A real listed twice in a virtual is a warning (ipvsadm refuses the
//     second add at run time).
//   - The global fallback also applies to fwmark virtuals (port 0), where
//     ldirectord dies at run time.
//   - logfile, monitorfile and maintenancedir are not opened or checked on
//     disk here; the caller does that I/O.
//   - Ranges a->b are limited to 4096 addresses and a file to 65536 reals.
//
// Additions that ldirectord 4.12 does not have (a 4.12 file has none of
// them and parses unchanged): the global bgp_asn, bgp_router_id and
// bgp_peer directives of route health injection (bgp.go, issue 15;
// docs/scale-out.md), checked together once the file is read, and the
// global ipvs_sync (sync.go): the all-to-all connection sync of the
// scale-out mode, which ldirectord then runs itself.
//
// Size: about 2,500 lines, over the ~2,000 guide: ldirectord.cf has some
// eighty directives, each with its value syntax, default and ldirectord
// 4.12 quirk, plus ranges, hostname and service-name resolution and
// /etc/services; they share the position-keeping line reader and the
// error type, so they stay one parser.
package ldcf
