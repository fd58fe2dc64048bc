package r1

import "time"

// requestStandby is ask_for_resources for our own info=me (hb_standby, or
// auto failback, or hb_takeover from the peer). set is in my words. It
// reports whether the handshake started.
func (o *Ownership) requestStandby(set Hold, now time.Time) bool {
	s := &o.st
	switch {
	case !o.nice():
		o.logf(MsgStandbyLegacy)
		return false
	case s.R == RShutdown:
		o.logf(MsgStandbyShutdown)
		return false
	case !s.StandbyUntil.IsZero() && now.Before(s.StandbyUntil):
		o.logf(MsgStandbyInProgress, o.cfg.Local, secondsLeft(s.StandbyUntil, now))
		return false
	case !s.PeerStable:
		o.logf(MsgStandbyOtherFlux, InfoMe, o.cfg.Local)
		return false
	case s.R != RStable || s.Standby != StandbyNot || o.busy():
		o.logf(MsgStandbyLocalFlux, InfoMe, o.cfg.Local)
		return false
	}
	s.Standby, s.StandbySet = StandbyMe, set
	s.StandbyUntil = now.Add(o.cfg.StandbyTimeout)
	s.PeerStable = false
	o.send(Message{Type: TypeAskResources, Hold: set, Info: InfoMe})
	o.logf(MsgWantsStandby, o.cfg.Local, set)
	return true
}

func secondsLeft(until, now time.Time) int64 {
	return int64((until.Sub(now) + time.Second - 1) / time.Second)
}

// onAskResources is ask_for_resources for the peer's messages: the
// three-phase standby handshake (anchors §1.6).
func (o *Ownership) onAskResources(m Message, now time.Time) {
	s := &o.st
	if !o.nice() {
		o.logf(MsgStandbyLegacy)
		return
	}
	if m.Info == InfoMe && !s.StandbyUntil.IsZero() && now.Before(s.StandbyUntil) {
		o.logf(MsgStandbyInProgress, o.cfg.Peer, secondsLeft(s.StandbyUntil, now))
		return
	}
	// hbd: an ignored message gets our t=resource as the answer. A
	// handshake step (other, done) reaching us in no handshake says
	// info=no_standby, so an hbd peer waiting for our next step leaves
	// the handshake (improvement 5) instead of waiting an hour.
	answer := func() {
		info := ""
		if s.Standby == StandbyNot && m.Info != InfoMe {
			info = InfoNoStandby
		}
		o.sendHeld(info)
	}
	ignored := func() {
		o.logf(MsgStandbyIgnored, m.Info, o.cfg.Peer, int(s.Standby))
		answer()
	}
	// The step each handshake state waits for from the peer.
	next := map[StandbyState]string{StandbyMe: InfoOther, StandbyOther: InfoDone, StandbyDone: InfoDone}
	if s.Standby != StandbyNot && m.Info != next[s.Standby] {
		ignored()
		return
	}
	switch s.Standby {
	case StandbyNot:
		switch {
		case !s.PeerStable:
			o.logf(MsgStandbyOtherFlux, m.Info, o.cfg.Peer)
			answer()
		case s.R != RStable:
			o.logf(MsgStandbyLocalFlux, m.Info, o.cfg.Peer)
			answer()
		case m.Info != InfoMe:
			ignored()
		default:
			s.PeerStable = false
			s.Standby, s.StandbySet = StandbyOther, m.Hold
			s.StandbyUntil = now.Add(o.cfg.StandbyRscTimeout)
			o.send(Message{Type: TypeAskResources, Hold: m.Hold, Info: InfoOther})
			o.logf(MsgWantsStandby, o.cfg.Peer, m.Hold)
		}
	case StandbyMe:
		// go_standby(ME): release the set, say so, send done when stopped.
		s.StandbySet = m.Hold
		s.StandbyUntil = now.Add(o.cfg.StandbyRscTimeout)
		s.PeerStable = false
		o.setWant(m.Hold, false)
		s.doneOnStop = true
		o.send(resourceMsg(o.myHold(), false, "standby"))
		o.logf(MsgStandbyCanTake, o.cfg.Peer, m.Hold)
	case StandbyOther:
		// go_standby(OTHER): start the peer's set, in my words.
		s.StandbySet = m.Hold
		s.StandbyUntil = now.Add(o.cfg.StandbyRscTimeout)
		o.takeOver(m.Hold.Mirror())
		s.Standby, s.doneOnStart = StandbyDone, true
		o.logf(MsgStandbyAcquire, m.Hold, o.cfg.Peer)
	case StandbyDone:
		s.Standby, s.StandbyUntil = StandbyNot, time.Time{}
		o.sendHeld("")
		o.logf(MsgOtherStandbyDone, m.Hold)
	}
}

// settle runs after every event: an orderly shutdown once nothing is in
// flux, then starts and stops for groups whose phase differs from what is
// wanted, then the messages owed when operations complete.
func (o *Ownership) settle(now time.Time) {
	s := &o.st
	if s.ShutdownWanted && s.R != RShutdown && !o.busy() && s.Standby == StandbyNot {
		o.giveUpAll()
	}
	for i := range s.Groups {
		g := &s.Groups[i]
		switch {
		case g.Phase == Stopped && g.Want:
			g.Phase = Starting
			o.acts = append(o.acts, Action{Kind: ActStart, Group: g.Key})
		case g.Phase == Running && !g.Want && g.StopFailed && now.Before(g.stopRetryAt):
			// A failed stop: retried when stopRetryAt comes.
		case g.Phase == Running && !g.Want:
			g.Phase = Stopping
			o.acts = append(o.acts, Action{Kind: ActStop, Group: g.Key})
		case g.Phase == Running && g.StopFailed:
			// Wanted again after a failed stop took part of it down:
			// start it again to bring every resource back.
			g.Phase, g.StopFailed = Starting, false
			o.acts = append(o.acts, Action{Kind: ActStart, Group: g.Key})
		}
	}
	o.completions(now)
}

// giveUpAll is hb_giveup_resources.
func (o *Ownership) giveUpAll() {
	s := &o.st
	s.R = RShutdown
	s.NeedsFailback, s.PendingGiveUp = false, HoldNone
	o.setWant(HoldAll, false)
	if o.nice() {
		o.send(resourceMsg(HoldNone, false, "shutdown"))
	}
	s.shutdoneOnStop = true
	o.logf(MsgGivingUp)
}

func stopped(g *GroupState) bool     { return g.Phase == Stopped }
func notStarting(g *GroupState) bool { return g.Phase != Starting }

func (o *Ownership) completions(now time.Time) {
	s := &o.st
	if s.doneOnStop && s.Standby == StandbyMe && o.allIn(s.StandbySet, stopped) {
		s.doneOnStop = false
		s.Standby = StandbyDone
		s.StandbyUntil = now.Add(o.cfg.StandbyRscTimeout)
		o.send(Message{Type: TypeAskResources, Hold: s.StandbySet, Info: InfoDone})
		o.logf(MsgLocalStandbyDone, s.StandbySet)
	}
	if s.doneOnStart && s.Standby == StandbyDone && o.allIn(s.StandbySet.Mirror(), notStarting) {
		s.doneOnStart = false
		s.Standby, s.StandbyUntil = StandbyNot, time.Time{}
		o.send(Message{Type: TypeAskResources, Hold: s.StandbySet, Info: InfoDone})
		o.sendHeld("")
		o.logf(MsgStandbyAcquired, s.StandbySet)
	}
	for i := range s.Groups {
		g := &s.Groups[i]
		if s.ipResp[g.Key] && g.Phase == Stopped && !g.Want {
			delete(s.ipResp, g.Key)
			o.send(Message{Type: TypeIPRequestResp, Dest: o.cfg.Peer, Group: g.Key, WeOwn: true, OK: true})
		}
	}
	if s.shutdoneOnStop && o.allIn(HoldAll, stopped) {
		s.shutdoneOnStop = false
		o.send(Message{Type: TypeShutdone})
		o.logf(MsgRelinquished)
	}
}
