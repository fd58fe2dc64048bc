package r1

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var testGroups = []Group{{Key: "ip1", Preferred: "node1"}, {Key: "ip1b", Preferred: "node1"}, {Key: "ip2", Preferred: "node2"}}

// node1 returns node1's machine with its state shaped by set.
func node1(t *testing.T, af AutoFailback, set func(s *State)) *Ownership {
	t.Helper()
	o, err := NewOwnership(Config{Local: "node1", Peer: "node2", Groups: testGroups, AutoFailback: af})
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(&o.st)
	}
	return o
}

// running marks the groups wanted and running.
func running(s *State, keys ...string) {
	for _, k := range keys {
		for i := range s.Groups {
			if s.Groups[i].Key == k {
				s.Groups[i].Want, s.Groups[i].Phase = true, Running
			}
		}
	}
}

// stable: comm up, peer alive and stable, and told we are stable.
func stable(s *State) { s.R, s.PeerAlive, s.PeerStable, s.sentStable = RStable, true, true, true }

func start(k string) Action { return Action{Kind: ActStart, Group: k} }
func stop(k string) Action  { return Action{Kind: ActStop, Group: k} }
func announce(k string) Action {
	return Action{Kind: ActAnnounce, Group: k}
}
func send(m Message) Action { return Action{Kind: ActSend, Msg: m} }
func peer(m Message) Event  { return Event{Kind: EvPeerMsg, Msg: m} }
func ask(h Hold, info string) Message {
	return Message{Type: TypeAskResources, Hold: h, Info: info}
}

func TestOwnershipStep(t *testing.T) {
	tests := []struct {
		name    string
		af      AutoFailback
		state   func(s *State)
		ev      Event
		at      time.Duration // since t0
		want    []Action
		reason  string // substring of the reason
		check   func(t *testing.T, s State)
		wantNot string // reason must not contain
	}{
		{
			name: "alone at start takes everything and is stable",
			af:   FailbackOn, ev: Event{Kind: EvStart, PeerAlive: false},
			want:   []Action{start("ip1"), start("ip1b"), start("ip2")},
			reason: "Resources being acquired from node2.",
			check: func(t *testing.T, s State) {
				if s.R != RStable || !s.NeedsFailback {
					t.Errorf("R=%d NeedsFailback=%t, want stable and needing failback", s.R, s.NeedsFailback)
				}
			},
		},
		{
			name: "peer heard at start: send starting",
			af:   FailbackOn, ev: Event{Kind: EvStart, PeerAlive: true},
			want: []Action{send(Message{Type: TypeStarting})}, reason: "sent starting",
			check: func(t *testing.T, s State) {
				if s.R != RStarting {
					t.Errorf("R=%d, want RStarting", s.R)
				}
			},
		},
		{
			name: "legacy start asks for the local groups with ip-request",
			af:   FailbackLegacy, ev: Event{Kind: EvStart, PeerAlive: true},
			want: []Action{send(Message{Type: TypeIPRequest, Group: "ip1"}), send(Message{Type: TypeIPRequest, Group: "ip1b"})},
		},
		{
			name:  "stable peer holding all: our local stays there",
			af:    FailbackOn,
			state: func(s *State) { s.R, s.PeerAlive = RStarting, true },
			ev:    peer(resourceMsg(HoldAll, true, "")),
			want: []Action{
				send(resourceMsg(HoldNone, false, "")),
				send(resourceMsg(HoldNone, true, "")),
			},
			reason: "Local Resource acquisition completed. (none)",
		},
		{
			name:  "stable peer holding its local: take ours",
			af:    FailbackOff,
			state: func(s *State) { s.R, s.PeerAlive = RStarting, true },
			ev:    peer(resourceMsg(HoldLocal, true, "")),
			want: []Action{
				send(resourceMsg(HoldNone, false, "")),
				send(resourceMsg(HoldLocal, true, "")),
				start("ip1"), start("ip1b"),
			},
			reason: "remote resource transition completed.",
		},
		{
			name: "auto_failback on: hand foreign groups back once the peer is stable",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				s.PeerStable, s.NeedsFailback = false, true
				running(s, "ip1", "ip1b", "ip2")
			},
			ev: peer(resourceMsg(HoldNone, true, "")),
			want: []Action{
				send(resourceMsg(HoldAll, true, "")),
				send(ask(HoldForeign, InfoMe)),
			},
			reason: "node1 wants to go standby [foreign]",
		},
		{
			name: "auto_failback off: foreign groups stay",
			af:   FailbackOff,
			state: func(s *State) {
				stable(s)
				s.PeerStable, s.NeedsFailback = false, true
				running(s, "ip1", "ip1b", "ip2")
			},
			ev:      peer(resourceMsg(HoldNone, true, "")),
			want:    []Action{send(resourceMsg(HoldAll, true, ""))},
			wantNot: "standby",
		},
		{
			name:  "legacy: ip-request for a group we hold stops it",
			af:    FailbackLegacy,
			state: func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2") },
			ev:    peer(Message{Type: TypeIPRequest, Group: "ip2"}),
			want:  []Action{stop("ip2")}, reason: "ip-request ip2: giving it up to node2",
		},
		{
			name: "legacy: the answer follows the stop",
			af:   FailbackLegacy,
			state: func(s *State) {
				stable(s)
				running(s, "ip1", "ip1b")
				s.Groups[2].Phase = Stopping
				s.ipResp = map[string]bool{"ip2": true}
			},
			ev:   Event{Kind: EvStopDone, Group: "ip2"},
			want: []Action{send(Message{Type: TypeIPRequestResp, Dest: "node2", Group: "ip2", WeOwn: true, OK: true})},
		},
		{
			name:  "legacy: ip-request for a group we do not hold",
			af:    FailbackLegacy,
			state: func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:    peer(Message{Type: TypeIPRequest, Group: "ip2"}),
			want:  []Action{send(Message{Type: TypeIPRequestResp, Dest: "node2", Group: "ip2", OK: true})},
		},
		{
			name:  "legacy: an OK answer starts the group",
			af:    FailbackLegacy,
			state: func(s *State) { stable(s); s.asked = map[string]bool{"ip1": true} },
			ev:    peer(Message{Type: TypeIPRequestResp, Dest: "node1", Group: "ip1", WeOwn: true, OK: true}),
			want:  []Action{send(resourceMsg(HoldLocal, true, "")), start("ip1")},
		},
		{
			name:   "peer death takes its groups",
			af:     FailbackOn,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:     Event{Kind: EvPeerDead},
			want:   []Action{start("ip2")},
			reason: "Resources being acquired from node2.",
		},
		{
			name:   "peer death while holding all",
			af:     FailbackOff,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2") },
			ev:     Event{Kind: EvPeerDead},
			reason: "Dead node node2 gave up resources.",
		},
		{
			name:   "hb_standby local starts the handshake",
			af:     FailbackOn,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:     Event{Kind: EvStandby, Hold: HoldLocal},
			want:   []Action{send(ask(HoldLocal, InfoMe))},
			reason: "node1 wants to go standby [local]",
		},
		{
			name:   "hb_standby is refused while the peer is in flux",
			af:     FailbackOn,
			state:  func(s *State) { stable(s); s.PeerStable = false; running(s, "ip1", "ip1b") },
			ev:     Event{Kind: EvStandby, Hold: HoldAll},
			reason: "standby message [me] from node1 ignored.  Other side is in flux.",
		},
		{
			name:   "hb_standby does not exist in legacy",
			af:     FailbackLegacy,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:     Event{Kind: EvStandby, Hold: HoldAll},
			reason: "Standby mode only implemented when nice_failback on",
		},
		{
			name: "peer says other: release the set",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1", "ip1b")
				s.Standby, s.StandbySet, s.StandbyUntil = StandbyMe, HoldLocal, t0.Add(10*time.Second)
			},
			ev:     peer(ask(HoldLocal, InfoOther)),
			want:   []Action{send(resourceMsg(HoldNone, false, "standby")), stop("ip1"), stop("ip1b")},
			reason: "standby: node2 can take our local resources",
		},
		{
			name: "released: send done",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				s.Groups[0].Phase = Stopping
				s.Standby, s.StandbySet, s.doneOnStop = StandbyMe, HoldLocal, true
			},
			ev:     Event{Kind: EvStopDone, Group: "ip1"},
			want:   []Action{send(ask(HoldLocal, InfoDone))},
			reason: "Local standby process completed [local].",
		},
		{
			name: "peer standby done: acquire its set in our words",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip2")
				s.Standby, s.StandbySet = StandbyOther, HoldForeign
			},
			ev:     peer(ask(HoldForeign, InfoDone)),
			want:   []Action{start("ip1"), start("ip1b")},
			reason: "standby: acquire [foreign] resources from node2",
		},
		{
			name: "acquired: send done and a stable resource message",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1b", "ip2")
				s.Groups[0].Want, s.Groups[0].Phase = true, Starting
				s.Standby, s.StandbySet, s.doneOnStart = StandbyDone, HoldForeign, true
			},
			ev:     Event{Kind: EvStartDone, Group: "ip1"},
			want:   []Action{send(ask(HoldForeign, InfoDone)), send(resourceMsg(HoldAll, true, ""))},
			reason: "Standby resource acquisition done [foreign].",
		},
		{
			name:   "peer hb_takeover local: we go standby foreign",
			af:     FailbackOff,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2") },
			ev:     peer(Message{Type: TypeTakeover, Hold: HoldLocal}),
			want:   []Action{send(ask(HoldForeign, InfoMe))},
			reason: "node1 wants to go standby [foreign]",
		},
		{
			name:  "local hb_takeover sends the request",
			af:    FailbackOff,
			state: func(s *State) { stable(s) },
			ev:    Event{Kind: EvTakeover, Hold: HoldAll},
			want:  []Action{send(Message{Type: TypeTakeover, Hold: HoldAll})},
		},
		{
			name: "standby with no reply is cancelled",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1", "ip1b")
				s.Standby, s.StandbyUntil, s.sentStable = StandbyMe, t0, false
			},
			ev: Event{Kind: EvTick}, at: time.Second,
			// hbd: the peer learns at once that we are stable again.
			want:   []Action{send(resourceMsg(HoldLocal, true, ""))},
			reason: "No reply to standby request.  Standby request cancelled.",
		},
		{
			name:  "nobody stable: take local after RQSTDELAY",
			af:    FailbackOn,
			state: func(s *State) { s.R, s.PeerAlive, s.RequestAt = RRscRcvd, true, t0.Add(10*time.Second) },
			ev:    Event{Kind: EvTick}, at: 10 * time.Second,
			want:   []Action{send(resourceMsg(HoldLocal, true, "")), start("ip1"), start("ip1b")},
			reason: "local resource transition completed.",
		},
		{
			name:   "split brain: keep the preferred groups, release the others",
			af:     FailbackOff,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2") },
			ev:     peer(resourceMsg(HoldAll, true, "")),
			want:   []Action{announce("ip1"), announce("ip1b"), send(resourceMsg(HoldLocal, true, "")), stop("ip2")},
			reason: "split brain: both nodes hold group ip1; keeping it (preferred node node1)",
		},
		{
			name: "split brain over: the keeper announces again",
			af:   FailbackOff,
			state: func(s *State) {
				stable(s)
				running(s, "ip1", "ip1b")
				s.Groups[0].keepAnnounce = true
			},
			ev:     peer(resourceMsg(HoldLocal, true, "")),
			want:   []Action{announce("ip1")},
			reason: "split brain over: node2 released group ip1",
		},
		{
			name: "failed start gives the group up",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1b")
				s.Groups[0].Want, s.Groups[0].Phase = true, Starting
			},
			ev:     Event{Kind: EvStartFailed, Group: "ip1"},
			want:   []Action{send(resourceMsg(HoldLocal, true, ""))},
			reason: "resource group ip1 failed to start; giving it up",
			check: func(t *testing.T, s State) {
				if s.PendingGiveUp != HoldLocal || !s.GiveUpAt.Equal(t0.Add(30*time.Second)) || !s.Groups[0].Failed {
					t.Errorf("pending %s at %v failed=%t, want local at +30s", s.PendingGiveUp, s.GiveUpAt.Sub(t0), s.Groups[0].Failed)
				}
			},
		},
		{
			name: "failed start: the class is handed to the peer",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				running(s, "ip1b")
				s.Groups[0].Failed = true
				s.PendingGiveUp, s.GiveUpAt = HoldLocal, t0.Add(30*time.Second)
			},
			ev: Event{Kind: EvTick}, at: 30 * time.Second,
			want: []Action{send(ask(HoldLocal, InfoMe))},
		},
		{
			name: "legacy failed start: ip-request-resp tells the peer to take it",
			af:   FailbackLegacy,
			state: func(s *State) {
				stable(s)
				s.Groups[0].Failed = true
				s.PendingGiveUp, s.GiveUpAt = HoldLocal, t0
			},
			ev:   Event{Kind: EvTick},
			want: []Action{send(Message{Type: TypeIPRequestResp, Dest: "node2", Group: "ip1", WeOwn: true, OK: true})},
		},
		{
			name:   "R1 messages before comm up are ignored",
			af:     FailbackOn,
			ev:     peer(Message{Type: TypeStarting}),
			reason: "ignored starting: resource management not started",
		},
		{
			name:   "shutdown releases everything",
			af:     FailbackOn,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:     Event{Kind: EvShutdown},
			want:   []Action{send(resourceMsg(HoldNone, false, "shutdown")), stop("ip1"), stop("ip1b")},
			reason: "Giving up all HA resources.",
		},
		{
			name: "shutdown waits for resource activity",
			af:   FailbackOn,
			state: func(s *State) {
				stable(s)
				s.Groups[0].Want, s.Groups[0].Phase = true, Starting
			},
			ev:     Event{Kind: EvShutdown},
			reason: "Shutdown delayed until current resource activity finishes.",
		},
		{
			name: "all stopped: shutdone",
			af:   FailbackOn,
			state: func(s *State) {
				s.R, s.shutdoneOnStop = RShutdown, true
				s.Groups[0].Phase = Stopping
			},
			ev:     Event{Kind: EvStopDone, Group: "ip1"},
			want:   []Action{send(Message{Type: TypeShutdone})},
			reason: "All HA resources relinquished.",
		},
		{
			name:   "peer shutdone: take everything",
			af:     FailbackOff,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b") },
			ev:     peer(Message{Type: TypeShutdone}),
			want:   []Action{start("ip2")},
			reason: "Received shutdown notice from 'node2'.",
		},
		{
			name:  "peer back after being dead: announce holdings",
			af:    FailbackOn,
			state: func(s *State) { stable(s); s.PeerAlive = false; running(s, "ip1", "ip1b", "ip2") },
			ev:    Event{Kind: EvPeerAlive},
			want:  []Action{send(resourceMsg(HoldAll, true, ""))},
		},
		{
			name:   "stale resource message is ignored",
			af:     FailbackOn,
			state:  func(s *State) { stable(s); running(s, "ip1", "ip1b", "ip2"); s.LastPeerSeq = 10 },
			ev:     Event{Kind: EvPeerMsg, Msg: resourceMsg(HoldAll, true, ""), Seq: 9},
			reason: "ignored stale resource from node2 (seq 9 < 10)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := node1(t, tc.af, tc.state)
			res := o.Step(tc.ev, t0.Add(tc.at))
			if diff := cmp.Diff(tc.want, res.Actions, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("actions (-want +got):\n%s\nreason: %s", diff, res.Reason)
			}
			if !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", res.Reason, tc.reason)
			}
			if tc.wantNot != "" && strings.Contains(res.Reason, tc.wantNot) {
				t.Errorf("reason %q contains %q", res.Reason, tc.wantNot)
			}
			if tc.check != nil {
				tc.check(t, o.State())
			}
		})
	}
}

func TestNewOwnershipErrors(t *testing.T) {
	bad := []Config{
		{Local: "node1", Peer: "node1"},
		{Local: "node1", Peer: "node2", Groups: []Group{{Key: "a", Preferred: "node1"}, {Key: "a", Preferred: "node2"}}},
		{Local: "node1", Peer: "node2", Groups: []Group{{Key: "a", Preferred: "node3"}}},
	}
	for i, c := range bad {
		if _, err := NewOwnership(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}

func TestHold(t *testing.T) {
	for _, w := range []string{"none", "local", "foreign", "all"} {
		h, err := ParseHold(w)
		if err != nil || h.String() != w {
			t.Errorf("ParseHold(%q) = %v, %v", w, h, err)
		}
	}
	if h, _ := ParseHold("failback"); h != HoldForeign {
		t.Errorf("failback = %s, want foreign", h)
	}
	if _, err := ParseHold("some"); err == nil {
		t.Error("bad word accepted")
	}
	for h, want := range map[Hold]Hold{HoldNone: HoldNone, HoldLocal: HoldForeign, HoldForeign: HoldLocal, HoldAll: HoldAll} {
		if got := h.Mirror(); got != want {
			t.Errorf("%s.Mirror() = %s, want %s", h, got, want)
		}
	}
	if got := updHold(false, HoldLocal, HoldForeign); got != HoldAll {
		t.Errorf("partial update = %s, want all", got)
	}
	if got := updHold(false, HoldAll, HoldNone); got != HoldNone {
		t.Errorf("partial none = %s, want none", got)
	}
}

var t0 = time.Date(2026, 11, 24, 7, 38, 0, 0, time.UTC)
