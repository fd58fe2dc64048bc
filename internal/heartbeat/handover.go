package heartbeat

// Standby roles and planned hand-overs (GroupPreparer): the backup role of
// LVSSyncDaemonSwap runs on every node from hbd's start, so a takeover
// finds the connections already in the kernel; a planned move waits until
// the peer has been up long enough to hold them.

import (
	"context"
	"fmt"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// prepareTimeout bounds each group's Prepare and Retire: they are netlink
// calls and sysctl writes.
const prepareTimeout = 10 * time.Second

// prepareGroups puts every group's standby roles in place, before the
// node's first heartbeat: at start it holds no group. A failure is logged;
// the node can still take the group over.
func (n *Node) prepareGroups(ctx context.Context) {
	if n.cfg.Preparer == nil {
		return
	}
	for _, g := range n.cfg.Groups {
		pctx, cancel := context.WithTimeout(ctx, prepareTimeout)
		if err := n.cfg.Preparer.Prepare(pctx, g); err != nil {
			n.log.Error(fmt.Sprintf(MsgPrepareFailed, g.Key(), err), "group", g.Key())
		}
		cancel()
	}
}

// retireGroups removes the standby roles after a clean shutdown, when
// every group has been released.
func (n *Node) retireGroups(ctx context.Context) {
	if n.cfg.Preparer == nil {
		return
	}
	for _, g := range n.cfg.Groups {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prepareTimeout)
		if err := n.cfg.Preparer.Retire(rctx, g); err != nil {
			n.log.Error(fmt.Sprintf(MsgRetireFailed, g.Key(), err), "group", g.Key())
		}
		cancel()
	}
}

// handOverWait is how long a stop of g must wait so that the peer, alive
// and about to take g over, has run its standby role for the group's
// HandOverDelay. peerSince is when the peer's current generation was
// first heard (its start), so a peer that returns from a partition with
// the same generation does not delay the end of a split brain.
func (n *Node) handOverWait(g resources.Group, start bool, now time.Time) time.Duration {
	l := &n.l
	if start || n.cfg.Preparer == nil || l.peerSince.IsZero() || !n.peerAlive() {
		return 0
	}
	return max(n.cfg.Preparer.HandOverDelay(g)-now.Sub(l.peerSince), 0)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// peerAlive reports whether the peer is up or active now.
func (n *Node) peerAlive() bool {
	st, _ := n.l.live.NodeStatus(n.peer)
	return st == member.StatusUp || st == member.StatusActive
}
