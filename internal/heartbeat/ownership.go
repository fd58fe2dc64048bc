package heartbeat

// The R1 ownership machine: who runs each haresources group in a two-node
// cluster, decided by messages with the peer. It follows Heartbeat 3.0.6's
// hb_resource.c (anchors §1.6) message for message, so it interoperates with
// a real 3.0.6 peer, with three deliberate improvements marked "hbd:".
//
// Vocabulary. A group is "local" on the node named first on its haresources
// line (its preferred node) and "foreign" on the other. Messages speak of
// classes (Hold: none|local|foreign|all) in the sender's words; each group
// here has a wanted flag (what the protocol decided) and a phase (what the
// resource layer did: Stopped, Starting, Running, Stopping). Starts and stops
// are emitted only from a stable phase, so a decision that flips while an
// operation runs is applied when the operation completes.
//
// auto_failback on|off (Heartbeat's nice_failback), anchors §1.6:
//   - At comm up a node sends t=starting; the peer answers t=resource
//     rsc_hold=<what it holds> isstable=0|1. When the peer is stable the node
//     takes its local groups unless the peer holds them ("Local Resource
//     acquisition completed. (none)"); when nobody is stable it takes them
//     after RQSTDELAY (10 s) ("local resource transition completed.").
//   - Peer death or t=shutdone: take every group (mach_down).
//   - on: once the peer says isstable=1, a node holding foreign groups hands
//     them back with the standby handshake (PerformAutoFailback).
//   - off: groups stay where they are.
//   - Standby (hb_standby all|local|foreign): t=ask_resources info=me, the
//     peer replies info=other, the requester stops the set and sends
//     info=done, the peer starts it and sends info=done. The request is
//     ignored while either side is in flux; the first reply must come
//     within 10 s. hb_takeover X makes the peer run hb_standby Mirror(X).
// auto_failback legacy: no t=starting/t=resource negotiation and no
// standby ("Standby mode only implemented when nice_failback on"). At comm
// up each local group is asked for with t=ip-request; the holder stops it
// and answers t=ip-request-resp, and the asker starts it. So a returning
// preferred node always takes its groups back.
//
// hbd improvements:
//  1. Split brain (both nodes hold a group after a partition heals):
//     Heartbeat restarts both daemons, leaving the service down ~18 s
//     (heartbeat-wire.md §3). hbd instead announces its holdings with
//     t=resource as soon as the peer is heard again. A node that sees the
//     peer claim a class it also holds applies one deterministic rule, the
//     same on both sides because haresources is identical: the group's
//     preferred node keeps it (it never stops it, and re-sends gratuitous
//     ARP), the other node stops it quietly and re-announces what it holds.
//     Both hold the group, so keeping it on the preferred node is a
//     failback under no auto_failback setting; with "off" it is still
//     where a restart of both nodes would have put it. It settles within
//     one keepalive (the peer's first status) plus one message delay.
//  2. A node that is alone at start, or whose peer dies while it waits for
//     the negotiation, becomes stable at once instead of waiting forever
//     in "starting"; a node whose t=starting is never answered takes its
//     local groups after RQSTDELAY like the both-starting case.
//  3. Stale t=resource and t=ask_resources (a seq lower than one already
//     seen from the same incarnation of the peer) are ignored.
//  4. Orphans: when settled, a node takes its own local groups if neither
//     side holds them (after the peer (re)starts, on a t=resource with
//     isstable=1, or when a standby times out); Heartbeat only logs "No one
//     owns our local resources!" (AuditResources).
//  5. A node waiting in a standby handshake for the peer's next step
//     (states other and done) abandons it when the peer says isstable=1,
//     which a peer inside the handshake never does; Heartbeat waits an
//     hour. A node that becomes stable again (a cancelled standby) says
//     so with t=resource isstable=1, where Heartbeat stays silent. Legacy ip-requests are repeated every RequestDelay
//     until answered; Heartbeat asks once.
// A failed group start gives the group up and, like ResourceManager's
// "(sleep 30; hb_standby local|foreign) &", hands its class to the peer
// after FailedStartDelay; in legacy mode, which has no standby, it sends
// the peer t=ip-request-resp weown=yes ok=OK for the group, the message on
// which rc.d/ip-request-resp starts it.
//
// References: heartbeat/hb_resource.c (process_resources,
// ask_for_resources, go_standby, req_our_resources, takeover_from_node,
// hb_rsc_recover_dead_resources, PerformAutoFailback, hb_giveup_resources),
// heartbeat/lib/req_resource.in, mach_down.in, rc.d/ip-request*,
// rc.d/hb_takeover.in (balabit-deps/balabit-os-6-heartbeat, = 3.0.6);
// anchors.md §1.6, heartbeat-wire.md §1-3.

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// AutoFailback is ha.cf's auto_failback.
type AutoFailback int

// AutoFailback values. The zero value is legacy, Heartbeat's default.
const (
	FailbackLegacy AutoFailback = iota
	FailbackOn
	FailbackOff
)

// Group is one haresources line: its key (first resource) and preferred node.
type Group struct {
	Key       string
	Preferred string
}

// OwnershipConfig configures the ownership machine. Zero durations take
// Heartbeat's values.
type OwnershipConfig struct {
	Local, Peer       string
	Groups            []Group
	AutoFailback      AutoFailback
	RequestDelay      time.Duration // RQSTDELAY: 10 s
	StandbyTimeout    time.Duration // STANDBY_INIT_TO_MS: 10 s
	StandbyRscTimeout time.Duration // HB_STANDBY_RSC_TO_MS: 1 h
	FailbackRetry     time.Duration // AutoFailbackProc: 1 s
	FailedStartDelay  time.Duration // ResourceManager's sleep before hb_standby: 30 s
}

// Phase is what the resource layer is doing with a group here.
type Phase int

// Phase values.
const (
	Stopped Phase = iota
	Starting
	Running
	Stopping
)

// String returns the phase name.
func (p Phase) String() string {
	return [...]string{"stopped", "starting", "running", "stopping"}[p]
}

// RState is hb_resource.c's resourcestate.
type RState int

// RState values.
const (
	RInit         RState = iota // comm not up yet
	RStarting                   // t=starting sent
	RBothStarting               // t=starting sent and received
	RRscRcvd                    // the peer's t=resource received
	RStable                     // local resources settled
	RShutdown                   // giving everything up
)

// StandbyState is hb_resource.c's going_standby.
type StandbyState int

// StandbyState values.
const (
	StandbyNot StandbyState = iota
	StandbyMe
	StandbyOther
	StandbyDone
)

// GroupState is one group's state on this node.
type GroupState struct {
	Key          string
	Preferred    string
	Local        bool  // Preferred is this node
	Want         bool  // the protocol wants it here
	Phase        Phase // what the resource layer is doing
	Failed       bool  // its last start failed
	keepAnnounce bool  // split-brain keeper: announce again once the peer lets go
}

// OwnerState is the machine's whole state. It is a plain value so tests
// can build any state directly.
type OwnerState struct {
	R              RState
	Groups         []GroupState
	PeerAlive      bool
	PeerHold       Hold // what the peer says it holds, in its words
	PeerStable     bool
	Standby        StandbyState
	StandbySet     Hold // in the requester's words, as on the wire
	StandbyUntil   time.Time
	RequestAt      time.Time // RQSTDELAY deadline while negotiating
	NeedsFailback  bool
	FailbackAt     time.Time
	PendingGiveUp  Hold // classes to hand over after a failed start (my words)
	GiveUpAt       time.Time
	ShutdownWanted bool
	LastPeerSeq    uint64

	doneOnStop     bool // standby requester: send info=done once the set is stopped
	doneOnStart    bool // standby acquirer: send info=done once the set is started
	shutdoneOnStop bool
	ipResp         map[string]bool // ip-request answers owed once the group is stopped
	sentStable     bool            // the last t=resource sent said isstable=1
	asked          map[string]bool // legacy: ip-requests not answered yet
	askAt          time.Time       // legacy: when to ask again
}

// EventKind says what happened.
type EventKind int

// EventKind values.
const (
	EvStart       EventKind = iota + 1 // comm up: PeerAlive says whether the peer was heard within initdead
	EvPeerAlive                        // the peer is heard (again)
	EvPeerDead                         // the peer was declared dead
	EvPeerMsg                          // an R1 message from the peer: Msg, Seq
	EvStandby                          // local hb_standby: Hold in my words
	EvTakeover                         // local hb_takeover: Hold in my words
	EvStartDone                        // Group started
	EvStartFailed                      // Group failed to start (and was rolled back)
	EvStopDone                         // Group stopped
	EvShutdown                         // local orderly shutdown (SIGTERM)
	EvTick                             // time passed; see NextDeadline
)

// Event is one input to Step.
type Event struct {
	Kind      EventKind
	PeerAlive bool   // EvStart
	Msg       R1Msg  // EvPeerMsg
	Seq       uint64 // EvPeerMsg: the message's seq, 0 = unknown
	Hold      Hold   // EvStandby, EvTakeover
	Group     string // EvStartDone, EvStartFailed, EvStopDone
}

// ActionKind says what the caller must do.
type ActionKind int

// ActionKind values.
const (
	ActStart    ActionKind = iota + 1 // start Group; answer with EvStartDone or EvStartFailed
	ActStop                           // stop Group; answer with EvStopDone
	ActAnnounce                       // re-send gratuitous ARP for Group (held, kept after a split brain)
	ActSend                           // send Msg to the cluster
)

// Action is one thing the caller must do, in order.
type Action struct {
	Kind  ActionKind
	Group string
	Msg   R1Msg
}

// Result is Step's answer: the actions, and the reason in log words
// (several lines joined by "; ").
type Result struct {
	Actions []Action
	Reason  string
}

// Ownership is the R1 ownership machine. It performs no I/O and reads no
// clock. Not safe for concurrent use: one loop goroutine calls Step.
type Ownership struct {
	cfg OwnershipConfig
	st  OwnerState

	acts    []Action
	reasons []string
}

// NewOwnership validates the configuration and returns a machine in RInit
// holding nothing.
func NewOwnership(cfg OwnershipConfig) (*Ownership, error) {
	if cfg.Local == "" || cfg.Peer == "" || cfg.Local == cfg.Peer {
		return nil, errors.New("new ownership: need two distinct node names")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RequestDelay, 10*time.Second)
	def(&cfg.StandbyTimeout, 10*time.Second)
	def(&cfg.StandbyRscTimeout, time.Hour)
	def(&cfg.FailbackRetry, time.Second)
	def(&cfg.FailedStartDelay, 30*time.Second)
	o := &Ownership{cfg: cfg}
	seen := map[string]bool{}
	for _, g := range cfg.Groups {
		if g.Key == "" || seen[g.Key] {
			return nil, fmt.Errorf("new ownership: empty or duplicate group key %q", g.Key)
		}
		if g.Preferred != cfg.Local && g.Preferred != cfg.Peer {
			return nil, fmt.Errorf("new ownership: group %s: preferred node %q is neither %s nor %s",
				g.Key, g.Preferred, cfg.Local, cfg.Peer)
		}
		seen[g.Key] = true
		o.st.Groups = append(o.st.Groups, GroupState{Key: g.Key, Preferred: g.Preferred, Local: g.Preferred == cfg.Local})
	}
	return o, nil
}

// State returns a copy of the state.
func (o *Ownership) State() OwnerState {
	s := o.st
	s.Groups = append([]GroupState(nil), o.st.Groups...)
	s.ipResp, s.asked = nil, nil
	return s
}

// Holds reports whether the group is physically here (not Stopped).
func (o *Ownership) Holds(group string) bool {
	g := o.group(group)
	return g != nil && g.Phase != Stopped
}

// HoldClasses is what this node says it holds (cl_status rscstatus).
func (o *Ownership) HoldClasses() Hold { return o.myHold() }

// Step applies one event at now and returns what to do.
func (o *Ownership) Step(ev Event, now time.Time) Result {
	o.acts, o.reasons = nil, nil
	switch ev.Kind {
	case EvStart:
		o.onStart(ev.PeerAlive, now)
	case EvPeerAlive:
		o.onPeerAlive()
	case EvPeerDead:
		o.onPeerDead()
	case EvPeerMsg:
		o.onPeerMsg(ev.Msg, ev.Seq, now)
	case EvStandby:
		o.requestStandby(ev.Hold, now)
	case EvTakeover:
		o.send(R1Msg{Type: R1Takeover, Hold: ev.Hold})
		o.logf("hb_takeover %s requested", ev.Hold)
	case EvStartDone, EvStartFailed, EvStopDone:
		o.onDone(ev, now)
	case EvShutdown:
		o.st.ShutdownWanted = true
	case EvTick:
		o.onTick(now)
	}
	o.settle(now)
	if o.nice() && o.stableFlag() && !o.busy() && !o.st.sentStable && o.st.PeerAlive {
		// hbd: tell the peer we are stable again (after a cancelled
		// standby, say); Heartbeat leaves it believing we are in flux.
		o.sendHeld("")
	}
	if ev.Kind == EvShutdown && o.st.R != RShutdown {
		o.logf(MsgShutdownDelayed)
	}
	return Result{Actions: o.acts, Reason: strings.Join(o.reasons, "; ")}
}

// NextDeadline is the earliest time a Tick has work, or zero.
func (o *Ownership) NextDeadline() time.Time {
	var next time.Time
	add := func(t time.Time, on bool) {
		if on && !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	s := &o.st
	add(s.RequestAt, s.R == RStarting || s.R == RBothStarting || s.R == RRscRcvd)
	add(s.StandbyUntil, true)
	add(s.FailbackAt, s.NeedsFailback)
	add(s.GiveUpAt, s.PendingGiveUp != HoldNone)
	add(s.askAt, len(s.asked) > 0 && s.PeerAlive)
	return next
}

func (o *Ownership) nice() bool { return o.cfg.AutoFailback != FailbackLegacy }

func (o *Ownership) logf(format string, args ...any) {
	o.reasons = append(o.reasons, fmt.Sprintf(format, args...))
}

func (o *Ownership) send(m R1Msg) {
	if m.Type == R1Resource {
		o.st.sentStable = m.Stable == Stable
	}
	o.acts = append(o.acts, Action{Kind: ActSend, Msg: m})
}

func (o *Ownership) group(key string) *GroupState {
	for i := range o.st.Groups {
		if o.st.Groups[i].Key == key {
			return &o.st.Groups[i]
		}
	}
	return nil
}

func class(g *GroupState) Hold {
	if g.Local {
		return HoldLocal
	}
	return HoldForeign
}

// myHold is i_hold_resources: the classes with a wanted group.
func (o *Ownership) myHold() Hold {
	var h Hold
	for i := range o.st.Groups {
		if o.st.Groups[i].Want {
			h |= class(&o.st.Groups[i])
		}
	}
	return h
}

// setWant sets Want for every group in the classes (my words).
func (o *Ownership) setWant(set Hold, want bool) {
	for i := range o.st.Groups {
		g := &o.st.Groups[i]
		if class(g)&set != 0 {
			g.Want = want
		}
	}
}

// busy reports whether any group is starting or stopping.
func (o *Ownership) busy() bool {
	for _, g := range o.st.Groups {
		if g.Phase == Starting || g.Phase == Stopping {
			return true
		}
	}
	return false
}

// phaseIs reports whether every group of the classes satisfies ok.
func (o *Ownership) allIn(set Hold, ok func(*GroupState) bool) bool {
	for i := range o.st.Groups {
		if g := &o.st.Groups[i]; class(g)&set != 0 && !ok(g) {
			return false
		}
	}
	return true
}

func (o *Ownership) stableFlag() bool { return o.st.R == RStable && o.st.Standby == StandbyNot }

func (o *Ownership) sendHeld(info string) { o.send(resourceMsg(o.myHold(), o.stableFlag(), info)) }
