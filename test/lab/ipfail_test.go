//go:build lab

package lab

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// ipfailLines enable the built-in ipfail: a ping node on the LAN (an
// address of the switch's LAN bridge, answered by the switch namespace)
// and seed S1's ipfail respawn line (the CentOS path). (The apiauth line,
// whose names must resolve, is in the interop test, where the heartbeat
// package provides hacluster and haclient.)
const ipfailLines = "ping 192.0.2.254\nrespawn hacluster /usr/lib64/heartbeat/ipfail\n"

var pingNode = netip.MustParsePrefix("192.0.2.254/24")

// ipfailBound: from the LAN cut (or its repair) to the VIP on the other
// node: deadping (the lab's deadtime, 500 ms) for the ping node to die,
// the count exchange, 2 x keepalive before the give-up, the standby
// handshake and the resource start.
const ipfailBound = 3 * time.Second

// TestLabIPfail: two hbd nodes with ipfail. Cutting node1's LAN (its ping
// node and one heartbeat link; the heartbeats continue on eth1) moves the
// VIP to node2; restoring it brings the VIP back (auto_failback on);
// taking the ping node down for both moves nothing.
func TestLabIPfail(t *testing.T) {
	l := New(t)
	if err := l.Switch.AddAddr(netlab.Bridges[0], pingNode); err != nil {
		t.Fatal(err)
	}
	n1, n2 := l.Nodes[0], l.Nodes[1]
	for _, n := range l.Nodes {
		n.Configure(t, Fast, labSecret)
		if err := netlab.WriteFile(filepath.Join(n.ConfDir(), "ha.cf"), Fast.HaCf(n, l.Peer(n))+ipfailLines, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n1.Start(t)
	waitAddr(t, l, 0, startBound, "node1 alone takes the VIP", vipEvent(n1.Name, true))
	n2.Start(t)
	joined(t, l, joinBound)
	for _, n := range l.Nodes {
		waitStatus(t, n, 5*time.Second, "ipfail on with its ping node up", func(s status) bool {
			return s.node("192.0.2.254") == "ping"
		})
		// Two hbd nodes compare their haresources (issue 12, seed S5.5).
		want := "haresources identical on " + l.Peer(n).Name + " and here (1 group(s))"
		waitStatus(t, n, 5*time.Second, want, func(s status) bool { return s.PeerConfig == want })
	}
	observe(t, l, 6*Fast.Deadtime)
	wantHolders(t, l, n1.Name)

	mark := l.Addrs.Len()
	cut := l.Cut(t, n1, LANLink)
	off, _ := waitAddr(t, l, mark, ipfailBound+2*time.Second, "node1 releases the VIP", vipEvent(n1.Name, false))
	on, _ := waitAddr(t, l, mark, ipfailBound+2*time.Second, "node2 takes the VIP", vipEvent(n2.Name, true))
	t.Logf("node1's LAN cut: VIP off node1 after %s, on node2 after %s", ms(off.At.Sub(cut)), ms(on.At.Sub(cut)))
	if d := on.At.Sub(cut); d > ipfailBound {
		t.Errorf("LAN cut -> VIP on node2 = %s, want <= %v", ms(d), ipfailBound)
	}
	// The two address watchers stamp events on receipt, in two
	// namespaces: stamps less than 2 ms apart can come out inverted (the
	// standby handshake between the nodes takes about that on veth).
	if on.At.Before(off.At.Add(-2 * time.Millisecond)) {
		t.Errorf("node2 added the VIP %s before node1 released it", ms(off.At.Sub(on.At)))
	}
	observe(t, l, 4*Fast.Deadtime)
	wantHolders(t, l, n2.Name)

	mark = l.Addrs.Len()
	heal := l.Heal(t, n1, LANLink)
	off, _ = waitAddr(t, l, mark, ipfailBound+2*time.Second, "node2 releases the VIP", vipEvent(n2.Name, false))
	on, _ = waitAddr(t, l, mark, ipfailBound+2*time.Second, "node1 takes the VIP back", vipEvent(n1.Name, true))
	t.Logf("node1's LAN restored: VIP off node2 after %s, back on node1 after %s", ms(off.At.Sub(heal)), ms(on.At.Sub(heal)))
	if d := on.At.Sub(heal); d > ipfailBound {
		t.Errorf("LAN restore -> VIP on node1 = %s, want <= %v", ms(d), ipfailBound)
	}
	joined(t, l, joinBound)
	observe(t, l, 4*Fast.Deadtime)
	wantHolders(t, l, n1.Name)

	mark = l.Addrs.Len()
	if err := l.Switch.DelAddr(netlab.Bridges[0], pingNode); err != nil {
		t.Fatal(err)
	}
	observe(t, l, 10*Fast.Deadtime)
	noVIPEvents(t, l, mark, "ping node down for both")
	wantHolders(t, l, n1.Name)
	for _, n := range l.Nodes {
		s := waitStatus(t, n, time.Second, "status", func(status) bool { return true })
		if got := s.node("192.0.2.254"); got != "dead" {
			t.Errorf("%s: ping node %q, want dead", n.Name, got)
		}
	}
}
