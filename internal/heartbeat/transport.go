package heartbeat

import (
	"context"
	"net/netip"
	"time"
)

// Packet is one datagram received on a link.
type Packet struct {
	Link string         // the medium's link name (its interface, as Heartbeat names links)
	From netip.AddrPort // the sender's address
	Buf  []byte         // the datagram; the receiver owns it
	At   time.Time      // when it arrived
}

// Transport carries heartbeat datagrams over the configured media. udp.go
// is the real one (one socket per medium); hbtest.Net is the in-memory one.
//
// Concurrency: Links and Send are called from the engine's loop goroutine
// only; Send must not block for long (a datagram that cannot be sent at
// once is dropped, as UDP would). Receive runs on its own goroutine: it
// pushes every datagram into out until ctx ends, then returns nil (or the
// error that stopped it).
type Transport interface {
	// Links returns the link names, one per interface, in ha.cf order.
	// Several media on one interface (ucast and bcast on eth0) share a
	// name, as they share Heartbeat's "Link node2:eth0" line.
	Links() []string
	// Send sends buf on every medium of link.
	Send(link string, buf []byte) error
	// Receive delivers received datagrams to out until ctx ends.
	Receive(ctx context.Context, out chan<- Packet) error
}

// Echo is one ICMP echo reply whose icmp_id is ours.
type Echo struct {
	From    netip.Addr // the replying address
	Payload []byte     // the echoed data; the receiver owns it
	At      time.Time
}

// Pinger is the ping medium: ICMP echo requests to the ping nodes of ha.cf
// (ping, ping_group). icmp.go is the real one.
//
// Concurrency: Ping is called from the engine's loop goroutine only and
// must not block for long. Receive runs on its own goroutine: it pushes
// every echo reply carrying our icmp_id into out until ctx ends, then
// returns nil (or the error that stopped it).
type Pinger interface {
	// Ping sends one echo request to dst with payload as its data.
	Ping(dst netip.Addr, payload []byte) error
	// Receive delivers echo replies to out until ctx ends.
	Receive(ctx context.Context, out chan<- Echo) error
}
