// Package bgp is ldirectord's route health injection (issue 15): it
// announces the director's VIP routes to its upstream routers over BGP, so
// that several active directors share the traffic through the routers'
// ECMP (docs/scale-out.md).
//
// The director decides which routes to announce (director.Routes, a pure
// function of the reals' health) and hands the complete set to an
// Announcer (announcer.go), which implements director.RouteAnnouncer. The
// Announcer applies the latest set on its own goroutine through a Speaker,
// retries what failed, withdraws everything on stop and then closes the
// sessions. The one Speaker that ships is GoBGP, in process (gobgp.go,
// github.com/osrg/gobgp/v3 as a library: no gRPC listener, no BGP
// listener, sessions dialled out to the configured peers); bgptest has a
// recording fake for unit tests, and gobgp_test.go runs the real one
// against BIRD 2 (main_test.go: the one child process that test kills).
// Announcer.Status and Speaker.Sessions (status.go's types) give the
// routes announced and the sessions' states to ldirectord's status and
// metrics.
//
// A dead director's routes go with it: its TCP sessions close (or, when
// the machine vanishes, the peer's hold timer expires) and the router
// withdraws what the session announced. Nothing is written to the kernel's
// routing table and nothing here touches IPVS.
package bgp
