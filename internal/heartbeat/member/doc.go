// Package member is hbd's membership layer: link and node liveness
// (Liveness: deadtime, warntime, initdead, deadping, the peer's dt, ping
// nodes) and the per-source replay guard and retransmit-request schedule
// (Replay: generations, sequence numbers, gaps, ACKs), after heartbeat.c's
// check_for_timeouts, HBDoMsg_T_STATUS, should_drop_message and
// hb_rexmit.c. It performs no I/O and reads no clock: every method takes
// the time, and decisions come back with their reason in Heartbeat's log
// words, each replay-guard line with the level it is logged at (Line;
// messages.go).
package member
