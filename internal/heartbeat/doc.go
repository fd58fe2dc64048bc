// Package heartbeat is hbd's engine: the node loop (Node.Run) that sends
// and receives heartbeats over every configured link, feeds the membership
// layer (package member: link and node liveness, the replay guard) and the
// R1 ownership machine (package r1), and carries out their decisions:
// group starts and stops, R1 messages in their wire form (r1wire.go),
// retransmissions, status and control requests.
//
// The loop files (node.go, run.go, recv.go, requests.go, status.go) decide
// nothing themselves that member or r1 can decide, and take the time from
// the loop. Ping nodes (ha.cf ping, ping_group) are in ping.go; the
// built-in ipfail that compares their count with the peer's and gives
// resources away is in ipfailrun.go (its decisions in package ipfail);
// peerconfig.go compares haresources with an hbd peer (a Heartbeat peer
// is only asked, with its own client status query, and sent nothing). The
// resource monitor (hbd's own: restart a dead ldirectord or a removed VIP
// in place, give the group to the peer after too many restarts) is in
// monitor.go; it runs its checks on goroutines like group operations.
// handover.go puts the groups' standby roles in place at start, removes
// them after a clean shutdown, and delays a planned move to a peer that
// came up too recently for its connection sync (GroupPreparer).
// observer.go is the Observer the loop tells of liveness events and
// finished group starts and stops (cmd/hbd makes metrics of them; the
// engine imports no metrics library). The files
// that touch the kernel are named for what they touch: udp.go (the
// Transport over ucast, bcast and mcast sockets), icmp.go (the Pinger over
// a raw ICMP socket) and genfile.go (the generation and UUID state files).
//
// The groups' VIP effects are package resources' (GroupVIPs): the engine
// asks it to sweep a killed predecessor's VIPs at start and to re-announce
// a group kept after a split brain, and never touches an address or sends
// ARP itself. member and r1 give every log line its level (typed Lines);
// the engine logs them as given.
//
// Size: the package is above style.md's ~1500 lines (about 3,350): its
// effect files (udp.go, icmp.go, genfile.go, watchdog.go, ~700 lines) live
// beside the loop as style.md §2 lays it out, since moving them out would
// make the engine import an effect package for its Packet and Echo types;
// the loop itself is about 2,650 lines (the ping nodes, the built-in
// ipfail, the resource monitor, reload and the hand-over delays came on
// top of the first ~1,700), everything it could hand to a pure package
// having gone to member, r1 and ipfail.
package heartbeat
