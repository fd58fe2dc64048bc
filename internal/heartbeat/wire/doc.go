// Package wire is Heartbeat 3.0.6's message codec: the netstring and the
// older ">>>" framing, and the crc, md5 and sha1 authentication. It performs
// no I/O.
package wire
