package r1

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Standby handshakes against a Heartbeat 3.0.6 peer whose messages come
// from several processes. hb_resource.c's req_our_resources forks a child
// that runs the resource scripts and ends with "t=resource rsc_hold=...
// isstable=1 info=req_our_resources()"; the parent meanwhile is
// HB_R_STABLE and answers "ask_resources info=me" with info=other. So a
// 3.0.6 peer can say isstable=1 while it is inside a standby handshake,
// and only info=done (or a timeout) ends the handshake.

// childMsg is the 3.0.6 req_our_resources child's last message: node2 has
// no local groups, but the parent set HB_LOCAL_RSC before it forked.
var childMsg = resourceMsg(HoldLocal, true, InfoReqOurResources)

// script is one scripted step: an event for node1 at a time offset.
type script struct {
	name string
	ev   Event
}

func peerStep(name string, m Message) script { return script{name: name, ev: peer(m)} }

// runScript feeds steps to o one millisecond apart and returns every
// action with the name of the step that caused it.
func runScript(o *Ownership, steps []script) []string {
	var trace []string
	for i, s := range steps {
		res := o.Step(s.ev, t0.Add(time.Duration(i)*time.Millisecond))
		for _, a := range res.Actions {
			trace = append(trace, fmt.Sprintf("%s: %s", s.name, actionString(a)))
		}
	}
	return trace
}

func actionString(a Action) string {
	switch a.Kind {
	case ActStart:
		return "start " + a.Group
	case ActStop:
		return "stop " + a.Group
	case ActAnnounce:
		return "announce " + a.Group
	}
	m := a.Msg
	switch m.Type {
	case TypeResource:
		return fmt.Sprintf("send resource %s stable=%t info=%q", m.Hold, m.Stable == Stable, m.Info)
	case TypeAskResources:
		return fmt.Sprintf("send ask_resources %s info=%s", m.Hold, m.Info)
	}
	return "send " + string(m.Type)
}

// insertAt returns steps with s inserted before index i.
func insertAt(steps []script, i int, s script) []script {
	return slices.Insert(slices.Clone(steps), i, s)
}

// TestStandbyAtStartupMixedRequester is the interleaving of
// TestMixedStandbyAtStartup (test/interop): hbd (node1, preferred) takes
// its group at start-up, hb_standby all is given at once, and the 3.0.6
// peer's late req_our_resources() message arrives somewhere in the
// handshake. Wherever it arrives, node1 must end holding nothing and must
// never start its group again after releasing it: the peer acquires it on
// our info=done.
func TestStandbyAtStartupMixedRequester(t *testing.T) {
	groups := []Group{{Key: "ip1", Preferred: "node1"}}
	base := []script{
		{"start", Event{Kind: EvStart, PeerAlive: true}},
		peerStep("peer starting", Message{Type: TypeStarting}),
		// 3.0.6 in HB_R_BOTHSTARTING answers with isstable=0.
		peerStep("peer resource none/0", resourceMsg(HoldNone, false, "")),
		{"ip1 started", Event{Kind: EvStartDone, Group: "ip1"}},
		// Our isstable=1: "remote resource transition completed." with
		// hb_send_resources_held(HB_R_RSCRCVD == STABLE), then
		// req_our_resources (HB_LOCAL_RSC set, child forked) and
		// hb_send_resources_held(TRUE).
		peerStep("peer resource none/0 again", resourceMsg(HoldNone, false, "")),
		peerStep("peer resource local/1", resourceMsg(HoldLocal, true, "")),
		{"hb_standby all", Event{Kind: EvStandby, Hold: HoldAll}},
		peerStep("peer other", ask(HoldAll, InfoOther)),
		{"ip1 stopped", Event{Kind: EvStopDone, Group: "ip1"}},
		peerStep("peer done", ask(HoldAll, InfoDone)),
		// DONE state, msgfromme: i_hold_resources |= HB_ALL_RSC.
		peerStep("peer resource all/1", resourceMsg(HoldAll, true, "")),
	}
	standby := slices.IndexFunc(base, func(s script) bool { return s.name == "hb_standby all" })
	for at := standby + 1; at <= len(base); at++ {
		where := "at the end"
		if at < len(base) {
			where = "before " + base[at].name
		}
		t.Run("child message "+where, func(t *testing.T) {
			o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: groups, AutoFailback: FailbackOn})
			if err != nil {
				t.Fatal(err)
			}
			trace := runScript(o, insertAt(base, at, script{"peer child resource local/1", peer(childMsg)}))
			after := false
			var bad []string
			for _, l := range trace {
				after = after || strings.HasPrefix(l, "hb_standby all:")
				if after && strings.HasSuffix(l, ": start ip1") {
					bad = append(bad, l)
				}
			}
			if len(bad) != 0 || o.Holds("ip1") {
				t.Errorf("node1 holds ip1 = %t, restarts after the standby: %q\ntrace:\n%s",
					o.Holds("ip1"), bad, strings.Join(trace, "\n"))
			}
			if !slices.Contains(trace, "ip1 stopped: send ask_resources all info=done") {
				t.Errorf("info=done never sent\ntrace:\n%s", strings.Join(trace, "\n"))
			}
			if st := o.State(); st.Standby != StandbyNot {
				t.Errorf("standby state %d at the end, want StandbyNot", st.Standby)
			}
		})
	}
}

// TestStandbyAtStartupMixedAcquirer is the mirror: the 3.0.6 peer (node1,
// preferred) asks for standby right after its start-up while its
// req_our_resources child still runs. hbd (node2) answers info=other and
// must acquire the set on the peer's info=done whenever the child's
// isstable=1 arrives.
func TestStandbyAtStartupMixedAcquirer(t *testing.T) {
	groups := []Group{{Key: "ip1", Preferred: "node1"}}
	base := []script{
		peerStep("peer me", ask(HoldAll, InfoMe)),
		peerStep("peer resource none/0 standby", resourceMsg(HoldNone, false, "standby")),
		peerStep("peer done", ask(HoldAll, InfoDone)),
		{"ip1 started", Event{Kind: EvStartDone, Group: "ip1"}},
	}
	for at := 1; at <= len(base); at++ {
		where := "at the end"
		if at < len(base) {
			where = "before " + base[at].name
		}
		t.Run("child message "+where, func(t *testing.T) {
			o, err := NewOwnership(Config{Local: "node2", Peer: "node1", Groups: groups, AutoFailback: FailbackOn})
			if err != nil {
				t.Fatal(err)
			}
			stable(&o.st)
			child := resourceMsg(HoldLocal, true, InfoReqOurResources)
			trace := runScript(o, insertAt(base, at, script{"peer child resource local/1", peer(child)}))
			want := []string{
				"peer me: send ask_resources all info=other",
				"peer done: start ip1",
				"ip1 started: send ask_resources all info=done",
			}
			var got []string
			for _, l := range trace {
				if strings.Contains(l, "ask_resources") || strings.Contains(l, "start ip1") {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("handshake (-want +got):\n%s\ntrace:\n%s", diff, strings.Join(trace, "\n"))
			}
			if !o.Holds("ip1") {
				t.Errorf("node2 does not hold ip1 after the handshake\ntrace:\n%s", strings.Join(trace, "\n"))
			}
		})
	}
}

// TestHandshakeEnd: which messages end a standby handshake that waits for
// the peer. isstable=1 never does (a 3.0.6 peer says it inside one); an
// hbd peer that is in no handshake says so with info=no_standby in reply
// to our step, which ends the handshake in the states where we wait for
// the peer's next step.
func TestHandshakeEnd(t *testing.T) {
	type state func(s *State)
	requesterDone := func(s *State) {
		stable(s)
		s.Standby, s.StandbySet, s.StandbyUntil, s.PeerStable = StandbyDone, HoldLocal, t0.Add(time.Hour), false
	}
	requesterStopping := func(s *State) {
		stable(s)
		s.Groups[0].Phase, s.Groups[1].Phase = Stopping, Stopping
		s.Standby, s.StandbySet, s.doneOnStop, s.PeerStable = StandbyMe, HoldLocal, true, false
		s.StandbyUntil = t0.Add(time.Hour)
	}
	acquirerWaiting := func(s *State) {
		stable(s)
		running(s, "ip1", "ip1b")
		s.Standby, s.StandbySet, s.StandbyUntil, s.PeerStable = StandbyOther, HoldLocal, t0.Add(time.Hour), false
	}
	acquirerStarting := func(s *State) {
		stable(s)
		running(s, "ip1", "ip1b")
		s.Groups[2].Want, s.Groups[2].Phase = true, Starting
		s.Standby, s.StandbySet, s.doneOnStart, s.PeerStable = StandbyDone, HoldLocal, true, false
		s.StandbyUntil = t0.Add(time.Hour)
	}
	left := resourceMsg(HoldNone, true, InfoNoStandby)
	tests := []struct {
		name      string
		state     state
		msg       Message
		wantStill bool     // still in the handshake
		wantStart []string // groups started
	}{
		{"requester done, plain isstable=1", requesterDone, resourceMsg(HoldLocal, true, ""), true, nil},
		{"requester done, 3.0.6 child", requesterDone, childMsg, true, nil},
		{"requester done, peer left", requesterDone, left, false, []string{"ip1", "ip1b"}},
		{"requester stopping, plain isstable=1", requesterStopping, resourceMsg(HoldNone, true, ""), true, nil},
		{"requester stopping, peer left: stale, our done is still owed", requesterStopping, left, true, nil},
		{"acquirer waiting, plain isstable=1", acquirerWaiting, resourceMsg(HoldLocal, true, ""), true, nil},
		{"acquirer waiting, 3.0.6 child", acquirerWaiting, childMsg, true, nil},
		{"acquirer waiting, peer left", acquirerWaiting, resourceMsg(HoldLocal, true, InfoNoStandby), false, nil},
		{"acquirer starting, peer left: our done is owed", acquirerStarting, left, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: testGroups, AutoFailback: FailbackOn})
			if err != nil {
				t.Fatal(err)
			}
			tc.state(&o.st)
			res := o.Step(peer(tc.msg), t0)
			if still := o.st.Standby != StandbyNot; still != tc.wantStill {
				t.Errorf("in handshake = %t, want %t (%s)", still, tc.wantStill, res.Reason)
			}
			var started []string
			for _, a := range res.Actions {
				if a.Kind == ActStart {
					started = append(started, a.Group)
				}
			}
			if diff := cmp.Diff(tc.wantStart, started); diff != "" {
				t.Errorf("started (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNoStandbyReply: a node in no handshake that receives a handshake
// step (other, done) says so with t=resource info=no_standby, whatever
// its stability; info=me is answered as before.
func TestNoStandbyReply(t *testing.T) {
	tests := []struct {
		name  string
		state func(s *State)
		msg   Message
		want  []Action
	}{
		{"other while stable", stable, ask(HoldLocal, InfoOther),
			[]Action{send(resourceMsg(HoldNone, true, InfoNoStandby))}},
		{"done while stable", stable, ask(HoldLocal, InfoDone),
			[]Action{send(resourceMsg(HoldNone, true, InfoNoStandby))}},
		{"other while the peer is in flux", func(s *State) { stable(s); s.PeerStable = false }, ask(HoldLocal, InfoOther),
			[]Action{send(resourceMsg(HoldNone, true, InfoNoStandby))}},
		{"done while negotiating", func(s *State) { s.R, s.PeerAlive = RRscRcvd, true }, ask(HoldLocal, InfoDone),
			[]Action{send(resourceMsg(HoldNone, false, InfoNoStandby))}},
		{"me while the peer is in flux: plain answer", func(s *State) { stable(s); s.PeerStable = false }, ask(HoldLocal, InfoMe),
			[]Action{send(resourceMsg(HoldNone, true, ""))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: testGroups, AutoFailback: FailbackOn})
			if err != nil {
				t.Fatal(err)
			}
			tc.state(&o.st)
			res := o.Step(peer(tc.msg), t0)
			if diff := cmp.Diff(tc.want, res.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s\n%s", diff, res.Reason)
			}
		})
	}
}

// TestLateHandshakeStep: Heartbeat delivers a message recovered by
// retransmission after newer ones (the interop lab lost the peer's
// "ask_resources info=done", seq 63, and got its t=resource, seq 64,
// first). A late t=resource is stale state and ignored, but a late
// handshake step is an event that nothing newer replaces: it is applied.
func TestLateHandshakeStep(t *testing.T) {
	o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: testGroups, AutoFailback: FailbackOn})
	if err != nil {
		t.Fatal(err)
	}
	stable(&o.st)
	o.st.Standby, o.st.StandbySet, o.st.StandbyUntil, o.st.PeerStable = StandbyDone, HoldAll, t0.Add(time.Hour), false
	o.Step(Event{Kind: EvPeerMsg, Msg: resourceMsg(HoldAll, true, ""), Seq: 64}, t0)
	res := o.Step(Event{Kind: EvPeerMsg, Msg: ask(HoldAll, InfoDone), Seq: 63}, t0)
	if o.st.Standby != StandbyNot {
		t.Errorf("late info=done not applied: standby state %d (%s)", o.st.Standby, res.Reason)
	}
	res = o.Step(Event{Kind: EvPeerMsg, Msg: resourceMsg(HoldNone, false, "standby"), Seq: 62}, t0)
	if want := "ignored stale resource from node2 (seq 62 < 64)"; res.Reason != want {
		t.Errorf("late t=resource: reason %q, want %q", res.Reason, want)
	}
}
