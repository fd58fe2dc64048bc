package check

import (
	"context"
	"sync"
)

// Combined is checktype=N: N connect checks for each negotiate check
// (ldirectord _check_real, num_connects). The first check is a negotiate
// check; after a successful one come N connect checks; a failed connect
// check makes the next one a negotiate check again, and so does a failed
// negotiate check. The connect checks are bounded by checktimeout, the
// negotiate checks by negotiatetimeout. Like ldirectord's, the connect half
// of a UDP virtual only connects a UDP socket, which proves a route.
//
// A Combined keeps a counter per target, so Registry.Lookup returns a new
// one for each check loop; a reload starts counting afresh, as ldirectord
// does.
type Combined struct {
	Negotiate Checker

	mu       sync.Mutex
	connects map[Target]int
}

// never is ldirectord's 999999: "do a negotiate check next".
const never = 1 << 30

// Check runs the connect or the negotiate check of t, whichever is due.
func (c *Combined) Check(ctx context.Context, t Target) Result {
	c.mu.Lock()
	if c.connects == nil {
		c.connects = map[Target]int{}
	}
	n, seen := c.connects[t]
	if !seen {
		n = never
	}
	c.mu.Unlock()

	var r Result
	switch {
	case n >= max(t.Combined, 0):
		r = c.Negotiate.Check(ctx, t)
		if r.Up {
			n = 0
		}
	default:
		network := "tcp"
		if t.Protocol == "udp" {
			network = "udp"
		}
		r = run(ctx, t.checkTimeout(), func(ctx context.Context) error { return connectOnce(ctx, network, t) })
		if r.Up {
			n++
		} else {
			n = never
		}
	}
	c.mu.Lock()
	c.connects[t] = n
	c.mu.Unlock()
	return r
}
