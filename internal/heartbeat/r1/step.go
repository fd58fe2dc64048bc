package r1

import "time"

// onStart is comm_up_resource_action (hb_resource.c), with the peer's
// liveness at that moment.
func (o *Ownership) onStart(peerAlive bool, now time.Time) {
	s := &o.st
	if s.R != RInit {
		return
	}
	s.PeerAlive = peerAlive
	if !peerAlive {
		// The peer was declared dead at initdead: mach_down plus
		// req_our_resources(TRUE). hbd: stable at once (improvement 2).
		s.R, s.PeerStable, s.PeerHold = RStable, true, HoldNone
		o.takeOver(HoldAll)
		s.NeedsFailback = true
		o.logf(MsgResourcesAcquired, o.cfg.Peer)
		return
	}
	if !o.nice() {
		// Legacy req_our_resources: ask nicely for each local group.
		s.R = RStable
		s.asked = map[string]bool{}
		for _, g := range s.Groups {
			if g.Local {
				s.asked[g.Key] = true
			}
		}
		o.askAgain(now)
		return
	}
	s.R = RStarting
	s.RequestAt = now.Add(o.cfg.RequestDelay)
	o.send(Message{Type: TypeStarting})
	o.logf(MsgSentStarting, o.cfg.Peer)
}

// askAgain sends (again) the legacy ip-requests not answered yet. hbd:
// Heartbeat asks once (req_resource disabled its fallback), so a request
// lost with a restarting peer orphans the group; hbd asks every
// RequestDelay while the peer is alive.
func (o *Ownership) askAgain(now time.Time) {
	s := &o.st
	for _, g := range s.Groups {
		if s.asked[g.Key] {
			o.send(Message{Type: TypeIPRequest, Group: g.Key})
		}
	}
	s.askAt = now.Add(o.cfg.RequestDelay)
	o.logf(MsgAskingLocal, o.cfg.Peer)
}

// onPeerAlive: the peer is heard after being dead or unknown. hbd
// (improvement 1): say what we hold so a split brain is seen by both.
func (o *Ownership) onPeerAlive() {
	s := &o.st
	if s.PeerAlive {
		return
	}
	// The peer's sequence starts again after its death (the replay guard
	// resets it, mark_node_dead): a seq seen before is no measure of
	// staleness now (a forged high seq left every later t=resource
	// ignored: FuzzEngine).
	s.PeerAlive, s.LastPeerSeq = true, 0
	if s.R == RInit || s.R == RShutdown {
		return
	}
	o.sendHeld("")
	o.logf(MsgPeerAliveAgain, o.cfg.Peer, o.myHold())
}

// onPeerDead is hb_rsc_recover_dead_resources and takeover_from_node.
func (o *Ownership) onPeerDead() {
	s := &o.st
	s.PeerAlive, s.PeerHold, s.PeerStable, s.LastPeerSeq = false, HoldNone, true, 0
	if s.R == RInit || s.R == RShutdown {
		return
	}
	if s.Standby != StandbyNot || s.StandbyUntil != (time.Time{}) {
		o.logf(MsgCancelStandby)
		o.cancelStandby()
	}
	clear(s.ipResp)
	clear(s.asked)
	if o.myHold() == HoldAll {
		o.logf(MsgDeadGaveUp, o.cfg.Peer)
	} else {
		o.logf(MsgResourcesAcquired, o.cfg.Peer)
	}
	o.takeOver(HoldAll)
	s.NeedsFailback = true
	s.R = RStable // hbd: improvement 2
}

func (o *Ownership) cancelStandby() {
	s := &o.st
	s.Standby, s.StandbyUntil = StandbyNot, time.Time{}
	s.doneOnStop, s.doneOnStart = false, false
}

func (o *Ownership) onPeerMsg(m Message, seq uint64, now time.Time) {
	s := &o.st
	if s.R == RInit || s.R == RShutdown {
		o.logf(MsgNotStarted, m.Type)
		return
	}
	if m.Type == TypeResource || m.Type == TypeAskResources {
		// A t=resource older than one already seen is stale state
		// (improvement 3). A late ask_resources is a handshake step
		// recovered by retransmission after newer messages: nothing
		// replaces it, so it is applied as Heartbeat applies it.
		if m.Type == TypeResource && seq != 0 && seq < s.LastPeerSeq {
			o.logf(MsgStaleR1, m.Type, o.cfg.Peer, seq, s.LastPeerSeq)
			return
		}
		if seq > s.LastPeerSeq {
			s.LastPeerSeq = seq
		}
	}
	switch m.Type {
	case TypeStarting:
		o.onStarting()
	case TypeResource:
		o.onResource(m, now)
	case TypeAskResources:
		o.onAskResources(m, now)
	case TypeTakeover:
		// rc.d/hb_takeover runs "hb_standby Mirror(X)" here.
		o.requestStandby(m.Hold.Mirror(), now)
	case TypeIPRequest:
		o.onIPRequest(m.Group)
	case TypeIPRequestResp:
		if m.Dest == o.cfg.Local && m.OK {
			delete(s.asked, m.Group)
			if g := o.group(m.Group); g != nil && !g.Want {
				g.Want = true
				o.logf(MsgIPRequestResp, m.Group, m.WeOwn)
				// hbd: say so, so that two crossing hand-overs of a
				// failed group meet the split-brain rule.
				o.sendHeld("")
			}
		}
	case TypeShutdone:
		o.onShutdone()
	}
}

// onStarting is process_resources' T_STARTING branch: the peer (re)starts.
func (o *Ownership) onStarting() {
	s := &o.st
	s.PeerHold, s.LastPeerSeq = HoldNone, 0
	if s.Standby != StandbyNot {
		o.logf(MsgCancelStandby)
		o.cancelStandby()
	}
	if !o.nice() {
		return
	}
	if s.R == RStarting {
		s.R = RBothStarting
	}
	// hbd: a (re)starting peer holds nothing, so our local groups would be
	// orphans if we do not hold them (a restart faster than deadtime).
	o.takeOrphans()
	s.PeerStable = false
	o.send(resourceMsg(o.myHold(), o.stableFlag(), ""))
	o.logf(MsgPeerStarting, o.cfg.Peer, o.myHold())
}

// onResource is process_resources' T_RESOURCES branch for the peer's
// message, plus the split-brain rule.
func (o *Ownership) onResource(m Message, now time.Time) {
	s := &o.st
	s.PeerHold = updHold(m.Full, s.PeerHold, m.Hold)
	if s.PeerHold&HoldForeign != 0 {
		s.orphansLogged = false // the peer holds our local groups: episode over
	}
	if o.nice() {
		bothStarting := s.R == RBothStarting
		if s.R == RStarting || s.R == RBothStarting {
			s.R = RRscRcvd
		}
		if m.Info == InfoNoStandby && o.waitingForPeerStep() {
			// hbd (improvement 5): an hbd peer in no handshake ignored
			// our last step (other or done) and will never send the
			// next; Heartbeat waits an hour. isstable=1 alone proves
			// nothing: a 3.0.6 peer's req_our_resources child says it
			// while the parent is inside the handshake.
			o.logf(MsgHandshakeAbandoned, o.cfg.Peer)
			o.cancelStandby()
			defer o.takeOrphans()
		}
		switch m.Stable {
		case Stable:
			if !s.PeerStable {
				s.PeerStable = true
				o.logf(MsgRemoteTransition)
				o.send(resourceMsg(o.myHold(), o.stableFlag(), ""))
				o.tryFailback(now)
			}
		case Unstable:
			s.PeerStable = false
		}
		if s.R != RStable && s.PeerStable {
			o.logf(MsgRemoteTransition)
			o.reqOurResources(false)
			s.R = RStable
			o.sendHeld("")
			o.tryFailback(now)
		}
		if bothStarting && s.R == RRscRcvd && m.Full && m.Hold == HoldNone && m.Stable == Unstable {
			o.bothStartingTake()
		}
	}
	o.resolveSplit()
	if m.Stable == Stable && m.Info != InfoReqOurResources {
		// Not on a 3.0.6 req_our_resources child's message: its
		// rsc_hold= may predate a standby acquisition the peer has
		// started since (the class is set only once it is done).
		o.takeOrphans()
	}
}

// waitingForPeerStep reports whether this node is in a standby handshake
// waiting for the peer's next step after sending its own: the acquirer
// after info=other, the requester after info=done. Where we still owe a
// step (stopping before our done, starting before our done) the peer is
// waiting for us, so nothing from it ends the handshake.
func (o *Ownership) waitingForPeerStep() bool {
	s := &o.st
	return s.Standby == StandbyOther || s.Standby == StandbyDone && !s.doneOnStart
}

// bothStartingTake is hbd improvement 6: both nodes are starting (the
// peer's t=starting came while ours was unanswered) and the peer's answer,
// a full t=resource rsc_hold=none isstable=0, says it holds nothing. A
// starting peer takes only its own local groups until it has our answer
// (hb_resource.c: it takes foreign groups only in mach_down, on
// t=shutdone, or in a standby handshake, none of which a starting node
// is in; takeover_from_node claims HB_FOREIGN_RSC before it starts
// anything), so our local groups can be taken now instead of after
// RQSTDELAY. Our t=resource isstable=1 then lets a Heartbeat 3.0.6 peer
// take its own local groups at once too (process_resources:
// req_our_resources(FALSE) once the other side is stable).
func (o *Ownership) bothStartingTake() {
	s := &o.st
	o.logf(MsgBothStarting, o.cfg.Peer)
	o.reqOurResources(false)
	s.R = RStable
	o.logf(MsgLocalTransition)
	o.sendHeld("")
}

// takeOrphans: hbd takes its local groups when it is settled and nobody
// holds them, where AuditResources only logs it. A node without local
// groups has nothing to take and says nothing; a group whose start failed
// is being handed to the peer and is not taken again. The ERROR line is
// logged once per episode: until a local group runs here or the peer
// claims them.
func (o *Ownership) takeOrphans() {
	s := &o.st
	if s.R != RStable || s.Standby != StandbyNot || s.PeerHold&HoldForeign != 0 || o.myHold()&HoldLocal != 0 {
		return
	}
	var take []*GroupState
	for i := range s.Groups {
		if g := &s.Groups[i]; g.Local && !g.Failed {
			take = append(take, g)
		}
	}
	if len(take) == 0 {
		return
	}
	if !s.orphansLogged {
		s.orphansLogged = true
		o.logf(MsgNoOneOwnsLocal)
	}
	for _, g := range take {
		g.Want = true
	}
	o.sendHeld("")
}

// reqOurResources is req_our_resources: take the local groups unless we
// or the peer already hold them.
func (o *Ownership) reqOurResources(anyway bool) {
	s := &o.st
	if !anyway && s.Standby == StandbyNot && (s.PeerHold&HoldForeign != 0 || o.myHold()&HoldLocal != 0) {
		o.logf(MsgLocalAcquisitionNone)
		return
	}
	o.setWant(HoldLocal, true)
}

// resolveSplit is hbd's split-brain rule (improvement 1); the peer's claim
// is fresh from its t=resource.
func (o *Ownership) resolveSplit() {
	s := &o.st
	theirs := s.PeerHold.Mirror() // in my words
	var conflict, released bool
	for i := range s.Groups {
		g := &s.Groups[i]
		if g.keepAnnounce && g.Class()&theirs == 0 {
			g.keepAnnounce = false
			o.acts = append(o.acts, Action{Kind: ActAnnounce, Group: g.Key})
			o.logf(MsgSplitOver, o.cfg.Peer, g.Key)
		}
		if !g.Want || g.Class()&theirs == 0 {
			continue
		}
		conflict = true
		if g.Local {
			o.logf(MsgSplitKeep, g.Key, g.Preferred)
			g.keepAnnounce = true
			o.acts = append(o.acts, Action{Kind: ActAnnounce, Group: g.Key})
			continue
		}
		o.logf(MsgSplitRelease, g.Key, g.Preferred)
		g.Want = false
		released = true
	}
	if !conflict {
		return
	}
	if theirs&o.myHold()&HoldLocal != 0 || theirs&HoldLocal != 0 && released {
		o.logf(MsgBothOwnLocal)
	}
	if released {
		o.logf(MsgBothOwnForeign)
		s.NeedsFailback = false
	}
	o.sendHeld("")
}

// onShutdone is HBDoMsg_T_SHUTDONE: the peer gave everything up.
func (o *Ownership) onShutdone() {
	s := &o.st
	o.logf(MsgShutdownNotice, o.cfg.Peer)
	// hbd: the peer is gone until it is heard running again (EvPeerAlive
	// then announces our holdings: the engine sends it when a status
	// follows a shutdone).
	s.PeerAlive, s.PeerHold, s.PeerStable = false, HoldNone, true
	if s.Standby != StandbyNot {
		o.cancelStandby()
	}
	if o.myHold() != HoldAll {
		o.logf(MsgResourcesAcquired, o.cfg.Peer)
	}
	o.takeOver(HoldAll)
	s.NeedsFailback = true
	s.R = RStable
}

// onIPRequest is rc.d/ip-request: give the group up if we have it, then
// answer.
func (o *Ownership) onIPRequest(key string) {
	g := o.group(key)
	if g == nil || (!g.Want && g.Phase == Stopped) {
		o.send(Message{Type: TypeIPRequestResp, Dest: o.cfg.Peer, Group: key, WeOwn: false, OK: true})
		o.logf(MsgIPRequestNotOurs, key)
		return
	}
	g.Want = false
	if o.st.ipResp == nil {
		o.st.ipResp = map[string]bool{}
	}
	o.st.ipResp[key] = true
	o.logf(MsgIPRequestGiving, key, o.cfg.Peer)
}

// onDone applies a resource-layer completion.
func (o *Ownership) onDone(ev Event, now time.Time) {
	g := o.group(ev.Group)
	if g == nil {
		return
	}
	switch {
	case ev.Kind == EvStartDone && g.Phase == Starting:
		g.Phase, g.Failed = Running, false
		if g.Local {
			o.st.orphansLogged = false
		}
	case ev.Kind == EvStartFailed && g.Phase == Starting:
		g.Phase, g.Failed, g.Want = Stopped, true, false
		o.startFailed(g, now)
	case ev.Kind == EvStopFailed && (g.Phase == Stopping || g.Phase == Starting):
		o.stopFailed(g, now)
	case ev.Kind == EvStopDone && g.Phase == Stopping:
		g.Phase, g.StopFailed = Stopped, false
		if g.giveUpOnStop {
			g.giveUpOnStop = false
			if !g.Want {
				o.handOverFailed(g, now)
			}
		}
	case ev.Kind == EvResourceFailed && g.Phase == Running && g.Want && !g.StopFailed:
		// hbd: stop it here, then hand it over as a failed start is;
		// the class stays in rsc_hold= until the stop completes, so the
		// peer never starts it while it is still here.
		g.Want, g.Failed, g.giveUpOnStop = false, true, true
		o.logf(MsgRunningFailed, g.Key)
	}
}

// handOverFailed hands the class of a group that failed while running to
// the peer at once, now that the group is stopped here: the engine's
// restart budget already spent the time ResourceManager's 30 s sleep is
// for.
func (o *Ownership) handOverFailed(g *GroupState, now time.Time) {
	o.st.PendingGiveUp |= g.Class()
	o.st.GiveUpAt = now
	o.sendHeld("")
}

// startFailed gives a group that failed to start up: its class goes to
// the peer after FailedStartDelay.
func (o *Ownership) startFailed(g *GroupState, now time.Time) {
	o.logf(MsgStartFailed, g.Key)
	o.st.PendingGiveUp |= g.Class()
	o.st.GiveUpAt = now.Add(o.cfg.FailedStartDelay)
	o.sendHeld("")
}

// stopFailed: resources of the group still run after its stop (or after
// the rollback of a failed start). Heartbeat reboots here
// (RecoverFromFailedStop); hbd never reboots, so it keeps the group held:
// it does not send what a completed release sends (info=done, shutdone,
// ip-request-resp), tells the peer it still holds the class, and retries
// the stop every StopRetry.
func (o *Ownership) stopFailed(g *GroupState, now time.Time) {
	wasStart := g.Phase == Starting
	g.Phase, g.StopFailed, g.stopRetryAt = Running, true, now.Add(o.cfg.StopRetry)
	if wasStart {
		g.Failed, g.Want = true, false
		o.startFailed(g, now)
	} else {
		o.sendHeld("")
	}
	o.logf(MsgStopFailed, g.Key, o.cfg.Peer, o.cfg.StopRetry)
}

func (o *Ownership) onTick(now time.Time) {
	s := &o.st
	if !s.StandbyUntil.IsZero() && !now.Before(s.StandbyUntil) {
		o.logf(MsgStandbyTimeout)
		o.cancelStandby()
		s.PeerStable = true
		o.takeOrphans()
	}
	if (s.R == RRscRcvd || s.R == RStarting || s.R == RBothStarting) && !now.Before(s.RequestAt) {
		s.R = RStable
		o.reqOurResources(false)
		o.logf(MsgLocalTransition)
		o.sendHeld("")
	}
	if s.NeedsFailback && !s.FailbackAt.IsZero() && !now.Before(s.FailbackAt) {
		s.FailbackAt = time.Time{}
		o.tryFailback(now)
	}
	if s.PendingGiveUp != HoldNone && !now.Before(s.GiveUpAt) {
		o.giveUpFailed(now)
	}
	if len(s.asked) > 0 && s.PeerAlive && !now.Before(s.askAt) {
		o.askAgain(now)
	}
}

// giveUpFailed hands the class of a failed group to the peer with the
// standby handshake, as ResourceManager's "hb_standby local|foreign" does;
// it releases whatever else of the class we run, and the peer starts the
// whole class, the failed group included. Refused requests are retried.
func (o *Ownership) giveUpFailed(now time.Time) {
	s := &o.st
	set := s.PendingGiveUp
	if !s.PeerAlive {
		s.PendingGiveUp = HoldNone
		o.logf(MsgFailedNotHanded, o.cfg.Peer)
		return
	}
	if !o.nice() {
		// Legacy has no standby: say "we gave it up, take it" per group
		// with the message rc.d/ip-request-resp acts on.
		s.PendingGiveUp = HoldNone
		for _, g := range s.Groups {
			if g.Failed && !g.Want && g.Class()&set != 0 {
				o.send(Message{Type: TypeIPRequestResp, Dest: o.cfg.Peer, Group: g.Key, WeOwn: true, OK: true})
				o.logf(MsgHandingFailed, g.Key, o.cfg.Peer)
			}
		}
		return
	}
	if o.requestStandby(set, now) {
		s.PendingGiveUp = HoldNone
		return
	}
	s.GiveUpAt = now.Add(o.cfg.FailbackRetry)
}

// tryFailback is PerformAutoFailback.
func (o *Ownership) tryFailback(now time.Time) {
	s := &o.st
	if s.R == RShutdown || o.myHold()&HoldForeign == 0 || !s.NeedsFailback || o.cfg.AutoFailback != FailbackOn {
		s.NeedsFailback = false
		return
	}
	if s.Standby != StandbyNot || !s.PeerStable || s.R != RStable {
		s.FailbackAt = now.Add(o.cfg.FailbackRetry)
		o.logf(MsgFailbackDelayed)
		return
	}
	s.NeedsFailback = false
	o.logf(MsgFailbackTriggered)
	o.requestStandby(HoldForeign, now)
}
