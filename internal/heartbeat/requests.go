package heartbeat

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
)

// onRequest answers a control request inside the loop.
func (n *Node) onRequest(req request, now time.Time) {
	l := &n.l
	switch req.kind {
	case reqStatus:
		req.reply <- reply{status: n.snapshot()}
	case reqStandby:
		n.onStandby(req, now)
	case reqTakeover:
		n.onTakeover(req, now)
	case reqShutdown:
		if !l.stopping {
			l.stopping = true
			n.log.Info(fmt.Sprintf(MsgShutdownProgress, os.Getpid()))
			n.step(r1.Event{Kind: r1.EvShutdown}, now)
		}
		l.waiters = append(l.waiters, req.reply)
	case reqReload:
		req.reply <- reply{text: n.reload(req.hacf, req.keys)}
	}
}

// holdsAny reports whether any group of set (my words) is wanted or
// running here.
func (n *Node) holdsAny(set r1.Hold) bool {
	for _, g := range n.l.own.State().Groups {
		if g.Class()&set != 0 && (g.Want || g.Phase != r1.Stopped) {
			return true
		}
	}
	return false
}

// allIn reports whether every group of set satisfies ok.
func (n *Node) allIn(set r1.Hold, ok func(r1.GroupState) bool) bool {
	for _, g := range n.l.own.State().Groups {
		if g.Class()&set != 0 && !ok(g) {
			return false
		}
	}
	return true
}

func (n *Node) refuse(req request, why string) {
	req.reply <- reply{text: why, err: fmt.Errorf("%w: %s", ErrRefused, why)}
}

// onStandby starts hb_standby's handshake; the reply waits for its end.
func (n *Node) onStandby(req request, now time.Time) {
	l := &n.l
	switch {
	case !l.started || l.stopping:
		n.refuse(req, "resource management not started or shutting down")
		return
	case !n.holdsAny(req.hold):
		req.reply <- reply{text: fmt.Sprintf("standby [%s]: this node holds none of these resources", req.hold)}
		return
	}
	res := n.step(r1.Event{Kind: r1.EvStandby, Hold: req.hold}, now)
	if l.own.State().Standby != r1.StandbyMe {
		n.refuse(req, res.Reason)
		return
	}
	l.pending = append(l.pending, &pending{kind: reqStandby, set: req.hold, reply: req.reply})
}

// onTakeover sends hb_takeover; the reply waits until the groups run here.
func (n *Node) onTakeover(req request, now time.Time) {
	l := &n.l
	st := l.own.State()
	running := func(g r1.GroupState) bool { return g.Want && g.Phase == r1.Running }
	switch {
	case !l.started || l.stopping:
		n.refuse(req, "resource management not started or shutting down")
		return
	case n.allIn(req.hold, running):
		req.reply <- reply{text: fmt.Sprintf("takeover: this node already holds the %s resources", req.hold)}
		return
	case n.cfg.HaCf.AutoFailback == hacf.FailbackLegacy:
		n.refuse(req, r1.MsgStandbyLegacy)
		return
	case !st.PeerAlive:
		n.refuse(req, fmt.Sprintf("%s is not alive", n.peer))
		return
	}
	n.step(r1.Event{Kind: r1.EvTakeover, Hold: req.hold}, now)
	wait := n.cfg.StandbyTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	l.pending = append(l.pending, &pending{kind: reqTakeover, set: req.hold, reply: req.reply,
		deadline: now.Add(wait + 2*l.keepalive)})
}

// checkPending answers the standby and takeover requests whose move ended.
func (n *Node) checkPending(now time.Time) {
	l := &n.l
	if len(l.pending) == 0 {
		return
	}
	st := l.own.State()
	released := func(g r1.GroupState) bool { return !g.Want && g.Phase == r1.Stopped }
	running := func(g r1.GroupState) bool { return g.Want && g.Phase == r1.Running }
	l.pending = slices.DeleteFunc(l.pending, func(p *pending) bool {
		var rp reply
		switch {
		case p.kind == reqStandby && st.Standby != r1.StandbyNot:
			return false
		case p.kind == reqStandby && n.allIn(p.set, released):
			rp.text = fmt.Sprintf("standby complete: %s resources handed over to %s", p.set, n.peer)
		case p.kind == reqStandby:
			rp.err = fmt.Errorf("%w: standby of %s resources did not complete", ErrCancelled, p.set)
		case st.Standby != r1.StandbyNot:
			p.started = true
			return false
		case n.allIn(p.set, running):
			rp.text = fmt.Sprintf("takeover complete: %s resources running here", p.set)
		case p.started:
			rp.err = fmt.Errorf("%w: takeover of %s resources did not complete", ErrCancelled, p.set)
		case !now.Before(p.deadline) || !st.PeerAlive:
			rp.err = fmt.Errorf("%w: %s did not hand over its resources (refused, in flux, or gone)", ErrCancelled, n.peer)
		default:
			return false
		}
		if rp.err != nil {
			rp.text = rp.err.Error()
		}
		p.reply <- rp
		return true
	})
}

// failPending answers every waiting request with err (the loop ends).
func (n *Node) failPending(err error) {
	for _, p := range n.l.pending {
		p.reply <- reply{text: err.Error(), err: err}
	}
	n.l.pending = nil
}

// snapshot builds the Status.
func (n *Node) snapshot() Status {
	l := &n.l
	cf := n.cfg.HaCf
	st := l.own.State()
	s := Status{Node: n.cfg.Local, Peer: n.peer, State: l.status, Generation: n.cfg.Generation, StartedAt: l.startedAt,
		AutoFailback: cf.AutoFailback.String(), KeepaliveMs: l.keepalive.Milliseconds(),
		DeadtimeMs: cf.Deadtime.Milliseconds(), WarntimeMs: cf.Warntime.Milliseconds(),
		InitdeadMs: cf.Initdead.Milliseconds(), Resources: l.own.HoldClasses().String(), IPfail: n.ipfailStatus(), PeerConfig: l.peerConfig}
	if st.Standby != r1.StandbyNot {
		s.Standby = [...]string{"", "me", "other", "done"}[st.Standby]
	}
	for _, nd := range cf.Nodes {
		ns := NodeStatus{Name: nd.Name, Type: NodeTypeNormal}
		for _, link := range n.cfg.Transport.Links() {
			ls := LinkStatus{Name: link, Status: member.LinkStatusUp}
			if nd.Name == n.peer {
				ls.Status, _ = l.live.LinkStatus(n.peer, link)
				ls.LastHeard = l.heard[link]
			}
			ns.Links = append(ns.Links, ls)
		}
		if nd.Name == n.cfg.Local {
			ns.Local, ns.Status, ns.Generation = true, l.status, n.cfg.Generation
		} else {
			ns.Status, _ = l.live.NodeStatus(n.peer)
			ns.Generation = l.replay.Generation()
			ns.DeadtimeMs = l.live.Deadtime(n.peer).Milliseconds()
		}
		s.Nodes = append(s.Nodes, ns)
	}
	s.Nodes = append(s.Nodes, n.pingStatus()...)
	peerHolds := st.PeerHold.Mirror()
	for _, g := range st.Groups {
		gs := GroupStatus{Key: g.Key, Preferred: g.Preferred, Phase: g.Phase.String(), Failed: g.Failed, StopFailed: g.StopFailed}
		switch {
		case g.Phase != r1.Stopped:
			gs.Owner = n.cfg.Local
		case st.PeerAlive && g.Class()&peerHolds != 0:
			gs.Owner = n.peer
		}
		for _, r := range n.groups[g.Key].Resources {
			gs.Resources = append(gs.Resources, r.String())
		}
		s.Groups = append(s.Groups, gs)
	}
	for k, d := range l.drops {
		if s.Drops == nil {
			s.Drops = map[string]uint64{}
		}
		s.Drops[k] = d.total
	}
	return s
}
