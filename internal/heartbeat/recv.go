package heartbeat

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// Drop reasons of the engine, beside wire.DropReason's and the replay
// guard's ReplayReason words.
const (
	dropBadHeader = "bad header"
	dropUnknown   = "unknown node"
	dropBadFields = "bad message fields"
	// dropNakNotMissing: an NS_nak_rexmit for a seq that is not missing.
	dropNakNotMissing = "NAK for a packet not missing"
	// dropConflict counts the copies of a seq whose content differs from
	// the copy accepted first; they are delivered all the same.
	dropConflict = "conflicting copy of a seq (forged packets?)"
)

// bodyFields are the fields that make what a sequenced message says:
// two copies of one seq that differ in them are two messages.
var bodyFields = []string{wire.FType, wire.FDest, wire.FStatus, wire.FResources, wire.FInfo, wire.FIsStable, wire.FRType, wire.FIPAddr}

// maxBodies bounds loopState.bodies (Heartbeat keeps 500 messages of
// history for retransmission).
const maxBodies = 512

// body is what m says, for comparing copies of one seq: its generation
// and bodyFields.
func body(m *wire.Message, h wire.Header) string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(h.Generation, 16))
	for _, f := range bodyFields {
		b.WriteByte(0)
		if v, ok := m.Get(f); ok {
			b.WriteString(f + "=" + v)
		}
	}
	return b.String()
}

// noteBody records what the peer's accepted message h.Seq says.
func (n *Node) noteBody(m *wire.Message, h wire.Header) {
	l := &n.l
	if l.bodies == nil {
		l.bodies = map[uint64]string{}
	}
	l.bodies[h.Seq] = body(m, h)
	if len(l.bodies) > maxBodies {
		for seq := range l.bodies {
			if seq+maxBodies/2 < h.Seq || seq > h.Seq+maxBodies {
				delete(l.bodies, seq)
			}
		}
	}
}

// conflictingCopy reports whether m, which the replay guard calls a copy
// of a seq already accepted, says something else than the copy accepted:
// someone holding the key sent the peer's next seq first, which would
// otherwise suppress the peer's own message for good (FuzzEngine: a
// forged status took the seq of the t=resource that settles a split
// brain). hbd delivers it too; Heartbeat 3.0.6 drops it.
func (n *Node) conflictingCopy(m *wire.Message, h wire.Header, p Packet, now time.Time) bool {
	l := &n.l
	prior, ok := l.bodies[h.Seq]
	if !ok {
		return false
	}
	b := body(m, h)
	if b == prior {
		return false
	}
	l.bodies[h.Seq] = b
	n.drop(dropConflict, p, now, member.Line{Level: slog.LevelInfo, Text: fmt.Sprintf(MsgConflictingCopy, h.Seq, n.peer)})
	return true
}

// onPacket handles one received datagram: verify, sequence check,
// liveness, then the message itself.
func (n *Node) onPacket(p Packet, now time.Time) {
	l := &n.l
	m, err := wire.Verify(p.Buf, l.keys)
	if err != nil {
		n.dropErr(wire.DropReason(err), p, now, "err", err)
		return
	}
	h, err := wire.ReadHeader(m)
	if err != nil {
		n.dropErr(dropBadHeader, p, now, "err", err)
		return
	}
	switch {
	case h.Src == n.cfg.Local:
		return // our own broadcast or multicast, looped back
	case h.Src != n.peer:
		n.dropErr(dropUnknown, p, now, "src", h.Src)
		return
	case h.Dest != "" && h.Dest != n.cfg.Local:
		return // directed at another node
	}
	if h.SrcUUID != nil && !bytes.Equal(h.SrcUUID, l.peerUUID) {
		if l.peerUUID != nil {
			n.log.Info(fmt.Sprintf(MsgUUIDChanged, n.peer))
		}
		l.peerUUID = bytes.Clone(h.SrcUUID)
	}
	// Apply due timeouts first, so that a return after a partition is
	// seen as one.
	n.onLive(l.live.Tick(now), now)
	st, _ := l.live.NodeStatus(n.peer)
	if !h.HasSeq {
		// hbd: an NS_ message of a generation whose sequenced packets
		// are dropped (hg= went backwards), or from a node marked dead,
		// is still acted on, as Heartbeat does, but does not mark the
		// link up: its acks would otherwise flap the links up every few
		// seconds while every status from the node is dropped, and a
		// replayed ack (it carries no seq) would show a dead node's
		// links up. A returning node's status brings them up.
		if !l.replay.OldGeneration(h.Generation) && st != member.StatusDead {
			l.heard[p.Link] = now
			n.onLive(l.live.Heard(member.Heard{Node: n.peer, Link: p.Link}, now), now)
		}
		n.onUnsequenced(m, h, p, now)
		return
	}
	d := l.replay.Check(member.SeqMsg{Seq: h.Seq, Gen: h.Generation, Status: h.Type == wire.TStatus, Sent: h.Time}, st == member.StatusDead, now)
	if d.Verdict == member.Drop && d.Reason != member.ReasonOld {
		// A replay flood makes one of these per packet: its lines go
		// through the drop rate limit, not one log line each.
		n.drop(string(d.Reason), p, now, d.Log...)
		return
	}
	for _, line := range d.Log {
		n.log.Log(context.Background(), line.Level, line.Text, "node", n.peer)
	}
	dup := d.Verdict == member.Duplicate || d.Reason == member.ReasonOld
	if dup && !n.conflictingCopy(m, h, p, now) {
		// The same packet over another medium, or a late copy of one
		// already seen: not an error, and the link is alive.
		n.onLive(l.live.Heard(member.Heard{Node: n.peer, Link: p.Link}, now), now)
		return
	}
	if !dup {
		n.noteBody(m, h)
	}
	l.heard[p.Link] = now
	if h.Generation != l.peerGen {
		l.peerGen, l.peerSince = h.Generation, now
	}
	if d.Ack != 0 && !dup {
		n.send(wire.Ack{Dest: n.peer, AckSeq: d.Ack}.Message(), now)
	}
	heard := member.Heard{Node: n.peer, Link: p.Link}
	if h.Type == wire.TStatus {
		s, err := wire.ReadStatus(m)
		if err != nil {
			n.dropErr(dropBadFields, p, now, "err", err)
			return
		}
		heard.Status, heard.DT = s.Status, s.Deadtime
	}

	n.onLive(l.live.Heard(heard, now), now)
	switch {
	case h.Type == wire.TShutdone:
		l.peerShutdone = true
	case h.Type == wire.TStatus && l.peerShutdone && heard.Status != member.StatusDead:
		// hbd: the peer said t=shutdone (st=dead) and then a status that
		// says it runs: it did not shut down (a forged shutdone, with
		// auth crc anyone's), and it still holds what it held. Hearing
		// it as a return makes both sides announce their holdings, so
		// the split-brain rule settles the groups (FuzzEngine found both
		// nodes holding the peer's groups for good).
		l.peerShutdone = false
		n.step(r1.Event{Kind: r1.EvPeerAlive}, now)
	}
	if h.Type != wire.TStatus {
		n.onMessage(m, h, now)
	}
	n.sendRexmits(now)
}

// onMessage handles an accepted sequenced message other than status.
func (n *Node) onMessage(m *wire.Message, h wire.Header, now time.Time) {
	if n.ipfailMessageIn(m, now) || n.onClientStatusMessage(m, now) {
		return
	}
	msg, ok, err := readR1(m)
	switch {
	case err != nil:
		n.log.Warn("ignored malformed message", "type", h.Type, "err", err)
	case ok:
		if !n.l.started {
			n.log.Info(fmt.Sprintf(r1.MsgNotStarted, msg.Type))
			n.ipfailResources(msg, now)
			return
		}
		n.step(r1.Event{Kind: r1.EvPeerMsg, Msg: msg, Seq: h.Seq}, now)
		n.ipfailResources(msg, now)
	case h.Type == wire.TReqNodes:
		names := make([]string, 0, len(n.cfg.HaCf.Nodes))
		for _, nd := range n.cfg.HaCf.Nodes {
			names = append(names, nd.Name)
		}
		n.send(wire.RepNodes{Dest: n.peer, Nodes: names}.Message(), now)
	default:
		n.log.Debug("ignored message", "type", h.Type)
	}
}

// onUnsequenced handles the NS_ messages: ACKs, retransmit requests, NAKs.
func (n *Node) onUnsequenced(m *wire.Message, h wire.Header, p Packet, now time.Time) {
	l := &n.l
	switch h.Type {
	case wire.TRexmit:
		r, err := wire.ReadRexmit(m)
		if err != nil {
			n.dropErr(dropBadFields, p, now, "err", err)
			return
		}
		n.resend(r, now)
	case wire.TNakRexmit:
		r, err := wire.ReadNakRexmit(m)
		if err != nil {
			n.dropErr(dropBadFields, p, now, "err", err)
			return
		}
		if !l.replay.Nak(r.FirstSeq) {
			// hbd: a NAK for a seq not missing (a copy over the other
			// link, or a replay: NAKs carry no seq) is counted, not
			// logged each time as Heartbeat does.
			n.drop(dropNakNotMissing, p, now)
			return
		}
		n.log.Error(fmt.Sprintf(MsgIrretrievable, n.peer, r.FirstSeq), "info", r.Info)
	}
}

// resend answers NS_rexmit: the kept message again, or a NAK. Each kept
// message goes out again at most once per max_rexmit_delay, and NAKs at
// most one request's worth per max_rexmit_delay: NS_rexmit carries no
// seq, so a replayed request would otherwise make this node send at the
// replayer's rate.
func (n *Node) resend(r wire.Rexmit, now time.Time) {
	l := &n.l
	minGap := n.cfg.HaCf.MaxRexmitDelay - 10*time.Millisecond
	nakOK := now.Sub(l.nakSent) >= minGap
	for seq, count := r.First, 0; seq <= r.Last && count < maxRexmitBatch; seq, count = seq+1, count+1 {
		sm, ok := l.hist[seq]
		if !ok {
			if nakOK {
				l.nakSent = now
				n.send(wire.NakRexmit{Dest: n.peer, FirstSeq: seq, Info: "not retrievable"}.Message(), now)
			}
			continue
		}
		if !sm.resent.IsZero() && now.Sub(sm.resent) < minGap {
			continue
		}
		sm.resent = now
		n.transmit(sm.buf, now)
	}
}

// sendRexmits sends the retransmit requests that are due.
func (n *Node) sendRexmits(now time.Time) {
	for _, seq := range n.l.replay.RexmitDue(now, n.peerAlive()) {
		n.send(wire.Rexmit{Dest: n.peer, First: seq, Last: seq}.Message(), now)
	}
}

// sendStatus sends our heartbeat on every link.
func (n *Node) sendStatus(now time.Time) {
	n.send(wire.Status{Status: n.l.status, Deadtime: n.cfg.HaCf.Deadtime, Protocol: 1}.Message(), now)
	n.sendPings(now)
	n.tickleWatchdog()
}

// tickleWatchdog keeps the watchdog device from firing; after a failed
// write it is left alone, as Heartbeat closes it (hb_tickle_watchdog).
func (n *Node) tickleWatchdog() {
	if n.cfg.Watchdog == nil || n.l.watchdogFailed {
		return
	}
	if err := n.cfg.Watchdog.Tickle(); err != nil {
		n.l.watchdogFailed = true
		n.log.Error(MsgWatchdogFailed, "err", err)
	}
}

// send stamps, signs, records and transmits m.
func (n *Node) send(m *wire.Message, now time.Time) {
	l := &n.l
	cf := n.cfg.HaCf
	ctl := wire.Control{Node: n.cfg.Local, UUID: n.cfg.UUID, Generation: n.cfg.Generation, Now: now,
		TTL: cf.HopFudge + len(cf.Nodes)}
	seqd := !strings.HasPrefix(m.Type(), "NS_")
	if seqd {
		l.seq++
		ctl.Seq = l.seq
		if n.cfg.LoadAvg != nil {
			ctl.Load = n.cfg.LoadAvg()
		}
	}
	if len(l.peerUUID) == 16 {
		ctl.UUIDs = map[string][16]byte{n.peer: [16]byte(l.peerUUID)}
	}
	ctl.Stamp(m)
	buf, err := wire.Sign(m, l.active)
	if err != nil {
		n.log.Error("signing message", "type", m.Type(), "err", err)
		return
	}
	if seqd {
		l.hist[l.seq] = &sentMsg{buf: buf}
		delete(l.hist, l.seq-maxMsgHist)
	}
	n.transmit(buf, now)
}

// transmit sends one datagram on every link.
func (n *Node) transmit(buf []byte, now time.Time) {
	for _, link := range n.cfg.Transport.Links() {
		if err := n.cfg.Transport.Send(link, buf); err != nil {
			n.rateLimited(n.l.sendErrs, link, now, func(more uint64) {
				n.log.Warn("sending heartbeat", "link", link, "err", err, "suppressed", more)
			})
		}
	}
}

// drop counts a dropped packet and logs it, rate-limited per reason:
// lines (the replay guard's words for it) and, with logbadpack, the packet.
func (n *Node) drop(reason string, p Packet, now time.Time, lines ...member.Line) {
	n.dropAttrs(reason, p, now, lines)
}

// dropErr is drop with the error that made the packet unusable.
func (n *Node) dropErr(reason string, p Packet, now time.Time, key string, val any) {
	n.dropAttrs(reason, p, now, nil, key, val)
}

func (n *Node) dropAttrs(reason string, p Packet, now time.Time, lines []member.Line, attrs ...any) {
	n.rateLimited(n.l.drops, reason, now, func(more uint64) {
		if more > 0 {
			n.log.Warn(fmt.Sprintf(MsgDroppedMore, more, reason))
		}
		for _, line := range lines {
			n.log.Log(context.Background(), line.Level, line.Text, "node", n.peer, "from", p.From.String())
		}
		if n.cfg.HaCf.LogBadPack {
			n.log.Warn(fmt.Sprintf(MsgDropped, reason, p.Link), append([]any{"from", p.From.String()}, attrs...)...)
		}
	})
}

// flushDropCounts logs the count of drops suppressed by the rate limit
// once their window has passed, so a flood that stopped is still reported
// in full (the next drop of the reason would otherwise carry the count).
func (n *Node) flushDropCounts(now time.Time) {
	for reason, d := range n.l.drops {
		if d.suppressed > 0 && now.Sub(d.last) >= dropLogEvery {
			n.log.Warn(fmt.Sprintf(MsgDroppedMore, d.suppressed, reason))
			d.suppressed, d.last = 0, now
		}
	}
}

// rateLimited counts an occurrence of key and calls logf at most once per
// dropLogEvery, with the number of occurrences suppressed since.
func (n *Node) rateLimited(m map[string]*dropStat, key string, now time.Time, logf func(more uint64)) {
	d := m[key]
	if d == nil {
		d = &dropStat{}
		m[key] = d
	}
	d.total++
	if !d.last.IsZero() && now.Sub(d.last) < dropLogEvery {
		d.suppressed++
		return
	}
	logf(d.suppressed)
	d.suppressed, d.last = 0, now
}
