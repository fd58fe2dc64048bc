package member

import (
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type replayStep struct {
	msg  SeqMsg
	dead bool // source marked dead when the message arrives
	want ReplayDecision
}

func st(gen, seq uint64) SeqMsg  { return SeqMsg{Gen: gen, Seq: seq, Status: true} }
func msg(gen, seq uint64) SeqMsg { return SeqMsg{Gen: gen, Seq: seq} }

// sent sets m's ts= to sec seconds after the epoch of these tests.
func sent(m SeqMsg, sec int) SeqMsg {
	m.Sent = time.Unix(1_800_000_000+int64(sec), 0)
	return m
}

var (
	inSeq = ReplayDecision{Verdict: Accept, Reason: ReasonInSequence}
	stale = ReplayDecision{Verdict: Drop, Reason: ReasonStale, Log: []Line{{slog.LevelInfo, "stale packet from dead node node2 (replay?)"}}}
)

func TestReplay(t *testing.T) {
	tests := []struct {
		name    string
		trigger uint64
		setup   func(r *Replay)
		steps   []replayStep
		missing []uint64
	}{
		{
			name: "in sequence, duplicate over the second link, old packet",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 2), want: inSeq},
				{msg: st(5, 2), want: ReplayDecision{Verdict: Duplicate, Reason: ReasonDuplicate}},
				{msg: msg(5, 3), want: inSeq},
				{msg: msg(5, 1), want: ReplayDecision{Verdict: Drop, Reason: ReasonOld}},
			},
		},
		{
			name: "bad seq and old generation",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 0), want: ReplayDecision{Verdict: Drop, Reason: ReasonBadSeq,
					Log: []Line{{slog.LevelInfo, "should_drop_message: bad sequence number"}}}},
				{msg: st(4, 2), want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 4, curgen = 5]"}}}},
				{msg: msg(0, 2), want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 0, curgen = 5]"}}}},
			},
		},
		{
			name: "restart with a new generation resets tracking",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 2), want: inSeq},
				{msg: st(6, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true,
					Log: []Line{{slog.LevelInfo, "Heartbeat restart on node node2"}}}},
				{msg: msg(6, 2), want: inSeq},
			},
		},
		{
			name: "a new generation on a non-status message is not a restart",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 2), want: inSeq},
				{msg: msg(6, 1), want: ReplayDecision{Verdict: Drop, Reason: ReasonOld}},
			},
		},
		{
			name: "gap records missing seqs, late arrival recovers them",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 4), want: ReplayDecision{Verdict: Accept, Reason: ReasonGap, Lost: []uint64{2, 3},
					Log: []Line{{slog.LevelWarn, "2 lost packet(s) for [node2] [1:4]"}}}},
				{msg: msg(5, 3), want: ReplayDecision{Verdict: Accept, Reason: ReasonRecovered}},
				{msg: msg(5, 3), want: ReplayDecision{Verdict: Drop, Reason: ReasonOld}},
			},
			missing: []uint64{2},
		},
		{
			name: "a seq given up on (NAK) that arrives late is accepted once",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(st(5, 4), false, t0) // a forged seq ahead: 2 and 3 missing
				if !r.Nak(2) || r.Nak(2) {
					panic("Nak(2) twice: want true, then false")
				}
			},
			steps: []replayStep{
				{msg: msg(5, 2), want: ReplayDecision{Verdict: Accept, Reason: ReasonLateAfterNak}},
				{msg: msg(5, 2), want: ReplayDecision{Verdict: Drop, Reason: ReasonOld}},
				{msg: msg(5, 3), want: ReplayDecision{Verdict: Accept, Reason: ReasonRecovered,
					Log: []Line{{slog.LevelInfo, "No pkts missing from node2!"}}}},
			},
		},
		{
			name: "all missing recovered logs it",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 3), want: ReplayDecision{Verdict: Accept, Reason: ReasonGap, Lost: []uint64{2},
					Log: []Line{{slog.LevelWarn, "1 lost packet(s) for [node2] [1:3]"}}}},
				{msg: msg(5, 2), want: ReplayDecision{Verdict: Accept, Reason: ReasonRecovered,
					Log: []Line{{slog.LevelInfo, "No pkts missing from node2!"}}}},
			},
		},
		{
			name: "a gap over the window resets tracking",
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 253), want: ReplayDecision{Verdict: Accept, Reason: ReasonLostALot,
					Log: []Line{{slog.LevelWarn, "251 lost packet(s) for [node2] [1:253]"}, {slog.LevelError, "lost a lot of packets!"}}}},
				{msg: st(5, 254), want: inSeq},
			},
		},
		{
			name: "return after partition with the same generation",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(st(5, 2), false, t0)
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: st(5, 2), dead: true, want: ReplayDecision{Verdict: Drop, Reason: ReasonStale,
					Log: []Line{{slog.LevelInfo, "stale packet from dead node node2 (replay?)"}}}},
				{msg: st(5, 9), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
				{msg: st(5, 10), want: ReplayDecision{Verdict: Accept, Reason: ReasonInSequence, Ack: 10}},
			},
		},
		{
			// Issue 17: node2 died; its own earlier packets replayed (any
			// type, same generation) must not pass for a new sequence.
			name:    "replays of a dead source's packets are dropped, its return is not",
			trigger: 7,
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(msg(5, 2), false, t0) // starting
				r.Check(st(5, 3), false, t0)
				r.Check(msg(5, 4), false, t0) // resource
				r.Check(st(5, 5), false, t0)
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: msg(5, 2), dead: true, want: stale},
				{msg: msg(5, 4), dead: true, want: stale},
				{msg: st(5, 1), dead: true, want: stale},
				{msg: st(5, 5), dead: true, want: stale},
				{msg: msg(5, 5), dead: true, want: stale},
				// Its next packet after a partition: accepted, a new sequence.
				{msg: msg(5, 9), dead: true, want: inSeq},
				{msg: st(5, 10), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
				// Alive again: an old replay is an old packet, not delivered.
				{msg: msg(5, 4), want: ReplayDecision{Verdict: Drop, Reason: ReasonOld}},
				{msg: msg(5, 11), want: inSeq},
			},
		},
		{
			name: "a dead source restarted with a higher generation is accepted",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(st(5, 2), false, t0)
				r.Check(msg(5, 300), false, t0)
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: msg(5, 300), dead: true, want: stale},
				{msg: st(6, 1), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true,
					Log: []Line{{slog.LevelInfo, "Heartbeat restart on node node2"}}}},
				{msg: msg(6, 2), want: inSeq},
				{msg: msg(5, 301), want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 5, curgen = 6]"}}}},
			},
		},
		{
			name: "dead twice: the floor only rises",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(st(5, 2), false, t0)
				r.NodeDead()
				r.Check(st(5, 7), true, t0) // partition return
				r.Check(st(5, 8), false, t0)
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: st(5, 2), dead: true, want: stale},
				{msg: st(5, 8), dead: true, want: stale},
				{msg: st(5, 9), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
			},
		},
		{
			// Someone holding the key pushed node2's seq far ahead; node2's
			// own packets fell below it and it was declared dead. Its
			// packets sent after the death (later ts=) bring it back; the
			// replays (sent before) stay out.
			name: "a packet sent after the death, below a forged seq, is a return",
			setup: func(r *Replay) {
				r.Check(sent(st(5, 1), 10), false, t0)
				r.Check(sent(st(5, 2), 11), false, t0)
				r.Check(sent(msg(5, 900), 11), false, t0) // forged
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: sent(st(5, 2), 11), dead: true, want: stale},
				{msg: sent(msg(5, 3), 11), dead: true, want: stale},
				{msg: sent(st(5, 4), 14), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
				{msg: sent(st(5, 5), 15), want: inSeq},
			},
		},
		{
			// A reordered return: a packet above the floor was accepted
			// while node2 was dead; node2's older status revives it and
			// restarts the tracking (as Heartbeat does), and the packet
			// accepted before counts as a duplicate when it comes again.
			name: "a return older than a packet accepted since the death",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.NodeDead()
				r.Check(msg(5, 5), true, t0)
			},
			steps: []replayStep{
				{msg: st(5, 3), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
				{msg: msg(5, 4), want: inSeq},
				{msg: msg(5, 5), want: ReplayDecision{Verdict: Duplicate, Reason: ReasonDuplicate}},
				{msg: msg(5, 6), want: inSeq},
			},
		},
		{
			name: "a dead node's lower generation sent after its last packet is a restart",
			setup: func(r *Replay) {
				r.Check(sent(st(5, 1), 10), false, t0)
				r.Check(sent(st(9, 1), 11), false, t0) // forged, or the rolled-back node's last run
				r.NodeDead()
			},
			steps: []replayStep{
				{msg: sent(st(5, 2), 11), dead: true, want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 5, curgen = 9]"}}}},
				{msg: sent(msg(5, 3), 14), dead: true, want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 5, curgen = 9]"}}}},
				{msg: sent(st(5, 4), 14), want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 5, curgen = 9]"}}}},
				{msg: sent(st(5, 5), 15), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true,
					Log: []Line{{slog.LevelInfo, "node node2: generation went back from 9 to 5 in a status sent after its last one: taken for a restart"}}}},
				{msg: sent(st(5, 6), 16), want: inSeq},
				// A replay of the given-up generation stays out; a restart
				// after the rollback is a restart.
				{msg: sent(st(9, 2), 11), want: ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
					Log: []Line{{slog.LevelError, "should_drop_message: attempted replay attack [node2]? [gen = 9, curgen = 5]"}}}},
				{msg: sent(st(6, 1), 20), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true,
					Log: []Line{{slog.LevelInfo, "Heartbeat restart on node node2"}}}},
			},
		},
		{
			name: "return after partition without a tracking reset",
			setup: func(r *Replay) {
				r.Check(st(5, 1), false, t0)
				r.Check(st(5, 2), false, t0)
				r.Check(msg(5, 3), false, t0)
				r.Check(msg(5, 4), false, t0)
			},
			steps: []replayStep{
				{msg: st(5, 3), dead: true, want: ReplayDecision{Verdict: Accept, Reason: ReasonPartition, Partition: true,
					Log: []Line{{LevelCrit, "Cluster node node2 returning after partition."}}}},
			},
		},
		{
			name:    "ack one seq in ten, none past a hole",
			trigger: 5,
			steps: []replayStep{
				{msg: st(5, 1), want: ReplayDecision{Verdict: Accept, Reason: ReasonRestart, Restart: true}},
				{msg: st(5, 2), want: inSeq},
				{msg: st(5, 3), want: inSeq},
				// 5 is the trigger, but it arrives through a gap: no ACK past the hole at 4.
				{msg: st(5, 5), want: ReplayDecision{Verdict: Accept, Reason: ReasonGap, Lost: []uint64{4},
					Log: []Line{{slog.LevelWarn, "1 lost packet(s) for [node2] [3:5]"}}}},
				{msg: st(5, 6), want: inSeq},
				// 4 recovered: nothing missing, ACK the trigger seq 5 now covered.
				{msg: st(5, 4), want: ReplayDecision{Verdict: Accept, Reason: ReasonRecovered, Ack: 5,
					Log: []Line{{slog.LevelInfo, "No pkts missing from node2!"}}}},
				{msg: st(5, 7), want: inSeq},
				{msg: st(5, 15), want: ReplayDecision{Verdict: Accept, Reason: ReasonGap,
					Lost: []uint64{8, 9, 10, 11, 12, 13, 14}, Log: []Line{{slog.LevelWarn, "7 lost packet(s) for [node2] [7:15]"}}}},
				// 8 recovered but 9 still missing: the ACK stays below the new first hole.
				{msg: st(5, 8), want: ReplayDecision{Verdict: Accept, Reason: ReasonRecovered}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReplay(ReplayConfig{Node: "node2", AckTrigger: tc.trigger})
			if tc.setup != nil {
				tc.setup(r)
			}
			for i, s := range tc.steps {
				got := r.Check(s.msg, s.dead, t0)
				if diff := cmp.Diff(s.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("step %d %+v (-want +got):\n%s", i, s.msg, diff)
				}
			}
			if tc.missing != nil {
				if diff := cmp.Diff(tc.missing, r.Missing()); diff != "" {
					t.Errorf("missing (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestReplayCounters(t *testing.T) {
	r := NewReplay(ReplayConfig{Node: "node2"})
	r.Check(st(5, 1), false, t0)
	r.Check(st(5, 2), false, t0)
	r.Check(st(5, 2), false, t0)
	r.Check(st(4, 3), false, t0)
	want := map[ReplayReason]uint64{ReasonRestart: 1, ReasonInSequence: 1, ReasonDuplicate: 1, ReasonOldGeneration: 1}
	if diff := cmp.Diff(want, r.Counters()); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

func TestReplayRexmitSchedule(t *testing.T) {
	r := NewReplay(ReplayConfig{Node: "node2", MaxRexmitDelay: 250 * time.Millisecond, Rand: rand.New(rand.NewPCG(1, 2))})
	r.Check(st(5, 1), false, t0)
	r.Check(st(5, 4), false, t0)
	next := r.NextRexmit()
	if d := next.Sub(t0); d < 50*time.Millisecond || d > 250*time.Millisecond {
		t.Fatalf("first request after %v, want within [50ms, 250ms]", d)
	}
	if got := r.RexmitDue(t0.Add(49*time.Millisecond), true); len(got) != 0 {
		t.Errorf("requests due before 50ms: %v", got)
	}
	later := t0.Add(250 * time.Millisecond)
	if diff := cmp.Diff([]uint64{2, 3}, r.RexmitDue(later, true)); diff != "" {
		t.Errorf("due (-want +got):\n%s", diff)
	}
	if got := r.NextRexmit(); !got.Equal(later.Add(250 * time.Millisecond)) {
		t.Errorf("repeat at %v, want max_rexmit_delay later", got.Sub(t0))
	}
	r.Check(msg(5, 2), false, later)
	if got := r.RexmitDue(t0.Add(time.Second), false); len(got) != 0 {
		t.Errorf("requests while the peer is down: %v", got)
	}
	if got := r.NextRexmit(); !got.IsZero() {
		t.Errorf("requests still scheduled while peer down: %v", got.Sub(t0))
	}
	if diff := cmp.Diff([]uint64{3}, r.Missing()); diff != "" {
		t.Errorf("missing after cancel (-want +got):\n%s", diff)
	}
	if !r.Nak(3) {
		t.Errorf("Nak(3) says 3 was not missing")
	}
	if len(r.Missing()) != 0 {
		t.Errorf("NAKed seq still missing: %v", r.Missing())
	}
	if r.Nak(3) {
		t.Errorf("a second NAK for 3 says it was missing")
	}
}

func TestReplayMissingCap(t *testing.T) {
	r := NewReplay(ReplayConfig{Node: "node2"})
	r.Check(st(5, 1), false, t0)
	// Three gaps of 200 each: 600 missing seqs, capped below MaxMissing.
	for seq := uint64(202); seq <= 602; seq += 200 {
		r.Check(msg(5, seq), false, t0)
	}
	m := r.Missing()
	if len(m) != MaxMissing-1 {
		t.Fatalf("missing = %d seqs, want %d", len(m), MaxMissing-1)
	}
	if m[len(m)-1] != 601 || m[0] == 2 {
		t.Errorf("cap did not replace the lowest: first %d last %d", m[0], m[len(m)-1])
	}
}

// TestReplayOldGeneration: the generation test for unsequenced messages,
// against the generation the sequenced ones established.
func TestReplayOldGeneration(t *testing.T) {
	r := NewReplay(ReplayConfig{Node: "node2"})
	if r.OldGeneration(1) {
		t.Error("OldGeneration(1) before anything was seen = true, want false")
	}
	r.Check(st(5, 1), false, t0) // generation 5
	tests := []struct {
		name string
		gen  uint64
		want bool
	}{
		{"lower", 4, true},
		{"same", 5, false},
		{"higher", 6, false},
		{"absent", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.OldGeneration(tc.gen); got != tc.want {
				t.Errorf("OldGeneration(%d) = %t, want %t", tc.gen, got, tc.want)
			}
		})
	}
}
