package ipfail

import (
	"fmt"
	"strconv"
	"time"
)

// Set is the class of resources a give-up hands to the peer, in this
// node's words (ipfail.h HB_ALL_RESOURCES, HB_FOREIGN_RESOURCES).
type Set int

// Sets.
const (
	All     Set = iota + 1 // every group this node holds
	Foreign                // the groups whose preferred node is the peer
)

// String returns the rsc_hold= word.
func (s Set) String() string {
	if s == Foreign {
		return "foreign"
	}
	return "all"
}

// DefaultStableWait is ipfail's sleep(10) between the peer's "stable"
// report and the new count comparison a postponed give-up asks for.
const DefaultStableWait = 10 * time.Second

// Config configures a Machine.
type Config struct {
	// Keepalive: a give-up waits twice this (delay_giveup with -1).
	Keepalive time.Duration
	// AutoFailback is auto_failback on: with equal counts, foreign
	// resources are given back.
	AutoFailback bool
	// StableWait replaces DefaultStableWait when positive (tests).
	StableWait time.Duration
}

// Kind says what happened.
type Kind int

// Event kinds.
const (
	EvNodeStatus    Kind = iota + 1 // Node (the peer or a ping node) now has Status
	EvLinkStatus                    // Node's link Link now has Status
	EvPeerJoin                      // the peer's ipfail signed on (hbapi-clstat st=join from_id=ipfail)
	EvNumPing                       // num_ping_nodes from the peer, NumPing
	EvYouAreDead                    // you_are_dead from the peer
	EvAbortGiveup                   // abort_giveup from the peer
	EvPeerResources                 // the peer's t=resource: IsStable, Info
	EvTick                          // time passed (NextDeadline)
	EvGiveUpRefused                 // the engine could not start the give-up (the peer in flux): Set
)

// Event is one input. Count and Stable are this node's state when it
// happened: its live ping nodes (status "ping"), and whether its resources
// are settled (Heartbeat's get_resources is not "transition").
type Event struct {
	Kind         Kind
	Node, Link   string
	Status       string // EvNodeStatus, EvLinkStatus: "dead", "ping", "up", "active"
	NumPing      string // EvNumPing: num_ping= as received (atoi, as ipfail)
	IsStable     string // EvPeerResources: isstable= ("" when absent)
	Info         string // EvPeerResources: info= ("" when absent)
	Count        int
	Stable       bool
	PeerNodeName string // EvPeerJoin: the src= of the join (for the log)
	Set          Set    // EvGiveUpRefused: the set that was not given up
}

// ActKind is what to do.
type ActKind int

// Action kinds.
const (
	ActSend   ActKind = iota + 1 // send Type to the peer (NumPing for num_ping_nodes)
	ActGiveUp                    // hand Set to the peer (hb_standby's handshake)
)

// Action is one output.
type Action struct {
	Kind    ActKind
	Type    string // ActSend: TypeNumPing, TypeYouAreDead, TypeAbort
	NumPing int    // ActSend TypeNumPing
	Set     Set    // ActGiveUp
}

// Result is what one Step produced: actions in order, and log lines.
type Result struct {
	Actions []Action
	Lines   []string
}

// State is the machine's state, for status and tests.
type State struct {
	GiveUpAt    time.Time // a delayed give-up is pending (zero: none)
	GiveUpSet   Set
	NeedStandby bool      // a give-up came due in transition: waiting for the peer's stable report
	AskAt       time.Time // the count comparison after the peer's stable report (zero: none)
	PeerStable  bool      // the peer last said isstable=1
}

// Machine is one node's ipfail.
type Machine struct {
	cfg Config
	st  State
	tag int // the give-up timer's number, for "Aborted delayed giveup (%d)"
	res Result
}

// New returns a machine with nothing pending.
func New(cfg Config) *Machine {
	if cfg.StableWait <= 0 {
		cfg.StableWait = DefaultStableWait
	}
	return &Machine{cfg: cfg}
}

// State returns a copy of the state.
func (m *Machine) State() State { return m.st }

// NextDeadline is when Step wants an EvTick (zero: never).
func (m *Machine) NextDeadline() time.Time {
	a, b := m.st.GiveUpAt, m.st.AskAt
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// Step applies one event.
func (m *Machine) Step(ev Event, now time.Time) Result {
	m.res = Result{}
	switch ev.Kind {
	case EvNodeStatus:
		m.nodeStatus(ev)
	case EvLinkStatus:
		m.linkStatus(ev)
	case EvPeerJoin:
		m.logf(MsgPeerJoined, ev.PeerNodeName)
		m.ask(ev.Count)
	case EvNumPing:
		m.numPing(ev, now)
	case EvYouAreDead:
		m.logf(MsgToldLess)
		m.delayGiveUp(All, now)
	case EvAbortGiveup:
		m.abortGiveUp()
	case EvPeerResources:
		m.peerResources(ev, now)
	case EvTick:
		m.tick(ev, now)
	case EvGiveUpRefused:
		// hbd's own: Heartbeat drops a standby request while the other
		// side is in flux ("Other side is in flux"), and ipfail, having
		// sent it, never tries again; hbd handles it as a give-up that
		// found this node in transition: compare again once the peer
		// reports itself stable.
		m.st.NeedStandby = true
		m.logf(MsgGiveUpPostponed)
	}
	return m.res
}

func (m *Machine) logf(format string, args ...any) {
	m.res.Lines = append(m.res.Lines, fmt.Sprintf(format, args...))
}

func (m *Machine) act(a Action) { m.res.Actions = append(m.res.Actions, a) }

// nodeStatus is NodeStatus: a ping node that comes up starts a comparison;
// a death is only logged.
func (m *Machine) nodeStatus(ev Event) {
	m.logf(MsgNodeStatus, ev.Node, ev.Status)
	switch ev.Status {
	case "dead":
		if ev.Count > 0 {
			m.logf(MsgStillAlive)
		} else {
			m.logf(MsgWeAreDeadNS)
		}
	case "ping":
		m.logf(MsgPingCameUp)
		m.ask(ev.Count)
	}
}

// linkStatus is LinkStatus: any dead link (the peer's or a ping node's)
// starts a comparison.
func (m *Machine) linkStatus(ev Event) {
	m.logf(MsgLinkStatus, ev.Node, ev.Link, ev.Status)
	if ev.Status != "dead" {
		return
	}
	if ev.Count > 0 {
		m.ask(ev.Count)
		m.logf(MsgCheckRemote)
	} else {
		m.logf(MsgWeAreDead)
		m.ask(0)
	}
}

// ask is ask_ping_nodes: send our count to the peer.
func (m *Machine) ask(count int) {
	m.logf(MsgAsking)
	m.act(Action{Kind: ActSend, Type: TypeNumPing, NumPing: count})
}

// numPing is msg_ping_nodes: compare the peer's count with ours.
func (m *Machine) numPing(ev Event, now time.Time) {
	theirs := atoi(ev.NumPing)
	switch {
	case ev.Count > theirs:
		m.logf(MsgTellMore)
		m.act(Action{Kind: ActSend, Type: TypeYouAreDead})
	case ev.Count < theirs:
		m.logf(MsgGiveUpLess)
		m.delayGiveUp(All, now)
	default:
		m.logf(MsgBalanced)
		m.act(Action{Kind: ActSend, Type: TypeAbort})
		switch {
		case !m.st.GiveUpAt.IsZero():
			m.abortGiveUp()
		case m.cfg.AutoFailback && ev.Stable:
			m.logf(MsgGiveUpForeign)
			m.delayGiveUp(Foreign, now)
		}
	}
}

// delayGiveUp is delay_giveup(set, -1): give up in 2 x keepalive,
// replacing a pending give-up.
func (m *Machine) delayGiveUp(set Set, now time.Time) {
	d := 2 * m.cfg.Keepalive
	m.logf(MsgDelayedGiveUp, int(d/time.Second))
	m.tag++
	m.st.GiveUpAt, m.st.GiveUpSet = now.Add(d), set
}

// abortGiveUp cancels the pending give-up.
func (m *Machine) abortGiveUp() {
	if m.st.GiveUpAt.IsZero() {
		m.logf(MsgNoTimer)
		return
	}
	m.logf(MsgAborted, m.tag)
	m.st.GiveUpAt, m.st.GiveUpSet = time.Time{}, 0
}

// peerResources is msg_resources: the peer's stability; a give-up that
// found this node in transition compares the counts again StableWait
// after the peer is stable.
func (m *Machine) peerResources(ev Event, now time.Time) {
	switch {
	case ev.IsStable == "1" && ev.Info == "":
		m.logf(MsgPeerStable)
		m.st.PeerStable = true
		if m.st.NeedStandby {
			m.st.NeedStandby = false
			m.st.AskAt = now.Add(m.cfg.StableWait)
		}
	case ev.IsStable == "0":
		m.logf(MsgPeerUnstable)
		m.st.PeerStable = false
	}
}

// tick runs the due timers: the give-up (giveup()), then the comparison
// after a stable report.
func (m *Machine) tick(ev Event, now time.Time) {
	if at := m.st.GiveUpAt; !at.IsZero() && !now.Before(at) {
		set := m.st.GiveUpSet
		m.st.GiveUpAt, m.st.GiveUpSet = time.Time{}, 0
		m.logf(MsgGiveUpCalled)
		if ev.Stable {
			m.st.NeedStandby = false
			m.act(Action{Kind: ActGiveUp, Set: set})
		} else {
			m.st.NeedStandby = true
			m.logf(MsgGiveUpPostponed)
		}
	}
	if at := m.st.AskAt; !at.IsZero() && !now.Before(at) {
		m.st.AskAt = time.Time{}
		m.ask(ev.Count)
	}
}

// atoi is C's atoi: leading blanks, an optional sign, digits; 0 when none.
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '-' || s[j] == '+') {
		j++
	}
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(s[i:j])
	if err != nil {
		return 0
	}
	return n
}
