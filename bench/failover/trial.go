//go:build bench

package failover

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
)

// FormTimeout bounds start → pair formed beyond initdead.
const FormTimeout = 20 * time.Second

// TakeoverTimeout bounds kill → VIP and GARP on node2 beyond deadtime.
const TakeoverTimeout = 10 * time.Second

// maxConsecutiveErrors ends a set early: the implementation does not
// work at this profile, and more trials would only repeat it.
const maxConsecutiveErrors = 3

// newLab builds an interop lab with impl on both nodes, configured for p.
func newLab(t *testing.T, impl interop.Impl, p Profile) (*interop.Lab, *watch) {
	t.Helper()
	l := interop.New(t, [2]interop.Impl{impl, impl})
	c := interop.Cluster{Keepalive: p.Keepalive, Deadtime: p.Deadtime, Initdead: p.Initdead, AutoFailback: "on"}
	for _, n := range l.Nodes {
		n.Configure(t, c, interop.SHA1, interop.HaResources())
	}
	return l, startWatch(t, l)
}

// runSet runs up to trials kills of impl at p into set, each on a freshly
// started pair. It stops early when the lab's context ends (a node exited
// by itself) or after maxConsecutiveErrors failed trials in a row.
func runSet(t *testing.T, impl interop.Impl, p Profile, trials int, set *Set) {
	t.Helper()
	l, w := newLab(t, impl, p)
	bad := 0
	for i := range trials {
		tr := runTrial(t, l, w, p)
		set.Trials = append(set.Trials, tr)
		if tr.Error == "" {
			bad = 0
			t.Logf("%s %s trial %d: kill→VIP %.1f ms, kill→GARP %.1f ms, last heartbeat %.1f ms before the kill, formed in %.0f ms",
				impl, p.Name, i+1, tr.VIPMs, tr.GARPMs, tr.LastHBMs, tr.FormedMs)
			continue
		}
		bad++
		t.Logf("%s %s trial %d: %s", impl, p.Name, i+1, tr.Error)
		if err := context.Cause(l.Context()); err != nil {
			set.Note = fmt.Sprintf("stopped after trial %d: %v", i+1, err)
			return
		}
		if bad >= maxConsecutiveErrors {
			set.Note = fmt.Sprintf("stopped after %d failed trials in a row; last: %s", bad, tr.Error)
			return
		}
	}
}

// runTrial starts both nodes, waits for the pair, kills node1 and times
// the takeover, then kills node2 and removes the VIP from both.
func runTrial(t *testing.T, l *interop.Lab, w *watch, p Profile) Trial {
	t.Helper()
	n1, n2 := l.Nodes[0], l.Nodes[1]
	var tr Trial
	from := l.Addrs.Len()
	start := time.Now()
	n1.Start(t)
	killed, started2 := false, false
	defer func() {
		if l.Context().Err() != nil {
			return // a node exited by itself; the set ends and cleanup kills the rest
		}
		if !killed {
			n1.Kill9(t)
		}
		if started2 {
			n2.Kill9(t)
		}
		l.ClearVIP(t, n1)
		l.ClearVIP(t, n2)
		if err := waitNoHolder(l); err != nil {
			t.Fatal(err)
		}
	}()
	if err := waitFormed(t, l, from, p, func() { n2.Start(t); started2 = true }); err != nil {
		tr.Error = err.Error()
		return tr
	}
	tr.FormedMs = ms(time.Since(start))
	// Let the pair run a little, and spread the kill over the keepalive
	// cycle so the trials sample its phase.
	settle := max(2*p.Keepalive, MinSettle) + rand.N(p.Keepalive)
	if err := sleep(l.Context(), settle); err != nil {
		tr.Error = err.Error()
		return tr
	}
	if slices.ContainsFunc(l.Addrs.Since(from), isVIPAdd(n2.Name)) {
		tr.Error = "node2 held the VIP before the kill (false failover while the pair formed)"
		return tr
	}
	addrFrom, arpFrom := l.Addrs.Len(), w.arps.Len()
	mac, err := n2.NS.MAC(interop.LANLink)
	if err != nil {
		t.Fatal(err)
	}
	tr.Kill = n1.Kill9(t)
	killed = true
	ctx, cancel := context.WithTimeout(l.Context(), p.Deadtime+TakeoverTimeout)
	defer cancel()
	vip, _, err := l.Addrs.First(ctx, addrFrom, isVIPAdd(n2.Name))
	if err != nil {
		tr.Error = fmt.Sprintf("no VIP on node2 within deadtime + %v: %v", TakeoverTimeout, err)
		return tr
	}
	garp, _, err := w.arps.First(ctx, arpFrom, func(a arpSeen) bool { return a.Announces(interop.VIP.Addr(), mac) })
	if err != nil {
		tr.Error = fmt.Sprintf("no gratuitous ARP from node2 within deadtime + %v: %v", TakeoverTimeout, err)
		return tr
	}
	last := w.lastFrom(n1.LAN.Addr(), n1.HB.Addr())
	if last.IsZero() {
		tr.Error = "no heartbeat datagram from node1 captured"
		return tr
	}
	// The kernel stamps carry no monotonic reading: compare wall clocks.
	kill := tr.Kill.Round(0)
	tr.VIPMs, tr.GARPMs, tr.LastHBMs = ms(vip.At.Round(0).Sub(kill)), ms(garp.At.Sub(kill)), ms(kill.Sub(last))
	return tr
}

// StableLine is what node2 logs when its join negotiation is over
// (Heartbeat's words, which hbd keeps: internal/heartbeat/r1/messages.go).
// A Heartbeat node that joins an active peer logs it only after
// RQSTDELAY (10 s), together with "Initial resource acquisition complete
// (auto_failback)"; until then a kill of the peer is handled late (2 s
// beyond deadtime at 100 ms/500 ms in a trial run), so the benchmark
// waits for it in both implementations.
const StableLine = "remote resource transition completed."

// MinSettle is the least time the stable pair runs before the kill.
const MinSettle = 500 * time.Millisecond

// waitFormed waits until node1 holds the VIP (an add since event position
// from), then calls startPeer and waits until each node reports the other
// active and node2 has logged StableLine. node1 starts alone: after
// initdead it takes its group at once, and node2 then joins a stable
// peer. Starting both at once would add Heartbeat's RQSTDELAY resource
// negotiation to node1's start too (internal/heartbeat/r1/doc.go).
func waitFormed(t *testing.T, l *interop.Lab, from int, p Profile, startPeer func()) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(l.Context(), p.Initdead+FormTimeout)
	defer cancel()
	if _, _, err := l.Addrs.First(ctx, from, isVIPAdd(l.Nodes[0].Name)); err != nil {
		return fmt.Errorf("node1 never took the VIP: %w", err)
	}
	n2 := l.Nodes[1]
	already := logCount(n2, StableLine)
	startPeer()
	for _, n := range l.Nodes {
		if err := waitActive(ctx, t, n, l.Peer(n).Name); err != nil {
			return err
		}
	}
	for logCount(n2, StableLine) <= already {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("node2 never logged %q: %w", StableLine, err)
		}
	}
	return nil
}

// logCount counts the lines of n's log file (not its captured output,
// which repeats some of them) that contain s.
func logCount(n *interop.Node, s string) int {
	data, _ := os.ReadFile(n.LogFile()) // missing: nothing logged yet
	return CountLines(string(data), []string{s})[s]
}

// waitActive polls n's view of other until it is active.
func waitActive(ctx context.Context, t *testing.T, n *interop.Node, other string) error {
	t.Helper()
	var last interop.View
	var lastErr error
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := n.ViewOf(qctx, t, other)
		cancel()
		if err == nil && v.Status == "active" {
			return nil
		}
		last, lastErr = v, err
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("%s never saw %s active (last %q, %v): %w", n.Name, other, last.Status, lastErr, err)
		}
	}
}

// waitNoHolder waits until the address events show the VIP on no node,
// so the next trial's events start after the cleanup's deletions.
func waitNoHolder(l *interop.Lab) error {
	ctx, cancel := context.WithTimeout(l.Context(), 5*time.Second)
	defer cancel()
	for len(l.VIPHolders()) > 0 {
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return fmt.Errorf("VIP still held by %v after removing it: %w", l.VIPHolders(), err)
		}
	}
	return nil
}

func isVIPAdd(node string) func(interop.AddrEvent) bool {
	return func(e interop.AddrEvent) bool {
		return e.Node == node && e.Added && e.Prefix.Addr() == interop.VIP.Addr()
	}
}

// sleep waits d or until ctx ends (then it returns ctx's cause).
func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("interrupted"), context.Cause(ctx))
	}
}
