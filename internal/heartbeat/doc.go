// Package heartbeat is hbd's engine: the node loop (Node.Run) that sends
// and receives heartbeats over every configured link, feeds the membership
// layer (package member: link and node liveness, the replay guard) and the
// R1 ownership machine (package r1), and carries out their decisions:
// group starts and stops, R1 messages in their wire form (r1wire.go),
// retransmissions, status and control requests.
//
// The loop files (node.go, run.go, recv.go, requests.go, status.go) decide
// nothing themselves that member or r1 can decide, and take the time from
// the loop. The files that touch the kernel are named for what they touch:
// udp.go (the Transport over ucast, bcast and mcast sockets) and
// genfile.go (the generation and UUID state files).
//
// Size: the package is above style.md's ~1500 lines because its effect
// files (udp.go, genfile.go) live beside the loop, as style.md §2 lays it
// out; moving them out would make the engine import an effect package for
// its Packet type.
package heartbeat
