package r1

import (
	"fmt"
	"strings"
	"time"
)

// The two-node simulation behind the property test and the fuzz target.
// Each node runs a real Ownership machine; the harness plays the resource
// layer (starts and stops complete, or fail, when the chooser says), the
// network (per-direction FIFO queues that can be cut), liveness (each
// node's view of its peer follows reality when the chooser says) and the
// clock. A cut loses messages; when the cut heals before the receiver
// declared the sender dead, they are delivered (Heartbeat's retransmission
// recovers them); after that they are gone.

// chooser picks a number in [0, n).
type chooser interface{ pick(n int) int }

type simOp struct {
	group string
	start bool
}

type simNode struct {
	name     string
	o        *Ownership
	up       bool // the process runs
	exiting  bool // sent shutdone: stops once its queue is sent
	started  bool // EvStart delivered
	alive    bool // its view of the peer
	declared bool // declared the peer dead since the last cut of peer→me
	ops      []simOp
}

type sim struct {
	now      time.Time
	cfg      [2]Config
	n        [2]*simNode
	link     [2]bool      // link[i]: i's messages reach the other node
	q        [2][]Message // in flight from i
	lost     [2][]Message // sent from i while link[i] was cut
	seq      [2]uint64    // per-sender seq
	sq       [2][]uint64  // seqs of q
	lsq      [2][]uint64
	failures bool // starts may fail
	failed   bool // a start did fail
	steps    int
	stops    [2]map[string]int // ActStop count per group
	clockRun bool              // the clock advanced during settle
	trace    []string
	err      error
}

func newSim(af AutoFailback, failures bool) *sim {
	groups := []Group{{Key: "ip1", Preferred: "node1"}, {Key: "ip1b", Preferred: "node1"}, {Key: "ip2", Preferred: "node2"}}
	s := &sim{now: t0, link: [2]bool{true, true}, failures: failures}
	names := [2]string{"node1", "node2"}
	for i := range 2 {
		s.cfg[i] = Config{Local: names[i], Peer: names[1-i], Groups: groups, AutoFailback: af}
		s.n[i] = &simNode{name: names[i]}
		s.boot(i)
	}
	return s
}

func (s *sim) boot(i int) {
	o, err := NewOwnership(s.cfg[i])
	if err != nil {
		panic(err)
	}
	n := s.n[i]
	s.logf("%s boots", n.name)
	n.o, n.up, n.exiting, n.started, n.alive, n.ops = o, true, false, false, false, nil
}

func (s *sim) logf(format string, args ...any) {
	if len(s.trace) >= 4000 {
		s.trace = append(s.trace[:0], s.trace[2000:]...)
	}
	s.trace = append(s.trace, fmt.Sprintf("%6.1fs ", s.now.Sub(t0).Seconds())+fmt.Sprintf(format, args...))
}

// reachable reports whether node i's peer is up and heard by i.
func (s *sim) reachable(i int) bool { return s.n[1-i].up && s.link[1-i] }

func (s *sim) step(i int, ev Event) {
	n := s.n[i]
	if s.steps++; s.steps > 100000 && s.err == nil {
		s.err = fmt.Errorf("livelock: over 100000 steps")
	}
	res := n.o.Step(ev, s.now)
	s.logf("%s <- %s: %s", n.name, evString(ev), res.Reason)
	for _, a := range res.Actions {
		s.logf("   %s -> %v %s %+v", n.name, a.Kind, a.Group, a.Msg)
		switch a.Kind {
		case ActStart, ActStop:
			if a.Kind == ActStop {
				if s.stops[i] == nil {
					s.stops[i] = map[string]int{}
				}
				s.stops[i][a.Group]++
			}
			for _, p := range n.ops {
				if p.group == a.Group && s.err == nil {
					s.err = fmt.Errorf("%s: %v of %s while an operation on it runs", n.name, a.Kind, a.Group)
				}
			}
			n.ops = append(n.ops, simOp{group: a.Group, start: a.Kind == ActStart})
		case ActSend:
			s.seq[i]++
			if s.link[i] {
				s.q[i], s.sq[i] = append(s.q[i], a.Msg), append(s.sq[i], s.seq[i])
			} else {
				s.lost[i], s.lsq[i] = append(s.lost[i], a.Msg), append(s.lsq[i], s.seq[i])
			}
			if a.Msg.Type == TypeShutdone {
				n.exiting = true
			}
		}
	}
}

func evString(ev Event) string {
	switch ev.Kind {
	case EvPeerMsg:
		return fmt.Sprintf("%s %s %s %s", ev.Msg.Type, ev.Msg.Hold, ev.Msg.Info, ev.Msg.Group)
	case EvStart:
		return fmt.Sprintf("start(peerAlive=%t)", ev.PeerAlive)
	}
	names := map[EventKind]string{EvPeerAlive: "peer-alive", EvPeerDead: "peer-dead", EvStandby: "standby",
		EvTakeover: "takeover", EvStartDone: "start-done", EvStartFailed: "start-failed", EvStopDone: "stop-done",
		EvShutdown: "shutdown", EvTick: "tick", EvResourceFailed: "resource-failed"}
	return fmt.Sprintf("%s %s %s", names[ev.Kind], ev.Hold, ev.Group)
}

// syncView delivers one liveness change to node i if its view is wrong.
func (s *sim) syncView(i int) bool {
	n := s.n[i]
	if !n.up {
		return false
	}
	r := s.reachable(i)
	switch {
	case !n.started && r:
		n.started, n.alive = true, true
		s.step(i, Event{Kind: EvStart, PeerAlive: true})
	case !n.started:
		n.started = true
		s.step(i, Event{Kind: EvStart, PeerAlive: false})
	case n.alive && !r:
		n.alive, n.declared = false, true
		s.step(i, Event{Kind: EvPeerDead})
	case !n.alive && r:
		n.alive = true
		s.step(i, Event{Kind: EvPeerAlive})
	default:
		return false
	}
	return true
}

// deliver hands the next message from i to the other node.
func (s *sim) deliver(i int) bool {
	if len(s.q[i]) == 0 {
		return false
	}
	m, seq := s.q[i][0], s.sq[i][0]
	s.q[i], s.sq[i] = s.q[i][1:], s.sq[i][1:]
	r := s.n[1-i]
	if !r.up {
		return true
	}
	if !r.started {
		// The first packet from the peer brings comm up.
		r.started, r.alive = true, true
		s.step(1-i, Event{Kind: EvStart, PeerAlive: true})
	}
	s.step(1-i, Event{Kind: EvPeerMsg, Msg: m, Seq: seq})
	return true
}

// complete finishes node i's oldest resource operation.
func (s *sim) complete(i int, fail bool) bool {
	n := s.n[i]
	if len(n.ops) == 0 {
		return false
	}
	p := n.ops[0]
	n.ops = n.ops[1:]
	kind := EvStopDone
	if p.start {
		kind = EvStartDone
		if fail {
			kind = EvStartFailed
			s.failed = true
		}
	}
	s.step(i, Event{Kind: kind, Group: p.group})
	return true
}

func (s *sim) tick(d time.Duration) {
	s.now = s.now.Add(d)
	for i := range 2 {
		if s.n[i].up && s.n[i].started {
			s.step(i, Event{Kind: EvTick})
		}
	}
}

func (s *sim) setLink(i int, up bool) {
	if s.link[i] == up {
		return
	}
	s.link[i] = up
	s.logf("link from %s up=%t", s.n[i].name, up)
	if !up {
		s.lost[i], s.lsq[i] = append(s.lost[i], s.q[i]...), append(s.lsq[i], s.sq[i]...)
		s.q[i], s.sq[i] = nil, nil
		s.n[1-i].declared = false
		return
	}
	if !s.n[1-i].declared {
		s.q[i], s.sq[i] = append(s.lost[i], s.q[i]...), append(s.lsq[i], s.sq[i]...)
	}
	s.lost[i], s.lsq[i] = nil, nil
}

func (s *sim) crash(i int) {
	s.logf("%s crashes", s.n[i].name)
	s.n[i].up = false
	s.q[1-i], s.sq[1-i] = nil, nil
	s.lost[1-i], s.lsq[1-i] = nil, nil
}

// randomStep performs one random operation.
func (s *sim) randomStep(c chooser) {
	i := c.pick(2)
	n := s.n[i]
	switch c.pick(16) {
	case 0, 1, 2, 3:
		s.deliver(i)
	case 4, 5, 6:
		if n.up {
			s.complete(i, s.failures && c.pick(8) == 0)
		}
	case 7:
		s.tick(time.Duration(c.pick(13)) * time.Second)
	case 8, 9:
		s.syncView(i)
	case 10:
		if n.up && n.started {
			kinds := []EventKind{EvStandby, EvTakeover}
			s.step(i, Event{Kind: kinds[c.pick(2)], Hold: Hold(1 + c.pick(3))})
		}
		if s.failures && n.up && n.started && c.pick(4) == 0 {
			// The engine's monitor gives a running group up.
			g := s.cfg[i].Groups[c.pick(len(s.cfg[i].Groups))].Key
			if n.o.Holds(g) {
				s.failed = true
			}
			s.step(i, Event{Kind: EvResourceFailed, Group: g})
		}
	case 11:
		s.setLink(i, !s.link[i])
	case 12:
		up := c.pick(2) == 0
		s.setLink(0, up)
		s.setLink(1, up)
	case 13:
		if n.up && c.pick(3) == 0 {
			s.crash(i)
		} else if !n.up {
			s.boot(i)
		}
	case 14:
		if n.up && n.started && c.pick(4) == 0 {
			s.step(i, Event{Kind: EvShutdown})
		}
	case 15:
		if n.exiting && len(s.q[i]) == 0 {
			s.crash(i)
		}
	}
}

// settle heals everything and runs until nothing moves. It reports false
// when the system does not settle within the bound.
func (s *sim) settle() bool {
	s.failures = false
	// Rounds without progress jump to the next deadline; 5000 covers an
	// hour-long standby timeout with one-second retries beside it.
	for range 5000 {
		if s.err != nil {
			return false
		}
		moved := false
		for i := range 2 {
			if !s.n[i].up {
				s.boot(i)
				moved = true
			}
			s.setLink(i, true)
		}
		for i := range 2 {
			for s.syncView(i) {
				moved = true
			}
		}
		for i := range 2 {
			for s.err == nil && (s.deliver(i) || s.complete(i, false)) {
				moved = true
			}
			if s.n[i].exiting {
				s.crash(i)
				moved = true
			}
		}
		if moved {
			continue
		}
		// Jump to the next deadline, as the loop's timer would.
		next := s.n[0].o.NextDeadline()
		if d := s.n[1].o.NextDeadline(); next.IsZero() || (!d.IsZero() && d.Before(next)) {
			next = d
		}
		if next.IsZero() {
			return true
		}
		s.clockRun = true
		s.tick(max(next.Sub(s.now), 0))
	}
	return false
}

// check returns the invariant violations after settle.
func (s *sim) check() []string {
	var bad []string
	for _, g := range s.cfg[0].Groups {
		h0, h1 := s.n[0].o.Holds(g.Key), s.n[1].o.Holds(g.Key)
		if h0 && h1 {
			bad = append(bad, "both nodes hold "+g.Key)
		}
		if !h0 && !h1 && !s.failed {
			bad = append(bad, "nobody holds "+g.Key)
		}
	}
	return bad
}

func (s *sim) dump() string {
	tr := s.trace
	if len(tr) > 2000 {
		tr = tr[len(tr)-2000:]
	}
	return strings.Join(tr, "\n")
}
