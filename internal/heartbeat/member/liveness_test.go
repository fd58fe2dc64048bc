package member

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 11, 24, 7, 38, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// liveStep is one input to the tracker: a packet when heard is set, else a
// tick; want is what that input must report.
type liveStep struct {
	at    int // ms since start
	heard *Heard
	want  []LiveEvent
}

func hb(link string) *Heard { return &Heard{Node: "node2", Link: link, Status: StatusActive} }

func linkUp(link string) LiveEvent {
	return LiveEvent{Kind: LinkUp, Node: "node2", Link: link, Reason: "Link node2:" + link + " up."}
}

func linkDead(link string) LiveEvent {
	return LiveEvent{Kind: LinkDead, Node: "node2", Link: link, Reason: "Link node2:" + link + " dead."}
}

var (
	active   = LiveEvent{Kind: NodeActive, Node: "node2", Status: "active", Reason: "Status update for node node2: status active"}
	nodeDead = LiveEvent{Kind: NodeDead, Node: "node2", Reason: "node node2: is dead"}
)

func TestLiveness(t *testing.T) {
	cfg := LivenessConfig{
		Nodes:    []WatchedNode{{Name: "node2", Links: []string{"eth0", "eth1"}}},
		Deadtime: 3 * time.Second, Warntime: 1500 * time.Millisecond, Initdead: 12 * time.Second,
	}
	tests := []struct {
		name     string
		steps    []liveStep
		deadline int // ms; -1 = zero time
	}{
		{
			name: "first heartbeat brings link and node up",
			steps: []liveStep{
				{at: 100, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 101, heard: hb("eth1"), want: []LiveEvent{linkUp("eth1")}},
			},
			deadline: 3100,
		},
		{
			name: "initdead applies before the node is first heard",
			steps: []liveStep{
				{at: 11999, want: nil},
				{at: 12000, want: []LiveEvent{nodeDead}},
			},
			deadline: -1,
		},
		{
			name: "deadtime applies once heard: dead exactly at last+deadtime",
			steps: []liveStep{
				{at: 0, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 2999, want: nil},
				{at: 3000, want: []LiveEvent{nodeDead, linkDead("eth0")}},
			},
			deadline: -1,
		},
		{
			name: "losing one link is never node death",
			steps: []liveStep{
				{at: 0, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 0, heard: hb("eth1"), want: []LiveEvent{linkUp("eth1")}},
				{at: 1000, heard: hb("eth0")},
				{at: 2000, heard: hb("eth0")},
				{at: 3000, heard: hb("eth0"), want: []LiveEvent{linkDead("eth1")}},
				{at: 4000, heard: hb("eth0")},
				{at: 5000, heard: hb("eth0")},
				{at: 6000, heard: hb("eth1"), want: []LiveEvent{linkUp("eth1")}},
			},
			deadline: 8000, // eth0, last heard at 5000
		},
		{
			name: "a non-status packet keeps the link but not the node alive",
			steps: []liveStep{
				{at: 0, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 2000, heard: &Heard{Node: "node2", Link: "eth0"}},
				{at: 3000, want: []LiveEvent{nodeDead}},
				{at: 5000, want: []LiveEvent{linkDead("eth0")}},
			},
			deadline: -1,
		},
		{
			name: "late heartbeat warns past warntime",
			steps: []liveStep{
				{at: 0, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 1500, heard: hb("eth0")},
				{at: 3100, heard: hb("eth0"), want: []LiveEvent{{Kind: NodeWarn, Node: "node2",
					Interval: 1600 * time.Millisecond, Reason: "Late heartbeat: Node node2: interval 1600 ms"}}},
			},
			deadline: 6100,
		},
		{
			name: "return after death is CRIT late, then active again",
			steps: []liveStep{
				{at: 0, heard: hb("eth0"), want: []LiveEvent{linkUp("eth0"), active}},
				{at: 8000, heard: hb("eth0"), want: []LiveEvent{nodeDead, linkDead("eth0"), linkUp("eth0"),
					{Kind: NodeWarn, Node: "node2", Interval: 8 * time.Second, Crit: true,
						Reason: "Late heartbeat: Node node2: interval 8000 ms (> deadtime)"},
					active}},
			},
			deadline: 11000,
		},
		{
			name: "peer dt replaces our deadtime for that node",
			steps: []liveStep{
				{at: 0, heard: &Heard{Node: "node2", Link: "eth0", Status: "active", DT: 500 * time.Millisecond},
					want: []LiveEvent{linkUp("eth0"), active}},
				{at: 499, want: nil},
				{at: 500, want: []LiveEvent{nodeDead, linkDead("eth0")}},
			},
			deadline: -1,
		},
		{
			name: "status up then active",
			steps: []liveStep{
				{at: 0, heard: &Heard{Node: "node2", Link: "eth0", Status: "up"}, want: []LiveEvent{linkUp("eth0"),
					{Kind: NodeUp, Node: "node2", Status: "up", Reason: "Status update for node node2: status up"}}},
				{at: 1000, heard: hb("eth0"), want: []LiveEvent{active}},
			},
			deadline: 4000,
		},
		{
			name: "unknown node is ignored",
			steps: []liveStep{
				{at: 0, heard: &Heard{Node: "node9", Link: "eth0", Status: "active"}, want: nil},
			},
			deadline: 12000,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLiveness(cfg, t0)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				var got []LiveEvent
				if s.heard != nil {
					got = l.Heard(*s.heard, ms(s.at))
				} else {
					got = l.Tick(ms(s.at))
				}
				if diff := cmp.Diff(s.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("step %d (at %d ms) (-want +got):\n%s", i, s.at, diff)
				}
			}
			want := time.Time{}
			if tc.deadline >= 0 {
				want = ms(tc.deadline)
			}
			if got := l.NextDeadline(); !got.Equal(want) {
				t.Errorf("NextDeadline = %v, want %v", got.Sub(t0), want.Sub(t0))
			}
		})
	}
}

func TestLivenessPingNode(t *testing.T) {
	l, err := NewLiveness(LivenessConfig{
		Nodes:    []WatchedNode{{Name: "10.0.0.254", Links: []string{"10.0.0.254"}, Ping: true}},
		Deadtime: 3 * time.Second, Warntime: time.Second, Initdead: 12 * time.Second, Deadping: 5 * time.Second,
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	l.Heard(Heard{Node: "10.0.0.254", Link: "10.0.0.254", Status: StatusPing, DT: time.Second}, ms(0))
	if st, _ := l.NodeStatus("10.0.0.254"); st != StatusPing {
		t.Errorf("status = %q, want ping", st)
	}
	if got := l.Deadtime("10.0.0.254"); got != 5*time.Second {
		t.Errorf("ping node dead time = %v, want deadping 5s (dt ignored)", got)
	}
	if got := l.Tick(ms(4999)); len(got) != 0 {
		t.Errorf("dead before deadping: %v", got)
	}
	if got := l.Tick(ms(5000)); len(got) == 0 || got[0].Kind != NodeDead {
		t.Errorf("not dead at deadping: %v", got)
	}
}

func TestLivenessQueries(t *testing.T) {
	l, err := NewLiveness(LivenessConfig{
		Nodes:    []WatchedNode{{Name: "node2", Links: []string{"eth0"}}},
		Deadtime: 3 * time.Second, Warntime: time.Second, Initdead: 12 * time.Second,
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := l.LinkStatus("node2", "eth0"); !ok || st != "dead" {
		t.Errorf("initial link = %q %v, want dead", st, ok)
	}
	if st, _ := l.NodeStatus("node2"); st != "init" {
		t.Errorf("initial node = %q, want init", st)
	}
	l.Heard(Heard{Node: "node2", Link: "eth0", Status: "active"}, ms(0))
	if st, _ := l.LinkStatus("node2", "eth0"); st != "up" {
		t.Errorf("link = %q, want up", st)
	}
	if _, ok := l.LinkStatus("node2", "eth9"); ok {
		t.Error("unknown link reported known")
	}
	if _, ok := l.NodeStatus("node9"); ok {
		t.Error("unknown node reported known")
	}
	if _, err := NewLiveness(LivenessConfig{Deadtime: time.Second}, t0); err == nil {
		t.Error("zero warntime/initdead accepted")
	}
	if _, err := NewLiveness(LivenessConfig{Nodes: []WatchedNode{{Name: "a"}, {Name: "a"}},
		Deadtime: 3 * time.Second, Warntime: time.Second, Initdead: 12 * time.Second}, t0); err == nil {
		t.Error("duplicate node accepted")
	}
}

// TestLivenessSetTimes: reloaded times apply from the next check, never
// undo a past decision.
func TestLivenessSetTimes(t *testing.T) {
	type set struct{ dead, initdead time.Duration }
	tests := []struct {
		name  string
		heard bool // node2 sent a status at 0 ms
		set   set  // applied at 500 ms
		tick  int  // ms
		want  string
	}{
		{name: "shorter deadtime kills at the new time", heard: true, set: set{time.Second, 12 * time.Second}, tick: 1000, want: "dead"},
		{name: "longer deadtime keeps it alive", heard: true, set: set{6 * time.Second, 12 * time.Second}, tick: 4000, want: "active"},
		{name: "shorter initdead for a node never heard", set: set{3 * time.Second, 2 * time.Second}, tick: 2000, want: "dead"},
		{name: "initdead no longer matters once heard", heard: true, set: set{3 * time.Second, time.Second}, tick: 2000, want: "active"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLiveness(LivenessConfig{Nodes: []WatchedNode{{Name: "node2", Links: []string{"eth0"}}},
				Deadtime: 3 * time.Second, Warntime: time.Second, Initdead: 12 * time.Second}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.heard {
				l.Heard(*hb("eth0"), ms(0))
			}
			if err := l.SetTimes(tc.set.dead, time.Second/2, tc.set.initdead, 0); err != nil {
				t.Fatal(err)
			}
			l.Tick(ms(tc.tick))
			if got, _ := l.NodeStatus("node2"); got != tc.want {
				t.Errorf("status at %d ms = %s, want %s", tc.tick, got, tc.want)
			}
		})
	}
	t.Run("not retroactive: a dead node stays dead", func(t *testing.T) {
		l, _ := NewLiveness(LivenessConfig{Nodes: []WatchedNode{{Name: "node2", Links: []string{"eth0"}}},
			Deadtime: 3 * time.Second, Warntime: time.Second, Initdead: 12 * time.Second}, t0)
		l.Heard(*hb("eth0"), ms(0))
		if evs := l.Tick(ms(3000)); len(evs) == 0 {
			t.Fatal("not dead at deadtime")
		}
		l.SetTimes(30*time.Second, time.Second, 12*time.Second, 0)
		if evs := l.Tick(ms(4000)); len(evs) != 0 {
			t.Errorf("events after a longer deadtime: %+v", evs)
		}
		if got, _ := l.NodeStatus("node2"); got != "dead" {
			t.Errorf("status = %s, want dead", got)
		}
	})
	if err := (&Liveness{}).SetTimes(0, time.Second, time.Second, 0); err == nil {
		t.Error("zero deadtime accepted")
	}
}
