//go:build interop

package interop

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// Poll is how often the lab re-reads logs and node views while waiting.
const Poll = 50 * time.Millisecond

// WaitLog waits until the node's logs have more than already lines
// containing one of subs, re-reading them every Poll, and returns the
// first of subs that does; it fails the test when ctx ends first.
func (n *Node) WaitLog(ctx context.Context, t testing.TB, already int, subs ...string) string {
	t.Helper()
	s, err := netlab.WaitLines(ctx, Poll, n.Logs, already, subs...)
	if err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return s
}

// WaitView waits until n's view of other satisfies ok, polling every
// Poll; it fails the test with the last view when ctx ends first.
func (l *Lab) WaitView(ctx context.Context, t testing.TB, n *Node, other string, what string, ok func(View) bool) View {
	t.Helper()
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	var last View
	var lastErr error
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := n.ViewOf(qctx, t, other)
		cancel()
		if err == nil && ok(v) {
			return v
		}
		last, lastErr = v, err
		select {
		case <-ctx.Done():
			t.Fatalf("%s (%s) never saw %s %s: last view %+v, error %v; cause %v", n.Name, n.Impl, other, what, last, lastErr, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// WaitActive waits until each node reports the other as active.
func (l *Lab) WaitActive(ctx context.Context, t testing.TB) {
	t.Helper()
	for _, n := range l.Nodes {
		l.WaitView(ctx, t, n, l.Peer(n).Name, "active", func(v View) bool { return v.Status == "active" })
	}
}

// VIPAdded waits for the first event at position from or later that adds
// the VIP on node and returns it.
func (l *Lab) VIPAdded(ctx context.Context, t testing.TB, from int, node string) AddrEvent {
	t.Helper()
	return l.vipEvent(ctx, t, from, node, true)
}

// VIPRemoved waits for the first event at position from or later that
// removes the VIP from node and returns it.
func (l *Lab) VIPRemoved(ctx context.Context, t testing.TB, from int, node string) AddrEvent {
	t.Helper()
	return l.vipEvent(ctx, t, from, node, false)
}

func (l *Lab) vipEvent(ctx context.Context, t testing.TB, from int, node string, added bool) AddrEvent {
	t.Helper()
	e, _, err := l.Addrs.First(ctx, from, func(e AddrEvent) bool {
		return e.Node == node && e.Prefix.Addr() == VIP.Addr() && e.Added == added
	})
	if err != nil {
		t.Fatalf("VIP %s on %s (added=%v): %v", VIP.Addr(), node, added, err)
	}
	return e
}

// VIPHolders is the set of nodes holding the VIP now, from the address
// events.
func (l *Lab) VIPHolders() map[string]bool { return netlab.Holders(l.Addrs.Since(0), VIP.Addr()) }

// AssertOnlyHolder fails the test unless exactly node holds the VIP now.
func (l *Lab) AssertOnlyHolder(t testing.TB, node string) {
	t.Helper()
	if got := l.VIPHolders(); len(got) != 1 || !got[node] {
		t.Errorf("VIP holders = %v, want only %s", keys(got), node)
	}
}

// HeldSince reports whether node held the VIP at any moment from event
// position from on (including a hold that started before from).
func (l *Lab) HeldSince(from int, node string) bool {
	all := l.Addrs.Since(0)
	if netlab.Holders(all[:min(from, len(all))], VIP.Addr())[node] {
		return true
	}
	for _, e := range all[min(from, len(all)):] {
		if e.Node == node && e.Prefix.Addr() == VIP.Addr() && e.Added {
			return true
		}
	}
	return false
}

// ClearVIP removes a leftover VIP from node (what a reboot of a killed
// node does), if it holds it.
func (l *Lab) ClearVIP(t testing.TB, n *Node) {
	t.Helper()
	addrs, err := n.NS.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	for link, ps := range addrs {
		for _, p := range ps {
			if p.Addr() == VIP.Addr() {
				if err := n.NS.DelAddr(link, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// dump logs every node's configuration, logs, reboot log and the address
// timeline.
func (l *Lab) dump(t testing.TB) {
	for _, n := range l.Nodes {
		for _, f := range []string{"ha.cf", "authkeys", "haresources"} {
			data, _ := os.ReadFile(n.ConfDir() + "/" + f)
			t.Logf("---- %s (%s) %s:\n%s", n.Name, n.Impl, f, data)
		}
		t.Logf("---- %s (%s) logs (%s, %s):\n%s", n.Name, n.Impl, n.LogFile(), n.OutFile(), netlab.Tail(n.Logs(), 250))
		if data, err := os.ReadFile(n.RebootLog()); err == nil {
			t.Logf("---- %s reboot neutraliser calls:\n%s", n.Name, data)
		}
	}
	t.Logf("---- address events:\n%s", netlab.Lines(l.Addrs.Since(0)))
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
