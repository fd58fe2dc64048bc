package member

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

// Limits from heartbeat.c (anchors §1.10).
const (
	// FlowControlLimit is FLOWCONTROL_LIMIT (MAXMSGHIST/2): a bigger gap
	// resets sequence tracking instead of recording each missing seq.
	FlowControlLimit = 250
	// MaxMissing is MAXMISSING: at most this many missing seqs are kept.
	MaxMissing = 500
	// AckDiv is ACK_MSG_DIV: a receiver ACKs one seq in ten.
	AckDiv = 10
	// DefaultMaxRexmitDelay is ha.cf's max_rexmit_delay default.
	DefaultMaxRexmitDelay = 250 * time.Millisecond
)

// Verdict is what the replay guard decides for one sequenced message.
type Verdict int

// Verdict values, after should_drop_message's KEEPIT, DUPLICATE, DROPIT.
const (
	Accept    Verdict = iota + 1 // deliver it
	Duplicate                    // the same packet again (another medium): marks the link up only
	Drop                         // ignore it
)

// String returns the verdict's name.
func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Duplicate:
		return "duplicate"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// ReplayReason classifies a decision; Counters counts by it.
type ReplayReason string

// ReplayReason values.
const (
	ReasonInSequence    ReplayReason = "in sequence"
	ReasonGap           ReplayReason = "accepted after a gap"
	ReasonLostALot      ReplayReason = "accepted after a gap over the window; tracking reset"
	ReasonRecovered     ReplayReason = "missing packet recovered"
	ReasonLateAfterNak  ReplayReason = "accepted: a packet given up on (NAK) arrived late"
	ReasonRestart       ReplayReason = "accepted: new generation (restart)"
	ReasonPartition     ReplayReason = "accepted: returning after partition"
	ReasonDuplicate     ReplayReason = "duplicate packet"
	ReasonOld           ReplayReason = "old packet (duplicate we lost track of)"
	ReasonBadSeq        ReplayReason = "bad sequence number"
	ReasonOldGeneration ReplayReason = "old generation (replay attack?)"
	ReasonStale         ReplayReason = "stale packet from dead node (replay?)"
)

// SeqMsg is what the guard needs from a sequenced message (every type but
// the NS_ ones, which carry no seq).
type SeqMsg struct {
	Seq    uint64 // seq=, hex on the wire; 0 is invalid
	Gen    uint64 // hg=; 0 when absent
	Status bool   // t=status: only status messages move the generation
	// Sent is ts=, the sender's clock when it sent the message (whole
	// seconds); the zero time when unknown.
	Sent time.Time
}

// ReplayDecision is the guard's answer for one message.
type ReplayDecision struct {
	Verdict   Verdict
	Reason    ReplayReason
	Restart   bool     // a new generation: "Heartbeat restart on node X" (when not the first)
	Partition bool     // same generation from a node marked dead
	Lost      []uint64 // seqs newly found missing; retransmit requests are scheduled
	Ack       uint64   // send NS_ackmsg ackseq=Ack to the node; 0 = none
	Log       []Line   // Heartbeat's log lines for this decision, with their levels
}

// ReplayConfig configures a per-source guard.
type ReplayConfig struct {
	Node           string        // the source node's name, for log lines
	MaxRexmitDelay time.Duration // max_rexmit_delay; DefaultMaxRexmitDelay when zero
	AckTrigger     uint64        // 0..9, chosen at random per peer by the caller
	Rand           *rand.Rand    // jitter for the first request; nil = midpoint
}

// Replay is the per-source replay guard and retransmit-request scheduler:
// should_drop_message, is_lost_packet and hb_rexmit.c without the I/O.
// Not safe for concurrent use.
type Replay struct {
	cfg       ReplayConfig
	gen       uint64
	lastSeq   uint64 // 0 = NOSEQUENCE
	statusSeq uint64 // seq of the last accepted status
	// deadFloor is the highest seq of the current generation accepted
	// before the source was last declared dead. NodeDead resets sequence
	// tracking as mark_node_dead does, but a packet of the same generation
	// at or below this seq, arriving while the source is dead, can only be
	// a replay (the source's own next packets carry higher seqs), so it is
	// dropped instead of being taken for the start of a new sequence
	// (issue 17: replayed starting/resource messages made the survivor
	// give the group up). A restart (higher generation) clears it.
	//
	// deadSent is the latest ts= accepted before that death. A replay was
	// sent before the death; a packet at or below the floor that the
	// source sent later is its own, behind a seq that someone holding the
	// key pushed ahead: it is taken for a return, so a forged seq cannot
	// keep the real node out for good.
	deadFloor uint64
	highSeq   uint64    // the highest seq accepted in this generation
	lastSent  time.Time // the latest ts= accepted in this generation
	deadSent  time.Time
	// retiredGen is the generation last given up for a lower one
	// (MsgGenerationBack), retiredSent its latest ts=: its packets sent
	// until then are replays.
	retiredGen  uint64
	retiredSent time.Time
	firstMiss   uint64
	missing     map[uint64]time.Time // seq -> next request time; zero = not scheduled
	// given holds the seqs a NAK made us give up on. Heartbeat forgets
	// them, so the packet is dropped as old if it comes after all. hbd
	// accepts it once: it was never delivered, so it is no duplicate,
	// and the sender NAKs a seq it has not sent yet when someone holding
	// the key pushed our tracking ahead with a forged seq; its real
	// packets of those seqs then come later (FuzzEngine: a dropped
	// t=resource left both nodes holding one group).
	given map[uint64]bool
	// sinceDead holds the seqs accepted while the source was dead. A
	// return's status may be older than one of them (reordering): the
	// tracking then restarts at the status, as Heartbeat's does, and
	// these seqs count as duplicates when they come again instead of
	// being delivered twice (FuzzReplay).
	sinceDead map[uint64]bool
	counters  map[ReplayReason]uint64
}

// maxSinceDead bounds Replay.sinceDead (a dead source sends a status a
// keepalive; a return comes within a few).
const maxSinceDead = 256

// NewReplay returns a guard that has seen nothing from the source.
func NewReplay(cfg ReplayConfig) *Replay {
	if cfg.MaxRexmitDelay <= 0 {
		cfg.MaxRexmitDelay = DefaultMaxRexmitDelay
	}
	cfg.AckTrigger %= AckDiv
	return &Replay{cfg: cfg, missing: map[uint64]time.Time{}, given: map[uint64]bool{}, sinceDead: map[uint64]bool{}, counters: map[ReplayReason]uint64{}}
}

// Check decides one message. peerDead is the source's liveness status at
// arrival (before this message counts), which detects a healed partition.
func (r *Replay) Check(m SeqMsg, peerDead bool, now time.Time) ReplayDecision {
	d := r.check(m, peerDead, now)
	r.counters[d.Reason]++
	if d.Verdict == Accept && m.Status {
		r.statusSeq = m.Seq
	}
	if d.Verdict == Accept && m.Sent.After(r.lastSent) {
		r.lastSent = m.Sent
	}
	if d.Verdict == Accept {
		r.highSeq = max(r.highSeq, m.Seq)
	}
	if d.Verdict == Accept && peerDead && len(r.sinceDead) < maxSinceDead {
		r.sinceDead[m.Seq] = true
	}
	return d
}

// OldGeneration reports whether gen is below the source's generation
// accepted so far: the test should_drop_message makes first, here for the
// unsequenced NS_ messages, which carry hg= too. An absent hg= (0) is not
// judged.
func (r *Replay) OldGeneration(gen uint64) bool { return gen != 0 && gen < r.gen }

func (r *Replay) check(m SeqMsg, peerDead bool, now time.Time) ReplayDecision {
	if m.Seq == 0 {
		return ReplayDecision{Verdict: Drop, Reason: ReasonBadSeq, Log: []Line{line(MsgBadSeq)}}
	}
	var d ReplayDecision
	switch {
	case m.Gen < r.gen && peerDead && m.Status && m.Gen > 0 && !r.lastSent.IsZero() && m.Sent.After(r.lastSent):
		// hbd: a status of a lower generation, sent after the last packet
		// of the current one, from a node that went silent in the current
		// one: the current generation's sender is gone and this one
		// speaks now. That is a rollback to an older hb_generation file,
		// or the real node behind a generation someone holding the key
		// pushed ahead (FuzzEngine: one forged status shut the real node
		// out for good). A replay cannot pass: it was sent before.
		d.Restart = true
		d.Log = append(d.Log, line(MsgGenerationBack, r.cfg.Node, r.gen, m.Gen))
		r.retiredGen, r.retiredSent = r.gen, r.lastSent
		r.reset()
		r.statusSeq, r.deadFloor, r.highSeq = 0, 0, 0
		r.lastSent, r.deadSent = time.Time{}, time.Time{}
		r.gen = m.Gen
	case m.Gen < r.gen || m.Gen >= r.retiredGen && r.retiredGen > 0 && !m.Sent.After(r.retiredSent):
		// The second case: a packet of a generation given up for an older
		// one, sent before it was given up: a replay.
		return ReplayDecision{Verdict: Drop, Reason: ReasonOldGeneration,
			Log: []Line{line(MsgReplayAttack, r.cfg.Node, m.Gen, r.gen)}}
	case peerDead && (m.Gen == r.gen || r.gen == 0) && (m.Seq <= r.deadFloor || m.Status && m.Seq <= r.statusSeq) && !m.Sent.After(r.deadSent):
		// r.gen == 0: no status accepted yet, only status moves the
		// generation; the source's other packets count all the same.
		return ReplayDecision{Verdict: Drop, Reason: ReasonStale, Log: []Line{line(MsgStale, r.cfg.Node)}}
	case m.Status && m.Gen == r.gen && m.Gen > 0 && peerDead:
		d.Partition = true
		d.Log = append(d.Log, line(MsgPartition, r.cfg.Node))
	case m.Status && m.Gen > r.gen:
		d.Restart = true
		if r.gen > 0 {
			d.Log = append(d.Log, line(MsgRestart, r.cfg.Node))
		}
		r.reset()
		r.statusSeq, r.deadFloor, r.highSeq = 0, 0, 0
		r.lastSent, r.deadSent = time.Time{}, time.Time{}
		clear(r.sinceDead)
		r.gen = m.Gen
	}
	if r.sinceDead[m.Seq] && m.Seq > r.lastSeq && r.lastSeq != 0 {
		// Delivered while the source was dead, before a return that
		// restarted the tracking below it: the sequence moves on, the
		// packet is not delivered again.
		if m.Seq > r.lastSeq+1 {
			d = r.gap(d, m.Seq, now)
		}
		r.lastSeq = m.Seq
		d.Verdict, d.Reason, d.Ack = Duplicate, ReasonDuplicate, 0
		return d
	}
	switch {
	case r.lastSeq == 0 || m.Seq == r.lastSeq+1:
		r.lastSeq = m.Seq
		d.Verdict, d.Reason = Accept, ReasonInSequence
		d.Ack = r.ackFor(m.Seq)
		if d.Restart {
			d.Reason = ReasonRestart
		} else if d.Partition {
			d.Reason = ReasonPartition
		}
		return d
	case m.Seq == r.lastSeq:
		d.Verdict, d.Reason = Duplicate, ReasonDuplicate
		return d
	case m.Seq > r.lastSeq:
		return r.gap(d, m.Seq, now)
	}
	if r.recover(m.Seq, &d) {
		return d
	}
	if r.given[m.Seq] && !d.Restart && !d.Partition {
		delete(r.given, m.Seq)
		d.Verdict, d.Reason = Accept, ReasonLateAfterNak
		return d
	}
	if d.Restart || d.Partition {
		d.Ack = r.ackFor(m.Seq)
		r.reset()
		r.lastSeq = m.Seq
		d.Verdict, d.Reason = Accept, ReasonRestart
		if d.Partition {
			d.Reason = ReasonPartition
		}
		return d
	}
	d.Verdict, d.Reason = Drop, ReasonOld
	return d
}

// gap handles seq > last+1: record each missing seq and schedule its
// retransmit request, or reset when the gap exceeds the window.
func (r *Replay) gap(d ReplayDecision, seq uint64, now time.Time) ReplayDecision {
	nlost := seq - (r.lastSeq + 1)
	d.Log = append(d.Log, line(MsgLostPackets, nlost, r.cfg.Node, r.lastSeq, seq))
	d.Verdict = Accept
	if nlost > FlowControlLimit {
		r.reset()
		r.lastSeq = seq
		d.Reason = ReasonLostALot
		d.Log = append(d.Log, line(MsgLostALot))
		return d
	}
	d.Reason = ReasonGap
	if r.firstMiss == 0 || r.firstMiss > r.lastSeq+1 {
		r.firstMiss = r.lastSeq + 1
	}
	for k := r.lastSeq + 1; k < seq; k++ {
		if r.sinceDead[k] {
			continue // delivered while the source was dead
		}
		if len(r.missing) >= MaxMissing-1 {
			// Replace the lowest-numbered missing seq, as heartbeat.c does.
			delete(r.missing, slices.Min(r.Missing()))
		}
		r.missing[k] = now.Add(r.firstDelay())
		d.Lost = append(d.Lost, k)
	}
	r.lastSeq = seq
	return d
}

// recover is is_lost_packet: an old seq that was missing is accepted, and
// may complete an ACK window.
func (r *Replay) recover(seq uint64, d *ReplayDecision) bool {
	if _, ok := r.missing[seq]; !ok {
		return false
	}
	delete(r.missing, seq)
	d.Verdict, d.Reason = Accept, ReasonRecovered
	if len(r.missing) == 0 {
		d.Log = append(d.Log, line(MsgNoPktsMissing, r.cfg.Node))
	}
	if seq != r.firstMiss {
		return true
	}
	old := r.firstMiss
	r.firstMiss = 0
	if len(r.missing) > 0 {
		r.firstMiss = slices.Min(r.Missing())
	}
	upto := r.lastSeq
	if r.firstMiss != 0 {
		upto = r.firstMiss - 1
	}
	trig := r.cfg.AckTrigger
	var ack uint64
	if upto%AckDiv >= trig {
		ack = upto/AckDiv*AckDiv + trig
	} else if upto >= AckDiv {
		ack = (upto/AckDiv-1)*AckDiv + trig
	}
	if ack >= old && ack > 0 {
		d.Ack = ack
	}
	return true
}

// ackFor is send_ack_if_needed: ACK one seq in ten, never past a hole.
func (r *Replay) ackFor(seq uint64) uint64 {
	if (r.firstMiss != 0 && seq > r.firstMiss) || seq%AckDiv != r.cfg.AckTrigger {
		return 0
	}
	return seq
}

func (r *Replay) firstDelay() time.Duration {
	maxd := r.cfg.MaxRexmitDelay
	lo := 50 * time.Millisecond
	if maxd < 100*time.Millisecond {
		lo = 0
	}
	if r.cfg.Rand == nil {
		return (lo + maxd) / 2
	}
	return lo + time.Duration(r.cfg.Rand.Int64N(int64(maxd-lo)+1))
}

// reset is reset_seqtrack.
func (r *Replay) reset() {
	clear(r.missing)
	clear(r.given)
	r.firstMiss = 0
	r.lastSeq = 0
}

// NodeDead resets sequence tracking, as mark_node_dead does; the
// generation, the last status seq and the highest seq seen so far are
// kept, so a return is recognised and a replay of the dead source's own
// packets is not (deadFloor).
func (r *Replay) NodeDead() {
	r.deadFloor = max(r.deadFloor, r.lastSeq, r.statusSeq, r.highSeq)
	r.deadSent = r.lastSent
	clear(r.sinceDead)
	r.reset()
}

// Nak records an NS_nak_rexmit for seq: it is irretrievably lost, so it is
// no longer missing and no longer requested; if it arrives after all it is
// still accepted, once (Replay.given). It reports whether seq was missing
// (false: a copy of a NAK already applied, or a replay).
func (r *Replay) Nak(seq uint64) bool {
	var d ReplayDecision
	if !r.recover(seq, &d) {
		return false
	}
	if len(r.given) >= MaxMissing {
		delete(r.given, slices.Min(slices.Collect(maps.Keys(r.given))))
	}
	r.given[seq] = true
	return true
}

// RexmitDue returns the missing seqs whose retransmit request is due at
// now, oldest first, and schedules the next request for each one
// max_rexmit_delay later. While the source is not up (peerUp false) due
// requests are cancelled, as send_rexmit_request does; the seqs stay
// missing and are still accepted if they arrive.
func (r *Replay) RexmitDue(now time.Time, peerUp bool) []uint64 {
	var due []uint64
	for seq, at := range r.missing {
		if at.IsZero() || now.Before(at) {
			continue
		}
		if !peerUp {
			r.missing[seq] = time.Time{}
			continue
		}
		due = append(due, seq)
		r.missing[seq] = now.Add(r.cfg.MaxRexmitDelay)
	}
	slices.Sort(due)
	return due
}

// NextRexmit is the earliest scheduled retransmit request, or zero.
func (r *Replay) NextRexmit() time.Time {
	var next time.Time
	for _, at := range r.missing {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// Missing returns the missing seqs in order.
func (r *Replay) Missing() []uint64 {
	out := make([]uint64, 0, len(r.missing))
	for seq := range r.missing {
		out = append(out, seq)
	}
	slices.Sort(out)
	return out
}

// Counters returns a copy of the decision counts by reason.
func (r *Replay) Counters() map[ReplayReason]uint64 {
	out := make(map[ReplayReason]uint64, len(r.counters))
	for k, v := range r.counters {
		out[k] = v
	}
	return out
}

// Generation returns the source's last seen generation.
func (r *Replay) Generation() uint64 { return r.gen }
