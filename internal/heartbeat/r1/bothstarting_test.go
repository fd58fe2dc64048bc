package r1

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestBothStarting: improvement 6. Both nodes starting, the peer's answer
// says it holds nothing: our local groups are taken at once, without
// RQSTDELAY; anything else waits as before.
func TestBothStarting(t *testing.T) {
	both := func(s *State) { s.R, s.PeerAlive = RBothStarting, true }
	tests := []struct {
		name   string
		groups []Group
		state  func(s *State)
		msg    Message
		want   []Action
		wantR  RState
		reason string
	}{
		{
			name: "peer starting and holding nothing: take our local groups now", state: both,
			msg:    resourceMsg(HoldNone, false, ""),
			want:   []Action{send(resourceMsg(HoldLocal, true, "")), start("ip1"), start("ip1b")},
			wantR:  RStable,
			reason: "node2 is starting too and holds nothing: taking our local resource groups without waiting; local resource transition completed.",
		},
		{
			name: "no local groups: stable, nothing to start", groups: []Group{{Key: "ip2", Preferred: "node2"}}, state: both,
			msg:   resourceMsg(HoldNone, false, ""),
			want:  []Action{send(resourceMsg(HoldNone, true, ""))},
			wantR: RStable,
		},
		{
			name: "peer's t=starting not seen: wait for RQSTDELAY",
			state: func(s *State) {
				s.R, s.PeerAlive = RStarting, true
			},
			msg: resourceMsg(HoldNone, false, ""), wantR: RRscRcvd,
		},
		{
			name: "peer holds something: wait", state: both,
			msg: resourceMsg(HoldForeign, false, ""), wantR: RRscRcvd,
		},
		{
			name: "partial update: wait", state: both,
			msg: Message{Type: TypeResource, Hold: HoldNone, Stable: Unstable}, wantR: RRscRcvd,
		},
		{
			name: "no isstable (mach_down's message): wait", state: both,
			msg: Message{Type: TypeResource, Hold: HoldNone, Full: true}, wantR: RRscRcvd,
		},
		{
			name: "second answer after RRscRcvd: no longer both starting", state: func(s *State) { s.R, s.PeerAlive = RRscRcvd, true },
			msg: resourceMsg(HoldNone, false, ""), wantR: RRscRcvd,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			groups := tc.groups
			if groups == nil {
				groups = testGroups
			}
			o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: groups, AutoFailback: FailbackOn})
			if err != nil {
				t.Fatal(err)
			}
			tc.state(&o.st)
			res := o.Step(peer(tc.msg), t0)
			if diff := cmp.Diff(tc.want, res.Actions, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("actions (-want +got):\n%s\nreason: %s", diff, res.Reason)
			}
			if o.st.R != tc.wantR {
				t.Errorf("R = %d, want %d", o.st.R, tc.wantR)
			}
			if tc.reason != "" && res.Reason != tc.reason {
				t.Errorf("reason %q, want %q", res.Reason, tc.reason)
			}
		})
	}
}

// TestBothStartingWithHeartbeat306 plays a Heartbeat 3.0.6 peer's side of
// a joint start, message for message (hb_resource.c process_resources and
// req_our_resources), against node1. node1 takes only its own groups
// before any timer runs, and its t=resource isstable=1 is what lets the
// 3.0.6 peer take its own local group (ip2) at once; node1 never starts
// ip2 and never stops its own.
func TestBothStartingWithHeartbeat306(t *testing.T) {
	for _, af := range []AutoFailback{FailbackOn, FailbackOff} {
		o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: testGroups, AutoFailback: af})
		if err != nil {
			t.Fatal(err)
		}
		var acts []Action
		do := func(ev Event) {
			acts = append(acts, o.Step(ev, t0).Actions...)
		}
		do(Event{Kind: EvStart, PeerAlive: true})
		// 3.0.6 comm_now_up: send_local_starting; then its answer to our
		// t=starting: hb_send_resources_held(resourcestate == HB_R_STABLE)
		// with i_hold_resources still 0.
		do(peer(Message{Type: TypeStarting}))
		do(peer(resourceMsg(HoldNone, false, "")))
		// Without a timer, only our isstable=1 moves the 3.0.6 peer on.
		if !slices.ContainsFunc(acts, func(a Action) bool {
			return a.Kind == ActSend && a.Msg.Type == TypeResource && a.Msg.Stable == Stable
		}) {
			t.Fatalf("mode %d: node1 did not say isstable=1 without a timer: %+v", af, acts)
		}
		do(Event{Kind: EvStartDone, Group: "ip1"})
		do(Event{Kind: EvStartDone, Group: "ip1b"})
		// Our isstable=1 reaches it in HB_R_RSCRCVD: "remote resource
		// transition completed.", hb_send_resources_held(FALSE) (not yet
		// stable), req_our_resources(FALSE) sets HB_LOCAL_RSC, and
		// hb_send_resources_held(TRUE).
		do(peer(resourceMsg(HoldNone, false, "")))
		do(peer(resourceMsg(HoldLocal, true, "")))
		var ops []Action
		for _, a := range acts {
			if a.Kind == ActStart || a.Kind == ActStop {
				ops = append(ops, a)
			}
		}
		if diff := cmp.Diff([]Action{start("ip1"), start("ip1b")}, ops); diff != "" {
			t.Errorf("mode %d: group operations (-want +got):\n%s", af, diff)
		}
		if s := o.State(); s.R != RStable || !s.PeerStable || s.PeerHold != HoldLocal || o.HoldClasses() != HoldLocal {
			t.Errorf("mode %d: R=%d peer stable %t peer holds %s, we hold %s; want stable, local each", af, s.R, s.PeerStable, s.PeerHold, o.HoldClasses())
		}
		if d := o.NextDeadline(); !d.IsZero() {
			t.Errorf("mode %d: a timer is still set for %v", af, d.Sub(t0))
		}
	}
}

// TestStartTogetherWithoutWaiting: two hbd nodes starting together settle
// on their preferred groups by messages alone; the clock never moves.
func TestStartTogetherWithoutWaiting(t *testing.T) {
	for _, af := range []AutoFailback{FailbackOn, FailbackOff} {
		s := newSim(af, false)
		s.syncView(0)
		s.syncView(1)
		s.drain()
		if diff := cmp.Diff(preferredOwners, s.owners()); diff != "" {
			t.Errorf("mode %d: owners before any timer (-want +got):\n%s\n%s", af, diff, s.dump())
		}
		if s.now != t0 {
			t.Errorf("mode %d: clock moved to %v", af, s.now.Sub(t0))
		}
		for i := range 2 {
			if st := s.n[i].o.State(); st.R != RStable || !st.PeerStable {
				t.Errorf("mode %d: %s R=%d peer stable %t, want both stable", af, s.n[i].name, st.R, st.PeerStable)
			}
		}
	}
}
