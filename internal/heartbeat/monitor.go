package heartbeat

// The resource monitor (hbd's own; Heartbeat v1 never monitored
// haresources resources, seeds.md S1.9 wants a dead ldirectord restarted).
// Every MonitorInterval the loop starts, for each group that runs here and
// has no operation in flight, one check on its own goroutine, as it starts
// group operations: GroupMonitor.Monitor restarts the built-in resources
// (IPaddr, IPaddr2, ldirectord) that stopped, within the group's restart
// budget. The loop owns the budget and the decision to give a group up:
// when a resource needs more than MaxRestarts restarts within
// RestartWindow, the group is given to the peer (r1.EvResourceFailed) as a
// failed start is. A group start or stop decided while a check runs waits
// for it, so two operations never run on one group at once.

import (
	"context"
	"fmt"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// GroupMonitor checks a running group's resources and restarts those that
// stopped, at most budget of them; *resources.Manager is the real one.
//
// Concurrency: called on its own goroutine, never concurrently with
// another operation (GroupRunner's or its own) on the same group. It may
// block for the duration of the restarts and must return when ctx ends.
type GroupMonitor interface {
	Monitor(ctx context.Context, g resources.Group, budget int) resources.MonitorResult
}

var _ GroupMonitor = (*resources.Manager)(nil)

// Monitor defaults. Two seconds: a check costs one netlink address dump
// per VIP and one pid file and /proc read per ldirectord, no exec, so it
// can run as often as Heartbeat's default keepalive; a VIP removed behind
// our back is an outage, and a dead ldirectord leaves real server failures
// unhandled, so both are worth finding within a couple of seconds. Five
// restarts in a minute: a resource that keeps dying (or whose restart
// keeps failing: every attempt counts) is handed to the peer after about
// twelve seconds of retries at the default interval, instead of flapping
// here forever.
const (
	DefaultMonitorInterval = 2 * time.Second
	DefaultMaxRestarts     = 5
	DefaultRestartWindow   = time.Minute
)

type monResult struct {
	group string
	res   resources.MonitorResult
}

// monState is the monitor's part of the loop state.
type monState struct {
	next     time.Time
	running  map[string]bool        // group -> a check is in flight
	queued   map[string]bool        // group -> an operation (start=true) waits for the check
	restarts map[string][]time.Time // group -> restarts within the window
	noPeer   map[string]bool        // group -> "cannot hand over" logged in this episode
	done     chan monResult
}

func (n *Node) monitorInterval() time.Duration {
	if n.cfg.MonitorInterval > 0 {
		return n.cfg.MonitorInterval
	}
	return DefaultMonitorInterval
}

func (n *Node) initMonitor(now time.Time) monState {
	m := monState{running: map[string]bool{}, queued: map[string]bool{}, restarts: map[string][]time.Time{},
		noPeer: map[string]bool{}, done: make(chan monResult, len(n.cfg.Groups)+1)}
	if n.cfg.Monitor != nil && n.cfg.MonitorInterval >= 0 {
		m.next = now.Add(n.monitorInterval())
	}
	return m
}

// monitorDue starts the checks whose time has come.
func (n *Node) monitorDue(now time.Time) {
	l := &n.l
	if l.mon.next.IsZero() || now.Before(l.mon.next) {
		return
	}
	l.mon.next = now.Add(n.monitorInterval())
	if l.stopping {
		return
	}
	for _, g := range l.own.State().Groups {
		if g.Phase != r1.Running || !g.Want || g.StopFailed || l.ops[g.Key] || l.mon.running[g.Key] {
			continue
		}
		n.startCheck(g.Key, now)
	}
}

// budget is how many restarts the group may still have now.
func (n *Node) budget(key string, now time.Time) int {
	l := &n.l
	kept := l.mon.restarts[key][:0]
	for _, t := range l.mon.restarts[key] {
		if now.Sub(t) < n.restartWindow() {
			kept = append(kept, t)
		}
	}
	l.mon.restarts[key] = kept
	return max(n.maxRestarts()-len(kept), 0)
}

func (n *Node) startCheck(key string, now time.Time) {
	l := &n.l
	g := n.groups[key]
	budget := n.budget(key, now)
	l.mon.running[key] = true
	ctx := l.opCtx
	l.wg.Go(func() {
		l.mon.done <- monResult{group: key, res: n.cfg.Monitor.Monitor(ctx, g, budget)}
	})
}

// onCheckDone records the restarts, gives the group up when its budget
// ran out, and then runs an operation that waited for the check.
func (n *Node) onCheckDone(r monResult, now time.Time) {
	l := &n.l
	delete(l.mon.running, r.group)
	for range r.res.Restarted {
		l.mon.restarts[r.group] = append(l.mon.restarts[r.group], now)
	}
	switch {
	case r.res.GaveUp == nil:
		if len(r.res.Restarted) == 0 {
			l.mon.noPeer[r.group] = false
		}
	case !n.l.own.State().PeerAlive:
		// Nobody to hand it to: keep the group and restart again once
		// the window lets us.
		if !l.mon.noPeer[r.group] {
			l.mon.noPeer[r.group] = true
			n.log.Error(fmt.Sprintf(MsgMonitorNoPeer, r.res.GaveUp.Raw, n.maxRestarts(), n.restartWindow(), n.peer), "group", r.group)
		}
	case !l.ops[r.group]:
		n.log.Error(fmt.Sprintf(MsgMonitorGiveUp, r.res.GaveUp.Raw, n.maxRestarts(), n.restartWindow(), r.group, n.peer), "group", r.group)
		delete(l.mon.restarts, r.group)
		n.step(r1.Event{Kind: r1.EvResourceFailed, Group: r.group}, now)
	}
	if start, ok := l.mon.queued[r.group]; ok {
		delete(l.mon.queued, r.group)
		n.launchOp(r.group, start)
	}
}

func (n *Node) maxRestarts() int {
	if n.cfg.MaxRestarts > 0 {
		return n.cfg.MaxRestarts
	}
	return DefaultMaxRestarts
}

func (n *Node) restartWindow() time.Duration {
	if n.cfg.RestartWindow > 0 {
		return n.cfg.RestartWindow
	}
	return DefaultRestartWindow
}
