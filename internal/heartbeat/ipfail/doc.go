// Package ipfail is Heartbeat's ipfail (contrib/ipfail/ipfail.c of
// Heartbeat 3.0.x) as a pure state machine that hbd runs inside its engine
// instead of as an API client: the node that reaches fewer ping nodes
// than its peer gives its resources to the peer; equal counts stay put,
// and with auto_failback on each side gives back the foreign resources it
// holds once the counts are equal again.
//
// The engine feeds it events (a node's status changed, a link died, the
// peer's ipfail joined, an ipfail message arrived, the peer reported its
// resources, time passed) with this node's live ping node count and
// resource stability at that moment, and carries out the actions it
// returns: send num_ping_nodes / you_are_dead / abort_giveup /
// hbapi-clstat to the peer, or give resources up (hb_standby's handshake).
// Log lines are ipfail's own words (messages.go).
//
// Timing, as ipfail.c: a give-up waits 2 x keepalive (delay_giveup), and a
// newer one replaces it; abort_giveup cancels it; a give-up due while this
// node's resources are in transition is kept (need_standby) until the peer
// reports itself stable, then the counts are compared again after a fixed
// 10 s (ipfail sleeps 10 s there, for the gratuitous ARPs).
//
// The machine takes the time as an argument and performs no I/O.
package ipfail
