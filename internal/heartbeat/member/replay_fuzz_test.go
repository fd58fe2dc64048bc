package member

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzReplay drives the replay guard with one real sender (each
// generation's seqs and ts= rise together; a restart starts a higher
// generation at seq 1) whose packets are delivered, lost, delayed and
// replayed by anyone on the LAN in any order, with the source declared
// dead and alive at any point, NAKs and retransmit polls (issue 17 §1).
// Invariants after every input byte:
//   - a packet accepted once is never accepted again (a replay is never
//     taken for new, whatever happened between: deaths, returns, gaps,
//     "lost a lot" resets, restarts);
//   - the generation of accepted packets never goes down;
//   - while the source is dead, no packet it sent before its death, at or
//     below the highest seq accepted before it, is accepted.
//
// Each generation starts with a status that arrives first (the model's
// sender is up before it sends anything else): the guard moves the
// generation on a status only, as should_drop_message does, and a
// generation's packets arriving before its first status are outside this
// model. A packet the guard never accepted (lost in transit) may be accepted
// when replayed, also while the source is dead: it is the sender's own
// packet, as a retransmission is.
func FuzzReplay(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 1, 1, 5, 2, 2, 2})
	f.Add([]byte{0, 0, 0, 0, 0, 4, 1, 0, 1, 1, 3, 0, 0, 5, 2, 7, 0})
	f.Add([]byte{0, 0, 6, 0, 0, 4, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 0, 1, 1, 1, 4, 2, 2, 2, 2, 3, 0, 0, 0, 0, 5})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 2048 {
			return
		}
		type pkt struct {
			m   SeqMsg
			acc bool
		}
		r := NewReplay(ReplayConfig{Node: "node2"})
		now := time.Unix(1_800_000_000, 0)
		gen, seq := uint64(1000), uint64(0)
		sent := now
		var all []*pkt   // everything the sender sent, in order
		var queue []*pkt // sent, not yet delivered
		dead := false
		var deadAt time.Time       // the latest ts= accepted when the source died
		var accSeq, deadSeq uint64 // the highest seq accepted in maxGen; at the death
		var lastAcc time.Time
		maxGen := uint64(0)
		var trace []string
		deliver := func(p *pkt) {
			d := r.Check(p.m, dead, now)
			trace = append(trace, fmt.Sprintf("gen %d seq %d status %v sent %d dead %v -> %v %v", p.m.Gen, p.m.Seq, p.m.Status, p.m.Sent.Unix()-1_800_000_000, dead, d.Verdict, d.Reason))
			if d.Verdict != Accept {
				return
			}
			switch {
			case p.acc:
				t.Fatalf("packet %+v accepted twice (dead %v): %+v\n%s", p.m, dead, d, strings.Join(trace, "\n"))
			case p.m.Gen < maxGen:
				t.Fatalf("packet %+v of generation %d accepted after generation %d\n%s", p.m, p.m.Gen, maxGen, strings.Join(trace, "\n"))
			case dead && p.m.Gen == maxGen && p.m.Seq <= deadSeq && !p.m.Sent.After(deadAt):
				t.Fatalf("packet %+v sent before the death (last ts %v) accepted while dead: %+v\n%s", p.m, deadAt, d, strings.Join(trace, "\n"))
			}
			p.acc = true
			if p.m.Gen > maxGen {
				maxGen, accSeq = p.m.Gen, 0
			}
			if p.m.Gen == maxGen {
				accSeq = max(accSeq, p.m.Seq)
			}
			if p.m.Sent.After(lastAcc) {
				lastAcc = p.m.Sent
			}
			if d.Restart || d.Partition || p.m.Status {
				dead = false
			}
		}
		announce := func() { // a generation's first status, delivered at once
			seq++
			p := &pkt{m: SeqMsg{Seq: seq, Gen: gen, Status: true, Sent: sent}}
			all = append(all, p)
			deliver(p)
		}
		announce()
		for i := 0; i < len(in); i++ {
			b := in[i]
			arg := int(b >> 3)
			switch b % 8 {
			case 0, 1: // the sender sends (status when odd arg)
				seq++
				sent = sent.Add(time.Duration(arg%3) * time.Second)
				p := &pkt{m: SeqMsg{Seq: seq, Gen: gen, Status: arg%2 == 1, Sent: sent}}
				all = append(all, p)
				queue = append(queue, p)
			case 2: // the oldest queued packet arrives
				if len(queue) > 0 {
					p := queue[0]
					queue = queue[1:]
					deliver(p)
				}
			case 3: // a queued packet arrives out of order, or is lost
				if len(queue) > 0 {
					k := arg % len(queue)
					p := queue[k]
					queue = append(queue[:k], queue[k+1:]...)
					if b&0x80 == 0 {
						deliver(p)
					}
				}
			case 4: // a replay of anything sent so far
				if len(all) > 0 {
					deliver(all[arg%len(all)])
				}
			case 5: // the source is declared dead
				if !dead {
					trace = append(trace, "NodeDead")
					r.NodeDead()
					dead, deadAt, deadSeq = true, lastAcc, accSeq
				}
			case 6: // the sender restarts: a higher generation
				gen += uint64(1 + arg%3)
				seq = 0
				sent = sent.Add(time.Second)
				announce()
			case 7: // time passes; retransmit requests; a NAK
				now = now.Add(time.Duration(arg) * 100 * time.Millisecond)
				r.RexmitDue(now, !dead)
				if arg%4 == 0 && len(all) > 0 {
					r.Nak(all[arg%len(all)].m.Seq)
				}
			}
		}
	})
}
