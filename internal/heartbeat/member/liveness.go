package member

import (
	"errors"
	"fmt"
	"time"
)

// Node status words, as Heartbeat uses them in st= and cl_status
// (anchors §1.10).
const (
	StatusInit   = "init"
	StatusUp     = "up"
	StatusActive = "active"
	StatusDead   = "dead"
	StatusPing   = "ping"
)

// Link status words (anchors §1.10).
const (
	LinkStatusUp   = "up"
	LinkStatusDead = "dead"
)

// WatchedNode is one node whose heartbeats the Liveness tracker watches.
type WatchedNode struct {
	Name  string
	Links []string // media the node is heard on, e.g. "eth0", "eth1"
	Ping  bool     // a ping node: dead after Deadping, never says dt
}

// LivenessConfig configures a Liveness tracker. Times are the ha.cf values
// (hacf applies the derived defaults); none may be zero.
type LivenessConfig struct {
	Nodes    []WatchedNode // the peers; not the local node
	Deadtime time.Duration
	Warntime time.Duration
	Initdead time.Duration
	Deadping time.Duration // for ping nodes; Deadtime when zero
}

// LiveKind says what a LiveEvent reports.
type LiveKind int

// LiveKind values.
const (
	LinkUp     LiveKind = iota + 1 // first packet on a link that was dead
	LinkDead                       // no packet on the link for the node's dead time
	NodeWarn                       // a status arrived later than warntime
	NodeDead                       // no status on any link for the node's dead time
	NodeUp                         // the node's status changed to something other than active
	NodeActive                     // the node's status changed to active (or ping)
)

var liveKindNames = map[LiveKind]string{
	LinkUp: "LinkUp", LinkDead: "LinkDead", NodeWarn: "NodeWarn",
	NodeDead: "NodeDead", NodeUp: "NodeUp", NodeActive: "NodeActive",
}

// String returns the kind's Go name.
func (k LiveKind) String() string {
	if s, ok := liveKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("LiveKind(%d)", int(k))
}

// LiveEvent is one liveness change. Reason is the log line, in Heartbeat's
// words (messages.go).
type LiveEvent struct {
	Kind     LiveKind
	Node     string
	Link     string        // LinkUp, LinkDead
	Status   string        // NodeUp, NodeActive: the new st= value
	Interval time.Duration // NodeWarn: time since the previous status
	Crit     bool          // NodeWarn: the interval exceeded deadtime (CRIT)
	Reason   string
}

// Heard is one accepted (or duplicate) packet from a node on a link.
type Heard struct {
	Node   string
	Link   string
	Status string        // st= when the packet is a t=status heartbeat, else ""
	DT     time.Duration // the sender's dt= field; 0 when absent
}

type linkState struct {
	name string
	up   bool
	last time.Time
}

type nodeState struct {
	cfg        WatchedNode
	status     string
	heard      bool          // a status arrived since start (initdead ends)
	lastStatus time.Time     // last status, or the start time
	dt         time.Duration // the peer's dt; 0 = use the configured time
	links      []linkState
}

// Liveness tracks per node and per link liveness, as check_for_timeouts
// and HBDoMsg_T_STATUS do in heartbeat.c. It performs no I/O and reads no
// clock: every method takes the time. Not safe for concurrent use.
type Liveness struct {
	cfg   LivenessConfig
	nodes []*nodeState
}

// NewLiveness returns a tracker started at now: every node is "init" and
// every link "dead" (Heartbeat's initial values, config.c).
func NewLiveness(cfg LivenessConfig, now time.Time) (*Liveness, error) {
	if cfg.Deadtime <= 0 || cfg.Warntime <= 0 || cfg.Initdead <= 0 {
		return nil, errors.New("new liveness: deadtime, warntime and initdead must be positive")
	}
	if cfg.Deadping <= 0 {
		cfg.Deadping = cfg.Deadtime
	}
	l := &Liveness{cfg: cfg}
	seen := map[string]bool{}
	for _, n := range cfg.Nodes {
		if n.Name == "" || seen[n.Name] {
			return nil, fmt.Errorf("new liveness: empty or duplicate node %q", n.Name)
		}
		seen[n.Name] = true
		ns := &nodeState{cfg: n, status: StatusInit, lastStatus: now}
		for _, ln := range n.Links {
			ns.links = append(ns.links, linkState{name: ln})
		}
		l.nodes = append(l.nodes, ns)
	}
	return l, nil
}

// SetTimes applies new dead, warn, init-dead and ping-dead times (an ha.cf
// reload). It is not retroactive: a node or link already declared dead
// stays dead, and no event is reported here; the next Tick applies the new
// windows to the time since each node's last status (a node still waiting
// for its first status gets the new initdead, counted from the start).
func (l *Liveness) SetTimes(deadtime, warntime, initdead, deadping time.Duration) error {
	if deadtime <= 0 || warntime <= 0 || initdead <= 0 {
		return errors.New("setting liveness times: deadtime, warntime and initdead must be positive")
	}
	if deadping <= 0 {
		deadping = deadtime
	}
	l.cfg.Deadtime, l.cfg.Warntime, l.cfg.Initdead, l.cfg.Deadping = deadtime, warntime, initdead, deadping
	return nil
}

func (l *Liveness) node(name string) *nodeState {
	for _, n := range l.nodes {
		if n.cfg.Name == name {
			return n
		}
	}
	return nil
}

// window is how long the node may stay silent: initdead until its first
// status (Heartbeat uses initdead until COMM_LINKSUP, which for two nodes is
// the same moment), then its own dt when it sends one, else
// deadtime/deadping.
func (l *Liveness) window(n *nodeState) time.Duration {
	switch {
	case !n.heard:
		return l.cfg.Initdead
	case n.cfg.Ping:
		return l.cfg.Deadping
	case n.dt > 0:
		return n.dt
	}
	return l.cfg.Deadtime
}

// Heard records a packet. Pending timeouts up to now are applied first, so a
// caller that missed a tick still sees NodeDead before the node's return.
// Packets from unknown nodes are ignored; an unknown link still counts for
// the node (Heartbeat's lookup_iface may fail the same way).
func (l *Liveness) Heard(h Heard, now time.Time) []LiveEvent {
	n := l.node(h.Node)
	if n == nil {
		return nil
	}
	evs := l.Tick(now)
	for i := range n.links {
		lk := &n.links[i]
		if lk.name != h.Link {
			continue
		}
		lk.last = now
		if !lk.up {
			lk.up = true
			evs = append(evs, LiveEvent{Kind: LinkUp, Node: n.cfg.Name, Link: lk.name,
				Reason: fmt.Sprintf(MsgLinkStatus, n.cfg.Name, lk.name, LinkStatusUp)})
		}
	}
	if h.Status == "" {
		return evs
	}
	return append(evs, l.status(n, h, now)...)
}

// status is HBDoMsg_T_STATUS: late-heartbeat check, status change, dt.
func (l *Liveness) status(n *nodeState, h Heard, now time.Time) []LiveEvent {
	var evs []LiveEvent
	if n.heard {
		iv := now.Sub(n.lastStatus)
		ms := iv.Milliseconds()
		switch {
		case iv > l.cfg.Deadtime:
			evs = append(evs, LiveEvent{Kind: NodeWarn, Node: n.cfg.Name, Interval: iv, Crit: true,
				Reason: fmt.Sprintf(MsgLateHeartbeatDead, n.cfg.Name, ms)})
		case iv > l.cfg.Warntime:
			evs = append(evs, LiveEvent{Kind: NodeWarn, Node: n.cfg.Name, Interval: iv,
				Reason: fmt.Sprintf(MsgLateHeartbeat, n.cfg.Name, ms)})
		}
	}
	if h.Status != n.status {
		kind := NodeUp
		if h.Status == StatusActive || h.Status == StatusPing {
			kind = NodeActive
		}
		n.status = h.Status
		evs = append(evs, LiveEvent{Kind: kind, Node: n.cfg.Name, Status: h.Status,
			Reason: fmt.Sprintf(MsgStatusUpdate, n.cfg.Name, h.Status)})
	}
	if h.DT > 0 && !n.cfg.Ping {
		n.dt = h.DT
	}
	n.heard = true
	n.lastStatus = now
	return evs
}

// Tick applies every timeout due at now: a node is dead once its window
// has fully elapsed since its last status (or since start), a link once the
// same window has elapsed since its last packet. Losing links never kills a
// node by itself; only the status silence does.
func (l *Liveness) Tick(now time.Time) []LiveEvent {
	var evs []LiveEvent
	for _, n := range l.nodes {
		w := l.window(n)
		if n.status != StatusDead && !now.Before(n.lastStatus.Add(w)) {
			n.status = StatusDead
			evs = append(evs, LiveEvent{Kind: NodeDead, Node: n.cfg.Name,
				Reason: fmt.Sprintf(MsgNodeDead, n.cfg.Name)})
		}
		for i := range n.links {
			lk := &n.links[i]
			if lk.up && !now.Before(lk.last.Add(w)) {
				lk.up = false
				evs = append(evs, LiveEvent{Kind: LinkDead, Node: n.cfg.Name, Link: lk.name,
					Reason: fmt.Sprintf(MsgLinkStatus, n.cfg.Name, lk.name, LinkStatusDead)})
			}
		}
	}
	return evs
}

// NextDeadline is the earliest time at which Tick will report something,
// or the zero time when nothing is pending (every node and link dead). A
// loop that sleeps until exactly this time declares a node dead at
// deadtime after its last heartbeat, not at the next poll.
func (l *Liveness) NextDeadline() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, n := range l.nodes {
		w := l.window(n)
		if n.status != StatusDead {
			consider(n.lastStatus.Add(w))
		}
		for _, lk := range n.links {
			if lk.up {
				consider(lk.last.Add(w))
			}
		}
	}
	return next
}

// NodeStatus returns the node's status word ("init", "up", "active",
// "dead", "ping") and whether the node is known.
func (l *Liveness) NodeStatus(node string) (string, bool) {
	n := l.node(node)
	if n == nil {
		return "", false
	}
	return n.status, true
}

// LinkStatus returns "up" or "dead" for a node's link, and whether both
// are known (cl_status hblinkstatus).
func (l *Liveness) LinkStatus(node, link string) (string, bool) {
	n := l.node(node)
	if n == nil {
		return "", false
	}
	for _, lk := range n.links {
		if lk.name == link {
			if lk.up {
				return LinkStatusUp, true
			}
			return LinkStatusDead, true
		}
	}
	return "", false
}

// Deadtime returns the dead time currently applied to the node: initdead
// before its first status, then its dt, deadtime or deadping.
func (l *Liveness) Deadtime(node string) time.Duration {
	n := l.node(node)
	if n == nil {
		return 0
	}
	return l.window(n)
}
