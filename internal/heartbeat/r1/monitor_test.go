package r1

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestResourceFailed: the engine's monitor gives a running group up. The
// group is stopped first, its class stays claimed until the stop is done,
// then it is handed to the peer at once (standby, or legacy ip-request-resp).
func TestResourceFailed(t *testing.T) {
	type step struct {
		ev     Event
		at     time.Duration
		want   []Action
		reason string
		hold   Hold // myHold after the step
	}
	failed := Event{Kind: EvResourceFailed, Group: "ip2"}
	holdAll := func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2") }
	tests := []struct {
		name  string
		af    AutoFailback
		state func(s *State)
		steps []step
	}{
		{
			name: "auto_failback on: stop, then standby of the class", af: FailbackOn, state: holdAll,
			steps: []step{
				{ev: failed, want: []Action{stop("ip2")}, reason: "resource group ip2 failed while running; stopping it and giving it up", hold: HoldAll},
				{ev: Event{Kind: EvStopDone, Group: "ip2"}, at: time.Second, want: []Action{send(resourceMsg(HoldLocal, true, ""))}, hold: HoldLocal},
				{ev: Event{Kind: EvTick}, at: time.Second, want: []Action{send(ask(HoldForeign, InfoMe))}, reason: "node1 wants to go standby [foreign]", hold: HoldLocal},
			},
		},
		{
			name: "legacy: stop, then ip-request-resp weown=yes", af: FailbackLegacy, state: holdAll,
			steps: []step{
				{ev: failed, want: []Action{stop("ip2")}, hold: HoldAll},
				{ev: Event{Kind: EvStopDone, Group: "ip2"}, at: time.Second, want: []Action{send(resourceMsg(HoldLocal, true, ""))}, hold: HoldLocal},
				{ev: Event{Kind: EvTick}, at: time.Second,
					want:   []Action{send(Message{Type: TypeIPRequestResp, Dest: "node2", Group: "ip2", WeOwn: true, OK: true})},
					reason: "handing failed group ip2 to node2", hold: HoldLocal},
			},
		},
		{
			name: "a group not running is left alone", af: FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1", "ip1b")
				s.Groups[2].Want, s.Groups[2].Phase = true, Starting
			},
			steps: []step{{ev: failed, hold: HoldAll}},
		},
		{
			name: "wanted again before the stop completed: started again, not handed over", af: FailbackOn, state: holdAll,
			steps: []step{
				{ev: failed, want: []Action{stop("ip2")}, hold: HoldAll},
				{ev: Event{Kind: EvPeerDead}, at: time.Second, reason: "Dead node node2 gave up resources.", hold: HoldAll},
				{ev: Event{Kind: EvStopDone, Group: "ip2"}, at: 2 * time.Second, want: []Action{start("ip2")}, hold: HoldAll},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := node1(t, tc.af, tc.state)
			for i, st := range tc.steps {
				res := o.Step(st.ev, t0.Add(st.at))
				if diff := cmp.Diff(st.want, res.Actions, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("step %d %v: actions (-want +got):\n%s\nreason: %s", i, st.ev.Kind, diff, res.Reason)
				}
				if st.reason != "" && !contains(res.Lines, st.reason) {
					t.Errorf("step %d: lines %q lack %q", i, res.Lines, st.reason)
				}
				if got := o.myHold(); got != st.hold {
					t.Errorf("step %d: rsc_hold %s, want %s", i, got, st.hold)
				}
			}
			if o.st.PendingGiveUp != HoldNone {
				t.Errorf("a give-up is still pending: %s", o.st.PendingGiveUp)
			}
		})
	}
}

func contains(lines []Line, s string) bool {
	for _, l := range lines {
		if l.Text == s {
			return true
		}
	}
	return false
}
