package r1

import (
	"errors"
	"fmt"
	"log/slog"
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

// Config configures the ownership machine. Zero durations take
// Heartbeat's values.
type Config struct {
	Local, Peer       string
	Groups            []Group
	AutoFailback      AutoFailback
	RequestDelay      time.Duration // RQSTDELAY: 10 s
	StandbyTimeout    time.Duration // STANDBY_INIT_TO_MS: 10 s
	StandbyRscTimeout time.Duration // HB_STANDBY_RSC_TO_MS: 1 h
	FailbackRetry     time.Duration // AutoFailbackProc: 1 s
	FailedStartDelay  time.Duration // ResourceManager's sleep before hb_standby: 30 s
	StopRetry         time.Duration // hbd: retry of a stop that left resources running: 10 s
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
	Key       string
	Preferred string
	Local     bool  // Preferred is this node
	Want      bool  // the protocol wants it here
	Phase     Phase // what the resource layer is doing
	Failed    bool  // its last start failed
	// StopFailed: a stop (or a failed start's rollback) left resources
	// running. The group stays held (Phase Running) and its stop is
	// retried every StopRetry; see doc.go "Stop failures".
	StopFailed   bool
	stopRetryAt  time.Time
	keepAnnounce bool // split-brain keeper: announce again once the peer lets go
	giveUpOnStop bool // failed while running: hand its class over once stopped
}

// State is the machine's whole state. It is a plain value so tests
// can build any state directly.
type State struct {
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
	emptyHeld      Hold            // classes without groups that the protocol gave us (i_hold_resources)
	orphansLogged  bool            // MsgNoOneOwnsLocal logged in this episode
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
	EvStopFailed                       // Group's stop (or failed start's rollback) left resources running
	EvShutdown                         // local orderly shutdown (SIGTERM)
	EvTick                             // time passed; see NextDeadline
	// EvResourceFailed: a resource of the running Group died and the
	// engine's monitor gave up restarting it (hbd's own; see doc.go).
	EvResourceFailed
)

// Event is one input to Step.
type Event struct {
	Kind      EventKind
	PeerAlive bool    // EvStart
	Msg       Message // EvPeerMsg
	Seq       uint64  // EvPeerMsg: the message's seq, 0 = unknown
	Hold      Hold    // EvStandby, EvTakeover
	Group     string  // EvStartDone, EvStartFailed, EvStopDone, EvStopFailed, EvResourceFailed
}

// ActionKind says what the caller must do.
type ActionKind int

// ActionKind values.
const (
	ActStart    ActionKind = iota + 1 // start Group; answer with EvStartDone or EvStartFailed
	ActStop                           // stop Group; answer with EvStopDone or EvStopFailed
	ActAnnounce                       // re-send gratuitous ARP for Group (held, kept after a split brain)
	ActSend                           // send Msg to the cluster
)

// Action is one thing the caller must do, in order.
type Action struct {
	Kind  ActionKind
	Group string
	Msg   Message
}

// Result is Step's answer: the actions, and the reason in log words.
type Result struct {
	Actions []Action
	Lines   []Line // the log lines, in order, with their levels
	Reason  string // the Lines' texts joined by "; "
}

// Ownership is the R1 ownership machine. It performs no I/O and reads no
// clock. Not safe for concurrent use: one loop goroutine calls Step.
type Ownership struct {
	cfg Config
	st  State

	acts    []Action
	reasons []Line
}

// NewOwnership validates the configuration and returns a machine in RInit
// holding nothing.
func NewOwnership(cfg Config) (*Ownership, error) {
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
	def(&cfg.StopRetry, 10*time.Second)
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
func (o *Ownership) State() State {
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

// HoldClasses is what this node holds, as cl_status rscstatus says it:
// Heartbeat's i_hold_resources, the classes the protocol gave this node
// whether or not haresources has a group of the class (hb_resource.c:
// a takeover sets HB_FOREIGN_RSC), so a node that took over says "all"
// even with no foreign groups. One deliberate difference: Heartbeat's
// req_our_resources also sets HB_LOCAL_RSC on a node that has no local
// groups, so its rscstatus may say "local" on a node that holds nothing,
// depending on message timing at start; hbd says "none" there.
func (o *Ownership) HoldClasses() Hold { return o.myHold() | o.st.emptyHeld }

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
		o.send(Message{Type: TypeTakeover, Hold: ev.Hold})
		o.logf(MsgTakeoverRequested, ev.Hold)
	case EvStartDone, EvStartFailed, EvStopDone, EvStopFailed, EvResourceFailed:
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
	texts := make([]string, len(o.reasons))
	for i, l := range o.reasons {
		texts[i] = l.Text
	}
	return Result{Actions: o.acts, Lines: o.reasons, Reason: strings.Join(texts, "; ")}
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
	for _, g := range s.Groups {
		add(g.stopRetryAt, g.StopFailed && !g.Want && g.Phase == Running)
	}
	return next
}

func (o *Ownership) nice() bool { return o.cfg.AutoFailback != FailbackLegacy }

func (o *Ownership) logf(format string, args ...any) {
	lvl, ok := lineLevels[format]
	if !ok {
		lvl = slog.LevelInfo
	}
	o.reasons = append(o.reasons, Line{Level: lvl, Text: fmt.Sprintf(format, args...)})
}

func (o *Ownership) send(m Message) {
	if m.Type == TypeResource {
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

// Class is the group's resource class in this node's words: HoldLocal when
// this node is its preferred node, else HoldForeign.
func (g GroupState) Class() Hold {
	if g.Local {
		return HoldLocal
	}
	return HoldForeign
}

// myHold is i_hold_resources as rsc_hold= says it: the classes with a
// wanted group, or with a group whose stop failed (still held), or with a
// failed group still being stopped before it is handed over.
func (o *Ownership) myHold() Hold {
	var h Hold
	for _, g := range o.st.Groups {
		if g.Want || g.StopFailed || g.giveUpOnStop {
			h |= g.Class()
		}
	}
	return h
}

// setWant sets Want for every group in the classes (my words). A release
// (want false) also drops the classes from emptyHeld.
func (o *Ownership) setWant(set Hold, want bool) {
	for i := range o.st.Groups {
		g := &o.st.Groups[i]
		if g.Class()&set != 0 {
			g.Want = want
		}
	}
	if !want {
		o.st.emptyHeld &^= set
	}
}

// takeOver wants every group of the classes, as a takeover from the peer
// does, and remembers the classes that have no group in emptyHeld: a
// takeover sets the class bit in Heartbeat whether or not the class has a
// group (HoldClasses).
func (o *Ownership) takeOver(set Hold) {
	o.setWant(set, true)
	empty := set
	for _, g := range o.st.Groups {
		empty &^= g.Class()
	}
	o.st.emptyHeld |= empty
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
		if g := &o.st.Groups[i]; g.Class()&set != 0 && !ok(g) {
			return false
		}
	}
	return true
}

func (o *Ownership) stableFlag() bool { return o.st.R == RStable && o.st.Standby == StandbyNot }

func (o *Ownership) sendHeld(info string) { o.send(resourceMsg(o.myHold(), o.stableFlag(), info)) }
