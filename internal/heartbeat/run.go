package heartbeat

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/ipfail"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// levelCrit is Heartbeat's CRIT priority (daemon.LevelCrit).
const levelCrit = member.LevelCrit

// maxMsgHist is MAXMSGHIST: sent messages kept for retransmission.
const maxMsgHist = 500

// maxRexmitBatch bounds the messages resent for one request (heartbeat.c).
const maxRexmitBatch = 50

// dropLogEvery rate-limits the log lines about dropped packets per reason.
const dropLogEvery = 10 * time.Second

type sentMsg struct {
	buf    []byte
	resent time.Time
}

type opResult struct {
	group string
	start bool
	res   resources.Result
	took  time.Duration // from launch, a hand-over wait included
}

type dropStat struct {
	total, suppressed uint64
	last              time.Time
}

// pending is a standby or takeover request waiting for its move.
type pending struct {
	kind     reqKind
	set      r1.Hold
	reply    chan reply
	started  bool      // takeover: the peer's handshake began
	deadline time.Time // takeover: the handshake must begin by then
}

// loopState is everything the loop goroutine owns.
type loopState struct {
	keys           map[int]wire.Auth
	active         wire.Auth
	keepalive      time.Duration
	live           *member.Liveness
	replay         *member.Replay
	own            *r1.Ownership
	status         string // our st=
	started        bool   // comm up: r1.EvStart given
	startedAt      time.Time
	seq            uint64
	hist           map[uint64]*sentMsg
	nakSent        time.Time         // the last NS_nak_rexmit answer, against a flood of replayed requests
	peerShutdone   bool              // the peer's t=shutdone accepted, no running status since
	bodies         map[uint64]string // what the peer's accepted seqs said (recv.go conflictingCopy)
	nextSend       time.Time
	ops            map[string]bool
	opDone         chan opResult
	opCtx          context.Context
	wg             sync.WaitGroup
	pending        []*pending
	stopping       bool // Shutdown requested
	shutdone       bool // t=shutdone sent
	waiters        []chan reply
	drops          map[string]*dropStat // received packets dropped, by reason
	sendErrs       map[string]*dropStat // send failures, by link
	heard          map[string]time.Time // link -> last packet from the peer
	peerUUID       []byte
	ownTicked      time.Time       // the ownership deadline last ticked, against spinning
	restartLogged  map[string]bool // reload: restart-only changes already logged
	mon            monState        // the resource monitor (monitor.go)
	watchdogFailed bool            // a watchdog write failed: no more tickles
	ipf            *ipfail.Machine // built-in ipfail; nil when not enabled (ipfailrun.go)
	peerConfig     string          // the haresources comparison with the peer (peerconfig.go); "" before
	peerGen        uint64          // the peer's generation (hg=) last accepted
	peerSince      time.Time       // when that generation was first heard: the peer's boot, for hand-over delays
}

// Run runs the node until ctx ends (an abrupt stop: resources stay as they
// are, as after SIGKILL) or Shutdown completes (resources released); both
// return nil. Before anything else it removes the addresses of groups this
// node does not hold (all of them, at start) that a killed predecessor left
// behind. Run may be called once.
func (n *Node) Run(ctx context.Context) error {
	defer close(n.done)
	now := time.Now()
	if err := n.init(ctx, now); err != nil {
		return err
	}
	l := &n.l
	n.removeLeftovers(ctx)
	n.prepareGroups(ctx)
	rctx, cancel := context.WithCancel(ctx)
	pkts := make(chan Packet, 256)
	var rwg sync.WaitGroup
	rwg.Go(func() {
		if err := n.cfg.Transport.Receive(rctx, pkts); err != nil {
			n.log.Error("receiving heartbeats", "err", err)
		}
	})
	echoes := make(chan Echo, 64)
	if n.cfg.Pinger != nil {
		rwg.Go(func() {
			if err := n.cfg.Pinger.Receive(rctx, echoes); err != nil {
				n.log.Error("receiving echo replies", "err", err)
			}
		})
		if !ipfailEnabled(n.cfg.HaCf) {
			n.log.Info(fmt.Sprintf(MsgPingNoFailover, len(n.cfg.PingNodes)))
		}
	}
	defer func() {
		cancel()
		l.wg.Wait()
		rwg.Wait()
		n.failPending(ErrStopped)
	}()
	n.log.Info(fmt.Sprintf(MsgGeneration, n.cfg.Generation))
	n.log.Info(fmt.Sprintf(MsgLocalStatus, l.status))
	n.sendStatus(now)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// armed is the wake the timer is set for: it is reset only when the
	// next wake moves, not on every packet (a runtime timer change can
	// wake the netpoller: issue 14's idle CPU).
	var armed time.Time
	for {
		if l.stopping && l.shutdone && len(l.ops) == 0 {
			n.retireGroups(ctx)
			n.log.Info(MsgShutdownComplete)
			for _, w := range l.waiters {
				w <- reply{text: MsgShutdownComplete}
			}
			return nil
		}
		if wake := n.nextWake(); !wake.Equal(armed) {
			timer.Reset(max(time.Until(wake), 0))
			armed = wake
		}
		select {
		case <-ctx.Done():
			return nil
		case p := <-pkts:
			n.onPacket(p, time.Now())
		case e := <-echoes:
			n.onEcho(e, time.Now())
		case r := <-l.opDone:
			n.onOpDone(r, time.Now())
		case r := <-l.mon.done:
			n.onCheckDone(r, time.Now())
		case req := <-n.reqs:
			n.onRequest(req, time.Now())
		case <-timer.C:
			armed = time.Time{}
			n.onTimer(time.Now())
		}
	}
}

func (n *Node) init(ctx context.Context, now time.Time) error {
	cf := n.cfg.HaCf
	keys, err := authMap(n.cfg.Keys)
	if err != nil {
		return fmt.Errorf("running node: %w", err)
	}
	links := n.cfg.Transport.Links()
	watched := append([]member.WatchedNode{{Name: n.peer, Links: links}}, watchedPingNodes(n.cfg.PingNodes)...)
	live, err := member.NewLiveness(member.LivenessConfig{Nodes: watched,
		Deadtime: cf.Deadtime, Warntime: cf.Warntime, Initdead: cf.Initdead, Deadping: cf.Deadping}, now)
	if err != nil {
		return fmt.Errorf("running node: %w", err)
	}
	own, err := r1.NewOwnership(n.ownershipConfig())
	if err != nil {
		return fmt.Errorf("running node: %w", err)
	}
	var trig uint64
	if n.cfg.Rand != nil {
		trig = n.cfg.Rand.Uint64N(member.AckDiv)
	}
	n.l = loopState{keys: keys, active: keys[n.cfg.Keys.Active], keepalive: cf.Keepalive, live: live, own: own,
		replay: member.NewReplay(member.ReplayConfig{Node: n.peer, MaxRexmitDelay: cf.MaxRexmitDelay, AckTrigger: trig, Rand: n.cfg.Rand}),
		status: member.StatusUp, startedAt: now, hist: map[uint64]*sentMsg{}, nextSend: now.Add(cf.Keepalive),
		ops: map[string]bool{}, opDone: make(chan opResult, 2*len(n.cfg.Groups)+1), opCtx: ctx,
		drops: map[string]*dropStat{}, sendErrs: map[string]*dropStat{}, heard: map[string]time.Time{},
		mon: n.initMonitor(now)}
	n.l.ipf = n.newIPfail()
	return nil
}

// removeLeftovers deletes the VIPs of every group: at start this node holds
// none, so any present were left by a killed predecessor.
func (n *Node) removeLeftovers(ctx context.Context) {
	if n.cfg.VIPs == nil {
		return
	}
	for _, g := range n.cfg.Groups {
		removed, err := n.cfg.VIPs.Sweep(ctx, g)
		for _, a := range removed {
			n.log.Warn(fmt.Sprintf(MsgLeftoverAddr, a.Prefix, a.Iface))
		}
		if err != nil {
			n.log.Error("removing leftover addresses", "group", g.Key(), "err", err)
		}
	}
}

// nextWake is the earliest deadline of anything the loop drives.
func (n *Node) nextWake() time.Time {
	l := &n.l
	next := l.nextSend
	consider := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	consider(l.live.NextDeadline())
	if d := l.own.NextDeadline(); !d.Equal(l.ownTicked) {
		consider(d)
	}
	consider(l.replay.NextRexmit())
	consider(l.mon.next)
	if l.ipf != nil {
		consider(l.ipf.NextDeadline())
	}
	for _, p := range l.pending {
		consider(p.deadline)
	}
	return next
}

func (n *Node) onTimer(now time.Time) {
	l := &n.l
	if !now.Before(l.nextSend) {
		n.sendStatus(now)
		l.nextSend = now.Add(l.keepalive)
	}
	n.onLive(l.live.Tick(now), now)
	if d := l.own.NextDeadline(); !d.IsZero() && !now.Before(d) && !d.Equal(l.ownTicked) {
		l.ownTicked = d
		n.step(r1.Event{Kind: r1.EvTick}, now)
	}
	n.sendRexmits(now)
	n.checkPending(now)
	n.monitorDue(now)
	if l.ipf != nil {
		if d := l.ipf.NextDeadline(); !d.IsZero() && !now.Before(d) {
			n.ipfailStep(ipfail.Event{Kind: ipfail.EvTick}, now)
		}
	}
	n.flushDropCounts(now)
}

// onLive reacts to liveness changes. Only the peer's changes move
// membership and ownership; a ping node's are logged and shown in status.
func (n *Node) onLive(evs []member.LiveEvent, now time.Time) {
	for _, e := range evs {
		n.cfg.Observer.Live(e)
		switch e.Kind {
		case member.LinkUp, member.LinkDead:
			n.log.Info(e.Reason, "node", e.Node, "link", e.Link)
		case member.NodeWarn:
			lvl := slog.LevelWarn
			if e.Crit {
				lvl = levelCrit
			}
			n.log.Log(context.Background(), lvl, e.Reason, "node", e.Node)
		case member.NodeDead:
			n.log.Warn(e.Reason, "node", e.Node)
			if e.Node == n.peer {
				n.onPeerLive(false, now)
			}
		case member.NodeUp, member.NodeActive:
			n.log.Info(e.Reason, "node", e.Node)
			if e.Node == n.peer {
				n.onPeerLive(true, now)
				if e.Kind == member.NodeActive {
					n.askPeerClient(now)
				}
			}
		}
		n.ipfailLive(e, now)
	}
}

// onPeerLive reacts to the peer's death or return.
func (n *Node) onPeerLive(alive bool, now time.Time) {
	l := &n.l
	switch {
	case !alive:
		l.replay.NodeDead()
		if !l.started {
			n.commUp(false, now)
		} else {
			n.step(r1.Event{Kind: r1.EvPeerDead}, now)
		}
	case !l.started:
		n.commUp(true, now)
	default:
		n.step(r1.Event{Kind: r1.EvPeerAlive}, now)
	}
}

// commUp is comm_now_up: the peer was heard, or initdead passed.
func (n *Node) commUp(peerAlive bool, now time.Time) {
	l := &n.l
	l.started = true
	n.log.Info(MsgCommUp)
	l.status = member.StatusActive
	n.log.Info(fmt.Sprintf(MsgLocalStatus, l.status))
	n.sendStatus(now)
	n.step(r1.Event{Kind: r1.EvStart, PeerAlive: peerAlive}, now)
	n.ipfailJoin(now)
}

// step feeds the ownership machine and carries out its actions.
func (n *Node) step(ev r1.Event, now time.Time) r1.Result {
	res := n.l.own.Step(ev, now)
	n.logLines(res.Lines)
	for _, a := range res.Actions {
		switch a.Kind {
		case r1.ActStart, r1.ActStop:
			n.startOp(a.Group, a.Kind == r1.ActStart)
		case r1.ActAnnounce:
			n.announce(a.Group)
		case r1.ActSend:
			n.send(r1Message(a.Msg), now)
			if a.Msg.Type == r1.TypeShutdone {
				n.l.shutdone = true
			}
		}
	}
	n.checkPending(now)
	return res
}

// logLines logs the ownership machine's lines at the levels it gave them.
func (n *Node) logLines(lines []r1.Line) {
	for _, line := range lines {
		n.log.Log(context.Background(), line.Level, line.Text)
	}
}

// startOp runs a group start or stop on its own goroutine, once a
// monitor check of the group in flight is over.
func (n *Node) startOp(key string, start bool) {
	l := &n.l
	if _, ok := n.groups[key]; !ok {
		return
	}
	l.ops[key] = true
	if l.mon.running[key] {
		l.mon.queued[key] = start
		return
	}
	n.launchOp(key, start)
}

func (n *Node) launchOp(key string, start bool) {
	l := &n.l
	g := n.groups[key]
	ctx := l.opCtx
	began := time.Now()
	wait := n.handOverWait(g, start, began)
	l.wg.Go(func() {
		var res resources.Result
		if wait > 0 {
			n.log.Info(fmt.Sprintf(MsgHandOverWait, wait.Round(time.Millisecond), n.peer, key))
			sleepCtx(ctx, wait)
		}
		if start {
			res = n.cfg.Runner.Acquire(ctx, g)
		} else {
			res = n.cfg.Runner.Release(ctx, g)
		}
		l.opDone <- opResult{group: key, start: start, res: res, took: time.Since(began)}
	})
}

func (n *Node) onOpDone(r opResult, now time.Time) {
	delete(n.l.ops, r.group)
	n.cfg.Observer.GroupDone(r.group, r.start, r.res.OK && len(r.res.StuckRunning) == 0, r.took)
	kind := r1.EvStopDone
	switch {
	case len(r.res.StuckRunning) > 0:
		// Heartbeat reboots here (RecoverFromFailedStop); r1 keeps the
		// group held and retries the stop.
		if r.start {
			n.log.Error(r.res.Reason, "group", r.group)
		}
		n.log.Log(context.Background(), levelCrit, fmt.Sprintf(MsgStopStuck, r.group, r.res.Reason), "group", r.group)
		kind = r1.EvStopFailed
	case r.start && r.res.OK:
		kind = r1.EvStartDone
	case r.start:
		kind = r1.EvStartFailed
		n.log.Error(r.res.Reason, "group", r.group)
	}
	n.step(r1.Event{Kind: kind, Group: r.group}, now)
}

// announce re-sends gratuitous ARP for the group's addresses (a group kept
// by its preferred node after a split brain).
func (n *Node) announce(key string) {
	g, ok := n.groups[key]
	if !ok || n.cfg.VIPs == nil {
		return
	}
	ctx := n.l.opCtx
	n.l.wg.Go(func() {
		if err := n.cfg.VIPs.Reannounce(ctx, g); err != nil && ctx.Err() == nil {
			n.log.Error("re-announcing the group's addresses", "group", key, "err", err)
		}
	})
}
