//go:build interop

package interop

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// ipfailLines enable ipfail as a Debian ha.cf does: a ping node on the LAN
// (an address of the switch's LAN bridge, which the switch namespace
// answers), Debian's ipfail path and its apiauth line. hbd runs its
// built-in ipfail for the same lines; Heartbeat respawns the real one.
const ipfailLines = "ping 192.0.2.254\nrespawn hacluster /usr/libexec/heartbeat/ipfail\napiauth ipfail gid=haclient uid=hacluster\n"

// pingNode is the ping node's address on br0.
var pingNode = netip.MustParsePrefix("192.0.2.254/24")

// IPfailBound is how long the lab allows from the LAN cut (or its repair)
// to the VIP on the other node: deadping (1 s) for the ping node to die,
// the count exchange, 2 x keepalive before the give-up, then the standby
// handshake and Heartbeat's shell resource scripts on a busy machine.
const IPfailBound = 15 * time.Second

// pause waits d unless the lab ends first.
func pause(t *testing.T, l *Lab, d time.Duration) {
	t.Helper()
	select {
	case <-time.After(d):
	case <-l.Context().Done():
		t.Fatal(context.Cause(l.Context()))
	}
}

// TestMixedIPfail: a Heartbeat node running Debian's real ipfail and an
// hbd node running the built-in one, both role assignments. Both ipfails
// exchange their ping node counts (num_ping_nodes with to_id=ipfail, seen
// on the wire from each side). Cutting the preferred node's LAN (it loses
// its ping node and one heartbeat link; the heartbeats continue on eth1)
// moves the VIP to the other node; restoring the LAN brings it back
// (auto_failback on); taking the ping node down for both moves nothing.
func TestMixedIPfail(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			l := New(t, r.impls)
			if err := l.Switch.AddAddr(netlab.Bridges[0], pingNode); err != nil {
				t.Fatal(err)
			}
			for _, n := range l.Nodes {
				n.Configure(t, Fast, SHA1, HaResources())
				n.WriteConf(t, "ha.cf", Fast.HaCf(n, l.Peer(n))+ipfailLines, 0o644)
			}
			began := time.Now()
			from := l.Addrs.Len()
			for _, n := range l.Nodes {
				n.Start(t)
			}
			ctx := within(t, l, Fast.Initdead+30*time.Second)
			l.WaitActive(ctx, t)
			l.VIPAdded(ctx, t, from, NodeNames[0])
			l.WaitStable(ctx, t, began)
			// Each ipfail signs on (hbapi-clstat join) and takes part in
			// the comparison: a num_ping_nodes, or the answer to the
			// peer's (abort_giveup when the counts are equal), addressed
			// to the peer's ipfail.
			for _, n := range l.Nodes {
				l.WaitMessage(ctx, t, began, "the join of "+n.Name+"'s ipfail", func(m Message) bool {
					return m.Type() == "hbapi-clstat" && m.Get("st") == "join" && m.Get("from_id") == "ipfail" && m.Get("src") == n.Name
				})
				m := l.WaitMessage(ctx, t, began, "an ipfail message from "+n.Name, func(m Message) bool {
					switch m.Type() {
					case "num_ping_nodes", "abort_giveup", "you_are_dead":
						return m.Get("src") == n.Name && m.Get("to_id") == "ipfail" && m.Get("dest") == l.Peer(n).Name
					}
					return false
				})
				t.Logf("%s (%s) sent t=%s num_ping=%s", n.Name, n.Impl, m.Type(), m.Get("num_ping"))
			}
			pause(t, l, 3*Fast.Deadtime)
			l.AssertOnlyHolder(t, NodeNames[0])
			n1, n2 := l.Nodes[0], l.Nodes[1]

			from = l.Addrs.Len()
			cut := l.Cut(t, n1, LANLink)
			ctx = within(t, l, IPfailBound)
			off := l.VIPRemoved(ctx, t, from, n1.Name)
			on := l.VIPAdded(ctx, t, from, n2.Name)
			t.Logf("LAN of %s (%s) cut: VIP off it %.3fs, on %s (%s) %.3fs later",
				n1.Name, n1.Impl, off.At.Sub(cut).Seconds(), n2.Name, n2.Impl, on.At.Sub(cut).Seconds())
			if on.At.Before(off.At) {
				t.Errorf("%s added the VIP before %s released it", n2.Name, n1.Name)
			}
			pause(t, l, 2*Fast.Deadtime)
			l.AssertOnlyHolder(t, n2.Name)

			from = l.Addrs.Len()
			heal := l.Heal(t, n1, LANLink)
			ctx = within(t, l, IPfailBound)
			off = l.VIPRemoved(ctx, t, from, n2.Name)
			on = l.VIPAdded(ctx, t, from, n1.Name)
			t.Logf("LAN of %s restored: VIP off %s %.3fs, back on %s %.3fs later",
				n1.Name, n2.Name, off.At.Sub(heal).Seconds(), n1.Name, on.At.Sub(heal).Seconds())
			if on.At.Before(off.At) {
				t.Errorf("%s added the VIP before %s released it", n1.Name, n2.Name)
			}
			l.WaitActive(within(t, l, 10*time.Second), t)
			pause(t, l, 2*Fast.Deadtime)
			l.AssertOnlyHolder(t, n1.Name)

			from = l.Addrs.Len()
			if err := l.Switch.DelAddr(netlab.Bridges[0], pingNode); err != nil {
				t.Fatal(err)
			}
			pause(t, l, 8*Fast.Deadtime)
			if l.HeldSince(from, n2.Name) {
				t.Errorf("%s took the VIP when the ping node went down for both", n2.Name)
			}
			l.AssertOnlyHolder(t, n1.Name)
		})
	}
}
