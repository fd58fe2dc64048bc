// Package heartbeat is hbd's engine: the node loop that sends and receives
// heartbeats over every configured link, tracks link and node liveness, and
// runs the R1 resource-ownership protocol with the peer. Liveness and
// ownership decisions live in pure files that take the time as an argument;
// sockets live in udp.go.
package heartbeat
