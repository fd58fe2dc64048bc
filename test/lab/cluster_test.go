//go:build lab

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Scenario helpers: a started pair, hbd's status, the VIP's timeline.

// statusDoc is `hbd status --json` (the JSON contract users script
// against, so the lab keeps its own copy of the part it reads).
type statusDoc struct {
	Running bool   `json:"running"`
	Cluster status `json:"cluster"`
}

// status is the cluster part of statusDoc.
type status struct {
	Node      string `json:"node"`
	State     string `json:"state"`
	Resources string `json:"resources"`
	// PeerConfig is the comparison of the peer's haresources with ours.
	PeerConfig string `json:"peer_config"`
	Nodes      []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Links  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"links"`
	} `json:"nodes"`
	Groups []struct {
		Key   string `json:"key"`
		Owner string `json:"owner"`
		Phase string `json:"phase"`
	} `json:"groups"`
}

// node returns name's status word ("" when not listed).
func (s status) node(name string) string {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n.Status
		}
	}
	return ""
}

// link returns the status word of link on node name.
func (s status) link(name, link string) string {
	for _, n := range s.Nodes {
		for _, l := range n.Links {
			if n.Name == name && l.Name == link {
				return l.Status
			}
		}
	}
	return ""
}

// owner is the owner of the lab's one group as this node sees it.
func (s status) owner() string {
	if len(s.Groups) != 1 {
		return fmt.Sprintf("<%d groups>", len(s.Groups))
	}
	return s.Groups[0].Owner
}

// phase is what this node is doing with the lab's one group (running,
// stopped, ...).
func (s status) phase() string {
	if len(s.Groups) != 1 {
		return fmt.Sprintf("<%d groups>", len(s.Groups))
	}
	return s.Groups[0].Phase
}

// Status runs `hbd status --json` on n.
func Status(ctx context.Context, t testing.TB, n *Node) (status, error) {
	t.Helper()
	var d statusDoc
	out, err := n.HBD(ctx, t, "status", "--json")
	if err != nil {
		return d.Cluster, err
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		return d.Cluster, fmt.Errorf("%s: hbd status --json: %w: %q", n.Name, err, out)
	}
	if !d.Running {
		return d.Cluster, fmt.Errorf("%s: hbd status --json: not running: %q", n.Name, out)
	}
	return d.Cluster, nil
}

// StatusPoll is how often waitStatus asks hbd.
const StatusPoll = 25 * time.Millisecond

// waitStatus polls n's status until ok accepts it, failing the test after
// timeout with the last status seen. It returns that status.
func waitStatus(t testing.TB, n *Node, timeout time.Duration, what string, ok func(status) bool) status {
	t.Helper()
	ctx, cancel := context.WithTimeout(n.lab.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(StatusPoll)
	defer tick.Stop()
	var last status
	var lastErr error
	for {
		s, err := Status(ctx, t, n)
		if err == nil && ok(s) {
			return s
		}
		last, lastErr = s, err
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s not reached within %v (%v); last status %+v, err %v", n.Name, what, timeout, context.Cause(ctx), last, lastErr)
		case <-tick.C:
		}
	}
}

// vipEvent matches a VIP change on node (added or removed).
func vipEvent(node string, added bool) func(AddrEvent) bool {
	return func(e AddrEvent) bool { return e.Prefix.Addr() == VIP.Addr() && e.Node == node && e.Added == added }
}

// garpFrom matches a gratuitous ARP for the VIP sent from n's LAN MAC.
func garpFrom(n *Node) func(ARPEvent) bool {
	return func(e ARPEvent) bool { return e.Gratuitous(VIP.Addr()) && e.From.String() == n.MAC.String() }
}

// waitAddr waits up to timeout for the first event from position from on
// that match accepts.
func waitAddr(t testing.TB, l *Lab, from int, timeout time.Duration, what string, match func(AddrEvent) bool) (AddrEvent, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(l.Context(), timeout)
	defer cancel()
	e, i, err := l.Addrs.First(ctx, from, match)
	if err != nil {
		t.Fatalf("%s within %v: %v", what, timeout, err)
	}
	return e, i
}

// waitARP is waitAddr for ARP frames at the client.
func waitARP(t testing.TB, l *Lab, from int, timeout time.Duration, what string, match func(ARPEvent) bool) ARPEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(l.Context(), timeout)
	defer cancel()
	e, _, err := l.ARPs.First(ctx, from, match)
	if err != nil {
		t.Fatalf("%s within %v: %v", what, timeout, err)
	}
	return e
}

// waitWire waits for the first heartbeat datagram from position from on
// that receiver got from sender (on either link).
func waitWire(t testing.TB, l *Lab, from int, sender, receiver *Node) WireEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(l.Context(), 5*time.Second)
	defer cancel()
	srcs := []netip.Addr{sender.LAN.Addr(), sender.HB.Addr()}
	e, _, err := l.Wire.First(ctx, from, func(e WireEvent) bool { return e.Node == receiver.Name && slices.Contains(srcs, e.Src) })
	if err != nil {
		t.Fatalf("heartbeat %s -> %s: %v", sender.Name, receiver.Name, err)
	}
	return e
}

// holders is the set of nodes holding the VIP now, by the watchers.
func (l *Lab) holders() []string {
	return slices.Sorted(maps.Keys(Holders(l.Addrs.Since(0), VIP.Addr())))
}

// wantHolders fails the test unless exactly want hold the VIP, by the
// watchers and by netlink in each node.
func wantHolders(t testing.TB, l *Lab, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, l.holders()); diff != "" {
		t.Errorf("VIP holders by address events (-want +got):\n%s", diff)
	}
	var got []string
	for _, n := range l.Nodes {
		addrs, err := n.NS.Addrs()
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(addrs[LANLink], VIP) {
			got = append(got, n.Name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VIP holders by netlink (-want +got):\n%s", diff)
	}
}

// noVIPEvents fails the test if any VIP change happened from position from on.
func noVIPEvents(t testing.TB, l *Lab, from int, why string) {
	t.Helper()
	for _, e := range l.Addrs.Since(from) {
		if e.Prefix.Addr() == VIP.Addr() {
			t.Errorf("%s: unexpected VIP change %v", why, e)
		}
	}
}

// noGARPFrom fails the test if n announced the VIP from position from on.
func noGARPFrom(t testing.TB, l *Lab, n *Node, from int, why string) {
	t.Helper()
	for _, e := range l.ARPs.Since(from) {
		if garpFrom(n)(e) {
			t.Errorf("%s: %s announced the VIP: %v", why, n.Name, e)
		}
	}
}

// observe lets the cluster run for d: a window in which the caller then
// asserts that nothing happened. It never orders events. It fails the test
// if an hbd dies meanwhile.
func observe(t testing.TB, l *Lab, d time.Duration) {
	t.Helper()
	select {
	case <-l.Context().Done():
		t.Fatalf("while observing: %v", context.Cause(l.Context()))
	case <-time.After(d):
	}
}

// Bounds, stated once. Start-up waits are generous (they are not what a
// scenario measures); measured intervals have their own tight bounds.
const (
	// startBound covers initdead plus Heartbeat's RQSTDELAY (10 s), the
	// longest a correct start may take to acquire.
	startBound = 15 * time.Second
	// joinBound is how long a second node may take to see its peer active.
	joinBound = 10 * time.Second
	// slack is the processing margin the issue allows on top of deadtime.
	slack = 100 * time.Millisecond
	// neighRetrans is the kernel's default ARP retransmit interval
	// (net.ipv4.neigh.default.retrans_time_ms), how long a failed
	// neighbour entry may delay traffic over a healed link.
	neighRetrans = time.Second
)

// startPair configures both nodes with c (node2 with secret2 when not
// empty), starts node1 alone and waits until it holds the VIP, then starts
// node2 and waits until each sees the other active. It returns the event
// positions at the moment the pair is up.
func startPair(t testing.TB, l *Lab, c Cluster) (addrMark, arpMark int) {
	t.Helper()
	n1, n2 := l.Nodes[0], l.Nodes[1]
	n1.Configure(t, c, labSecret)
	n2.Configure(t, c, labSecret)
	t0 := time.Now()
	n1.Start(t)
	e, _ := waitAddr(t, l, 0, startBound, "node1 alone takes the VIP", vipEvent(n1.Name, true))
	t.Logf("node1 alone: start -> VIP %v", e.At.Sub(t0).Round(time.Millisecond))
	t1 := time.Now()
	n2.Start(t)
	joined(t, l, joinBound)
	t.Logf("node2 joined in %v", time.Since(t1).Round(time.Millisecond))
	wantHolders(t, l, n1.Name)
	return l.Addrs.Len(), l.ARPs.Len()
}

// joined waits until both nodes see each other active and agree that
// node1 owns the group.
func joined(t testing.TB, l *Lab, bound time.Duration) {
	t.Helper()
	for _, n := range l.Nodes {
		peer := l.Peer(n).Name
		waitStatus(t, n, bound, peer+" active, group owned", func(s status) bool {
			return s.node(peer) == "active" && s.owner() != ""
		})
	}
}

const labSecret = "hbd-lab-secret"

// ms renders a duration in milliseconds for the logs.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// ctxFor is a context that ends after d, with the test, or when an hbd
// of the lab dies unexpectedly.
func ctxFor(t testing.TB, l *Lab, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(l.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
