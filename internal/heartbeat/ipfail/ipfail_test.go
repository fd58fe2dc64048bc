package ipfail

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Unix(1_000_000, 0)

const ka = time.Second

func newM(autoFailback bool) *Machine { return New(Config{Keepalive: ka, AutoFailback: autoFailback}) }

func TestNumPingCompares(t *testing.T) {
	pending := func(m *Machine) { m.Step(Event{Kind: EvYouAreDead}, t0) }
	for _, tc := range []struct {
		name      string
		auto      bool
		pending   bool
		ev        Event
		want      []Action
		wantGive  time.Time
		wantSet   Set
		wantLines []string
	}{
		{name: "we see more: you_are_dead", ev: Event{NumPing: "1", Count: 2, Stable: true},
			want: []Action{{Kind: ActSend, Type: TypeYouAreDead}}, wantLines: []string{MsgTellMore}},
		{name: "we see fewer: delayed giveup of all", ev: Event{NumPing: "2", Count: 1, Stable: true},
			wantGive: t0.Add(2 * ka), wantSet: All, wantLines: []string{MsgGiveUpLess, "Delayed giveup in 2 seconds."}},
		{name: "balanced, pending giveup aborted", pending: true, auto: true, ev: Event{NumPing: "1", Count: 1, Stable: true},
			want:      []Action{{Kind: ActSend, Type: TypeAbort}},
			wantLines: []string{MsgBalanced, "Aborted delayed giveup (1)"}},
		{name: "balanced, auto_failback on: foreign given back", auto: true, ev: Event{NumPing: "1", Count: 1, Stable: true},
			want: []Action{{Kind: ActSend, Type: TypeAbort}}, wantGive: t0.Add(2 * ka), wantSet: Foreign,
			wantLines: []string{MsgBalanced, MsgGiveUpForeign, "Delayed giveup in 2 seconds."}},
		{name: "balanced, auto_failback on but in transition", auto: true, ev: Event{NumPing: "0", Count: 0, Stable: false},
			want: []Action{{Kind: ActSend, Type: TypeAbort}}, wantLines: []string{MsgBalanced}},
		{name: "balanced, auto_failback off", ev: Event{NumPing: "1", Count: 1, Stable: true},
			want: []Action{{Kind: ActSend, Type: TypeAbort}}, wantLines: []string{MsgBalanced}},
		{name: "garbage count reads as 0 (atoi)", ev: Event{NumPing: "x", Count: 1, Stable: true},
			want: []Action{{Kind: ActSend, Type: TypeYouAreDead}}, wantLines: []string{MsgTellMore}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newM(tc.auto)
			if tc.pending {
				pending(m)
			}
			tc.ev.Kind = EvNumPing
			res := m.Step(tc.ev, t0)
			if diff := cmp.Diff(tc.want, res.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLines, res.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			st := m.State()
			if !st.GiveUpAt.Equal(tc.wantGive) || st.GiveUpSet != tc.wantSet {
				t.Errorf("pending giveup %v %v, want %v %v", st.GiveUpAt, st.GiveUpSet, tc.wantGive, tc.wantSet)
			}
		})
	}
}

func TestStatusEventsAsk(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ev    Event
		want  []Action
		lines []string
	}{
		{"ping node came up", Event{Kind: EvNodeStatus, Node: "10.0.0.254", Status: "ping", Count: 1},
			[]Action{{Kind: ActSend, Type: TypeNumPing, NumPing: 1}},
			[]string{"Status update: Node 10.0.0.254 now has status ping", MsgPingCameUp, MsgAsking}},
		{"ping node died, others left", Event{Kind: EvNodeStatus, Node: "p1", Status: "dead", Count: 1}, nil,
			[]string{"Status update: Node p1 now has status dead", MsgStillAlive}},
		{"last ping node died", Event{Kind: EvNodeStatus, Node: "p1", Status: "dead"}, nil,
			[]string{"Status update: Node p1 now has status dead", MsgWeAreDeadNS}},
		{"peer active", Event{Kind: EvNodeStatus, Node: "node2", Status: "active", Count: 1}, nil,
			[]string{"Status update: Node node2 now has status active"}},
		{"peer link dead, ping nodes seen", Event{Kind: EvLinkStatus, Node: "node2", Link: "eth0", Status: "dead", Count: 2},
			[]Action{{Kind: ActSend, Type: TypeNumPing, NumPing: 2}},
			[]string{"Link Status update: Link node2/eth0 now has status dead", MsgAsking, MsgCheckRemote}},
		{"ping link dead, none seen", Event{Kind: EvLinkStatus, Node: "p1", Link: "p1", Status: "dead"},
			[]Action{{Kind: ActSend, Type: TypeNumPing, NumPing: 0}},
			[]string{"Link Status update: Link p1/p1 now has status dead", MsgWeAreDead, MsgAsking}},
		{"link up: logged only", Event{Kind: EvLinkStatus, Node: "node2", Link: "eth0", Status: "up", Count: 1}, nil,
			[]string{"Link Status update: Link node2/eth0 now has status up"}},
		{"peer ipfail joined", Event{Kind: EvPeerJoin, PeerNodeName: "node2", Count: 1},
			[]Action{{Kind: ActSend, Type: TypeNumPing, NumPing: 1}},
			[]string{"Got join message from another ipfail client. (node2)", MsgAsking}},
		{"abort without timer", Event{Kind: EvAbortGiveup}, nil, []string{MsgNoTimer}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := newM(true).Step(tc.ev, t0)
			if diff := cmp.Diff(tc.want, res.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.lines, res.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGiveUpTimer: a give-up fires 2 x keepalive after the last request,
// only when stable; in transition it waits for the peer's stable report,
// then compares again 10 s later.
func TestGiveUpTimer(t *testing.T) {
	m := newM(true)
	m.Step(Event{Kind: EvYouAreDead}, t0)
	m.Step(Event{Kind: EvYouAreDead}, t0.Add(time.Second)) // replaces: due at t0+3s
	if got := m.NextDeadline(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("deadline %v, want t0+3s", got)
	}
	if res := m.Step(Event{Kind: EvTick, Stable: true}, t0.Add(2*time.Second)); len(res.Actions)+len(res.Lines) != 0 {
		t.Fatalf("early tick did something: %+v", res)
	}
	res := m.Step(Event{Kind: EvTick, Stable: true}, t0.Add(3*time.Second))
	if diff := cmp.Diff([]Action{{Kind: ActGiveUp, Set: All}}, res.Actions); diff != "" {
		t.Fatalf("give-up (-want +got):\n%s", diff)
	}
	if !m.NextDeadline().IsZero() {
		t.Fatalf("still pending after firing: %+v", m.State())
	}

	// In transition: postponed until the peer is stable, then +10 s.
	m.Step(Event{Kind: EvYouAreDead}, t0.Add(10*time.Second))
	res = m.Step(Event{Kind: EvTick, Stable: false}, t0.Add(12*time.Second))
	if len(res.Actions) != 0 || !m.State().NeedStandby {
		t.Fatalf("give-up in transition: %+v, state %+v", res, m.State())
	}
	m.Step(Event{Kind: EvPeerResources, IsStable: "1", Info: "req_our_resources()"}, t0.Add(13*time.Second))
	if !m.State().NeedStandby || m.State().PeerStable {
		t.Fatalf("a report with info= counted as the stable one: %+v", m.State())
	}
	res = m.Step(Event{Kind: EvPeerResources, IsStable: "1"}, t0.Add(14*time.Second))
	if diff := cmp.Diff([]string{MsgPeerStable}, res.Lines); diff != "" {
		t.Fatalf("lines (-want +got):\n%s", diff)
	}
	if got := m.NextDeadline(); !got.Equal(t0.Add(24 * time.Second)) {
		t.Fatalf("ask at %v, want t0+24s", got)
	}
	res = m.Step(Event{Kind: EvTick, Count: 1}, t0.Add(24*time.Second))
	if diff := cmp.Diff([]Action{{Kind: ActSend, Type: TypeNumPing, NumPing: 1}}, res.Actions); diff != "" {
		t.Fatalf("ask after stable (-want +got):\n%s", diff)
	}
	m.Step(Event{Kind: EvPeerResources, IsStable: "0"}, t0.Add(25*time.Second))
	if m.State().PeerStable {
		t.Fatal("isstable=0 left the peer stable")
	}

	// A give-up the engine could not start (the peer in flux) waits for
	// the peer's stable report like one due in transition.
	m.Step(Event{Kind: EvGiveUpRefused, Set: All}, t0.Add(26*time.Second))
	m.Step(Event{Kind: EvPeerResources, IsStable: "1"}, t0.Add(27*time.Second))
	if got := m.NextDeadline(); !got.Equal(t0.Add(37 * time.Second)) {
		t.Fatalf("after a refused give-up: ask at %v, want t0+37s", got)
	}
}

// pair runs two machines against each other: every ActSend of one is
// delivered to the other at once; give-ups are recorded.
type pair struct {
	m      [2]*Machine
	count  [2]int
	stable [2]bool
	gave   [2][]Set
	now    time.Time
}

func newPair(auto bool) *pair {
	return &pair{m: [2]*Machine{newM(auto), newM(auto)}, count: [2]int{1, 1}, stable: [2]bool{true, true}, now: t0}
}

func (p *pair) step(i int, ev Event) {
	ev.Count, ev.Stable = p.count[i], p.stable[i]
	res := p.m[i].Step(ev, p.now)
	for _, a := range res.Actions {
		switch {
		case a.Kind == ActGiveUp:
			p.gave[i] = append(p.gave[i], a.Set)
		case a.Type == TypeNumPing:
			p.step(1-i, Event{Kind: EvNumPing, NumPing: fmt.Sprint(a.NumPing)})
		case a.Type == TypeYouAreDead:
			p.step(1-i, Event{Kind: EvYouAreDead})
		case a.Type == TypeAbort:
			p.step(1-i, Event{Kind: EvAbortGiveup})
		}
	}
}

// settle advances the time by 5 x keepalive, ticking both.
func (p *pair) settle() {
	for range 50 {
		p.now = p.now.Add(ka / 10)
		p.step(0, Event{Kind: EvTick})
		p.step(1, Event{Kind: EvTick})
	}
}

// TestPairScenarios: the three cases on two machines. Node 0 is
// active; the LAN cut costs it its ping node and the LAN link; the
// heartbeats continue on the other link.
func TestPairScenarios(t *testing.T) {
	t.Run("LAN cut moves all to the peer, restore gives them back", func(t *testing.T) {
		p := newPair(true)
		// Deadtime first: both see the LAN link die while node 0 still
		// counts its ping node (deadping = deadtime, the link went first).
		p.step(0, Event{Kind: EvLinkStatus, Node: "node2", Link: "lan", Status: "dead"})
		p.step(1, Event{Kind: EvLinkStatus, Node: "node1", Link: "lan", Status: "dead"})
		p.count[0] = 0
		p.step(0, Event{Kind: EvNodeStatus, Node: "gw", Status: "dead"})
		p.step(0, Event{Kind: EvLinkStatus, Node: "gw", Link: "gw", Status: "dead"})
		p.settle()
		if diff := cmp.Diff([2][]Set{{All}, nil}, p.gave); diff != "" {
			t.Fatalf("after the cut (-want +got):\n%s", diff)
		}
		p.gave = [2][]Set{}
		p.count[0] = 1
		p.step(0, Event{Kind: EvNodeStatus, Node: "gw", Status: "ping"})
		p.settle()
		if diff := cmp.Diff([2][]Set{nil, {Foreign}}, p.gave); diff != "" {
			t.Fatalf("after the restore (-want +got):\n%s", diff)
		}
	})
	t.Run("auto_failback off: resources stay with the peer after the restore", func(t *testing.T) {
		p := newPair(false)
		p.count[0] = 0
		p.step(0, Event{Kind: EvLinkStatus, Node: "gw", Link: "gw", Status: "dead"})
		p.settle()
		p.count[0] = 1
		p.step(0, Event{Kind: EvNodeStatus, Node: "gw", Status: "ping"})
		p.settle()
		if diff := cmp.Diff([2][]Set{{All}, nil}, p.gave); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
	t.Run("ping node down for both: nothing moves", func(t *testing.T) {
		p := newPair(true)
		p.count = [2]int{0, 0}
		for i, peer := range []string{"node2", "node1"} {
			_ = peer
			p.step(i, Event{Kind: EvNodeStatus, Node: "gw", Status: "dead"})
			p.step(i, Event{Kind: EvLinkStatus, Node: "gw", Link: "gw", Status: "dead"})
		}
		p.settle()
		// Balanced: each gives back foreign resources (auto_failback),
		// of which the engine finds none to move.
		for i, g := range p.gave {
			for _, s := range g {
				if s != Foreign {
					t.Errorf("node %d gave up %s", i, s)
				}
			}
		}
	})
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{"3": 3, " 12x": 12, "": 0, "x": 0, "-1": -1, "+2": 2} {
		if got := atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestMessages: ipfail's log lines and wire words are the Heartbeat 3.0.6
// binary's (Debian /usr/libexec/heartbeat/ipfail; .ci/run installs the
// heartbeat package).
func TestMessages(t *testing.T) {
	bin, err := os.ReadFile("/usr/libexec/heartbeat/ipfail")
	if err != nil {
		t.Skipf("Heartbeat's ipfail not installed: %v", err)
	}
	for _, s := range []string{MsgNodeStatus, MsgWeAreDeadNS, MsgPingCameUp, MsgLinkStatus, MsgCheckRemote,
		MsgWeAreDead, MsgAsking, MsgGotAsked, MsgTellMore, MsgGiveUpLess, MsgBalanced, MsgGiveUpForeign, MsgToldLess,
		MsgGiveUpCalled, MsgNoTimer, MsgPeerStable, MsgPeerUnstable, MsgLegacy, MsgStillAlive, MsgPeerJoined,
		TypeNumPing, TypeYouAreDead, TypeAbort, TypeClientStat, FieldNumPing} {
		if !strings.Contains(string(bin), s) {
			t.Errorf("%q is not in Heartbeat's ipfail", s)
		}
	}
	// The formats whose C form differs only in the verb (%i, %u).
	for _, s := range []string{strings.ReplaceAll(MsgDelayedGiveUp, "%d", "%i"), strings.ReplaceAll(MsgAborted, "%d", "%u")} {
		if !strings.Contains(string(bin), s) {
			t.Errorf("%q is not in Heartbeat's ipfail", s)
		}
	}
}
