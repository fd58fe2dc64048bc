package r1

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Tests for the review findings: orphan logging, HoldClasses after a
// takeover, and a stop that leaves resources running.

// machine returns node1's machine over groups, settled (comm up, peer alive
// and stable, told we are stable) with the given groups running here.
func machine(t *testing.T, groups []Group, run ...string) *Ownership {
	t.Helper()
	o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: groups, AutoFailback: FailbackOff})
	if err != nil {
		t.Fatal(err)
	}
	stable(&o.st)
	running(&o.st, run...)
	return o
}

// steps applies evs one second apart and returns every reason line.
func steps(o *Ownership, evs ...Event) []string {
	var lines []string
	for i, ev := range evs {
		res := o.Step(ev, t0.Add(time.Duration(i)*time.Second))
		if res.Reason != "" {
			lines = append(lines, strings.Split(res.Reason, "; ")...)
		}
	}
	return lines
}

func count(lines []string, want string) int {
	n := 0
	for _, l := range lines {
		if l == want {
			n++
		}
	}
	return n
}

func TestNoOneOwnsLocalOncePerEpisode(t *testing.T) {
	peerStable := peer(Message{Type: TypeResource, Hold: HoldNone, Full: true, Stable: Stable})
	tick := Event{Kind: EvTick}
	tests := []struct {
		name   string
		groups []Group
		evs    []Event
		want   int // MsgNoOneOwnsLocal lines
	}{
		{name: "no local groups: never", groups: []Group{{Key: "ip2", Preferred: "node2"}},
			evs: []Event{peerStable, tick, peerStable, tick, peerStable}, want: 0},
		{name: "local groups orphaned: once, then taken", groups: testGroups,
			evs: []Event{peerStable, tick, peerStable, peerStable}, want: 1},
		{name: "start fails: no second episode for the failed group", groups: []Group{{Key: "ip1", Preferred: "node1"}},
			evs: []Event{peerStable, {Kind: EvStartFailed, Group: "ip1"}, peerStable, tick, peerStable}, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := machine(t, tc.groups)
			lines := steps(o, tc.evs...)
			if got := count(lines, MsgNoOneOwnsLocal); got != tc.want {
				t.Errorf("%q logged %d times, want %d\n%s", MsgNoOneOwnsLocal, got, tc.want, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestNoOneOwnsLocalNewEpisode(t *testing.T) {
	// Taken and running, then released by a standby that the peer
	// never completes (it answers our info=done with info=no_standby):
	// a new episode logs again.
	o := machine(t, []Group{{Key: "ip1", Preferred: "node1"}})
	peerStable := peer(Message{Type: TypeResource, Hold: HoldNone, Full: true, Stable: Stable})
	lines := steps(o, peerStable, Event{Kind: EvStartDone, Group: "ip1"},
		Event{Kind: EvStandby, Hold: HoldLocal}, peer(ask(HoldLocal, InfoOther)), Event{Kind: EvStopDone, Group: "ip1"},
		peer(resourceMsg(HoldNone, true, InfoNoStandby)))
	if got := count(lines, MsgNoOneOwnsLocal); got != 2 {
		t.Errorf("%q logged %d times, want 2 (one per episode)\n%s", MsgNoOneOwnsLocal, got, strings.Join(lines, "\n"))
	}
}

// TestHoldClasses: rscstatus is Heartbeat's i_hold_resources, a set of
// classes the protocol gave this node, whether or not haresources has a
// group of the class (hb_resource.c: mach_down sets HB_FOREIGN_RSC,
// req_our_resources HB_LOCAL_RSC, go_standby clears the set).
func TestHoldClasses(t *testing.T) {
	only1 := []Group{{Key: "ip1", Preferred: "node1"}}
	only2 := []Group{{Key: "ip2", Preferred: "node2"}}
	tests := []struct {
		name   string
		groups []Group
		run    []string
		evs    []Event
		want   Hold
	}{
		{name: "takeover, no foreign groups", groups: only1, run: []string{"ip1"},
			evs: []Event{{Kind: EvPeerDead}}, want: HoldAll},
		{name: "takeover, no local groups", groups: only2,
			evs: []Event{{Kind: EvPeerDead}}, want: HoldAll},
		{name: "takeover, both classes", groups: testGroups, run: []string{"ip1", "ip1b"},
			evs: []Event{{Kind: EvPeerDead}}, want: HoldAll},
		{name: "no takeover", groups: only1, run: []string{"ip1"}, want: HoldLocal},
		{name: "shutdone, no foreign groups", groups: only1, run: []string{"ip1"},
			evs: []Event{peer(Message{Type: TypeShutdone})}, want: HoldAll},
		{name: "shutdown gives all up", groups: only1, run: []string{"ip1"},
			evs: []Event{{Kind: EvPeerDead}, {Kind: EvShutdown}, {Kind: EvStopDone, Group: "ip1"}}, want: HoldNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := machine(t, tc.groups, tc.run...)
			steps(o, tc.evs...)
			if got := o.HoldClasses(); got != tc.want {
				t.Errorf("HoldClasses() = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestStopFailureHoldsTheGroup: a stop that leaves resources running must
// not tell the peer we released (it would start the VIP while we still
// hold it); the group stays held and its stop is retried.
func TestStopFailureHoldsTheGroup(t *testing.T) {
	o := machine(t, []Group{{Key: "ip1", Preferred: "node1"}}, "ip1")
	o.cfg.StopRetry = 5 * time.Second
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		ev   Event
		at   int
		want []Action
	}
	done := send(ask(HoldLocal, InfoDone))
	held := send(Message{Type: TypeResource, Hold: HoldLocal, Full: true, Stable: Unstable})
	for i, s := range []step{
		{ev: Event{Kind: EvStandby, Hold: HoldLocal}, want: []Action{send(ask(HoldLocal, InfoMe))}},
		{ev: peer(ask(HoldLocal, InfoOther)), at: 1, want: []Action{
			send(Message{Type: TypeResource, Hold: HoldNone, Full: true, Stable: Unstable, Info: "standby"}), stop("ip1")}},
		// The stop fails: no info=done; we say we still hold the group.
		{ev: Event{Kind: EvStopFailed, Group: "ip1"}, at: 2, want: []Action{held}},
		{ev: Event{Kind: EvTick}, at: 3},
		// Retried after StopRetry.
		{ev: Event{Kind: EvTick}, at: 7, want: []Action{stop("ip1")}},
		{ev: Event{Kind: EvStopFailed, Group: "ip1"}, at: 8, want: []Action{held}},
		{ev: Event{Kind: EvTick}, at: 13, want: []Action{stop("ip1")}},
		// Finally stopped: now the handshake completes.
		{ev: Event{Kind: EvStopDone, Group: "ip1"}, at: 14, want: []Action{done}},
	} {
		res := o.Step(s.ev, at(s.at))
		if diff := cmp.Diff(s.want, res.Actions); diff != "" {
			t.Fatalf("step %d (%v): actions (-want +got)\n%s\nreason: %s", i, s.ev.Kind, diff, res.Reason)
		}
		if s.ev.Kind == EvStopFailed {
			if !o.Holds("ip1") || o.HoldClasses() != HoldLocal || !strings.Contains(res.Reason, "still running") {
				t.Fatalf("step %d: after a failed stop: holds %t, classes %s, reason %q", i, o.Holds("ip1"), o.HoldClasses(), res.Reason)
			}
			if g := o.State().Groups[0]; !g.StopFailed || g.Phase != Running {
				t.Fatalf("step %d: group %+v, want StopFailed and Running", i, g)
			}
		}
	}
	if g := o.State().Groups[0]; g.StopFailed || g.Phase != Stopped {
		t.Errorf("after the stop: group %+v, want stopped", g)
	}
}

func TestStopFailureThenWantedAgain(t *testing.T) {
	// Released to the split-brain rule, the stop fails, then the peer
	// dies: the group is wanted again and started to bring back what the
	// failed stop took down.
	o := machine(t, []Group{{Key: "ip2", Preferred: "node2"}}, "ip2")
	steps(o, peer(Message{Type: TypeResource, Hold: HoldLocal, Full: true, Stable: Stable}))
	if g := o.State().Groups[0]; g.Want || g.Phase != Stopping {
		t.Fatalf("split brain: group %+v, want released and stopping", g)
	}
	res := o.Step(Event{Kind: EvStopFailed, Group: "ip2"}, t0.Add(time.Second))
	if !o.Holds("ip2") {
		t.Fatalf("after the failed stop the group is not held: %s", res.Reason)
	}
	res = o.Step(Event{Kind: EvPeerDead}, t0.Add(2*time.Second))
	if diff := cmp.Diff([]Action{start("ip2")}, res.Actions); diff != "" {
		t.Errorf("peer dead: actions (-want +got)\n%s", diff)
	}
}

func TestStartRollbackStuckIsHeld(t *testing.T) {
	// A failed start whose rollback could not stop a resource: held, not
	// handed to the peer until the stop succeeds.
	o := machine(t, []Group{{Key: "ip1", Preferred: "node1"}})
	o.cfg.StopRetry = 5 * time.Second
	steps(o, peer(Message{Type: TypeResource, Hold: HoldNone, Full: true, Stable: Stable}))
	res := o.Step(Event{Kind: EvStopFailed, Group: "ip1"}, t0.Add(time.Second))
	if !o.Holds("ip1") || o.HoldClasses() != HoldLocal {
		t.Fatalf("rollback stuck: holds %t, classes %s (%s)", o.Holds("ip1"), o.HoldClasses(), res.Reason)
	}
	res = o.Step(Event{Kind: EvTick}, t0.Add(6*time.Second))
	if diff := cmp.Diff([]Action{stop("ip1")}, res.Actions); diff != "" {
		t.Errorf("retry: actions (-want +got)\n%s", diff)
	}
}
