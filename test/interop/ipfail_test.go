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

// IPfailTiming is keepalive 1 s, deadtime (and deadping) 3 s, seed S1's
// k1d3 profile. ipfail waits 2 x keepalive before giving up, and both
// nodes must see a ping node die within that wait for "down for both" to
// be a tie: Heartbeat notices a dead ping node up to about 1 s late (its
// timeout checks), so the lab's Fast timing (keepalive 200 ms) would make
// the hbd node give up before the Heartbeat node has counted, in a mixed
// pair as in a pair of Heartbeats.
var IPfailTiming = Cluster{Keepalive: time.Second, Deadtime: 3 * time.Second, Initdead: 6 * time.Second, AutoFailback: "on"}

// IPfailBound is how long the lab allows from the LAN cut (or its repair)
// to the VIP on the other node: deadping (3 s) for the ping node to die
// and up to 1 s more on Heartbeat, the count exchange, 2 x keepalive
// before the give-up, then the standby handshake and Heartbeat's shell
// resource scripts on a busy machine. When Heartbeat's ipfail has started
// a (pointless) give-up of foreign resources at the LAN link's death, the
// hbd node's give-up finds the peer in flux and compares again 10 s after
// the peer is stable (ipfail's wait): 23.5 s after the cut when measured,
// so the bound leaves room for a loaded machine.
const IPfailBound = 40 * time.Second

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
				n.Configure(t, IPfailTiming, SHA1, HaResources())
				n.WriteConf(t, "ha.cf", IPfailTiming.HaCf(n, l.Peer(n))+ipfailLines, 0o644)
			}
			began := time.Now()
			from := l.Addrs.Len()
			for _, n := range l.Nodes {
				n.Start(t)
			}
			ctx := within(t, l, IPfailTiming.Initdead+30*time.Second)
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
			checkPeerConfig(t, l, ctx, began)
			pause(t, l, 3*IPfailTiming.Deadtime)
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
			pause(t, l, 2*IPfailTiming.Deadtime)
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
			pause(t, l, 2*IPfailTiming.Deadtime)
			l.AssertOnlyHolder(t, n1.Name)

			from = l.Addrs.Len()
			if err := l.Switch.DelAddr(netlab.Bridges[0], pingNode); err != nil {
				t.Fatal(err)
			}
			pause(t, l, 4*IPfailTiming.Deadtime)
			if l.HeldSince(from, n2.Name) {
				t.Errorf("%s took the VIP when the ping node went down for both", n2.Name)
			}
			l.AssertOnlyHolder(t, n1.Name)
		})
	}
}

// checkPeerConfig: hbd asks its Heartbeat peer for an hbd client with
// Heartbeat's client status query, gets "offline", says in its log that
// the haresources were not compared, and sends the peer nothing else
// (no t=hbd-config on the wire). Heartbeat's cl_status clientstatus sees
// hbd's built-in ipfail online.
func checkPeerConfig(t *testing.T, l *Lab, ctx context.Context, began time.Time) {
	t.Helper()
	hbd, real := l.ByImpl(HBD), l.ByImpl(Heartbeat)
	l.WaitMessage(ctx, t, began, "Heartbeat's answer to hbd's client status query", func(m Message) bool {
		return m.Type() == "respond-cstatus" && m.Get("src") == real.Name && m.Get("cn") == "hbd" && m.Get("cs") == "offline"
	})
	want := "haresources not compared: " + real.Name + " does not run hbd"
	for hbd.LogCount(want) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not log %q: %v", hbd.Name, want, context.Cause(ctx))
		case <-time.After(Poll):
		}
	}
	out, err := real.ClStatus(ctx, "clientstatus", hbd.Name, "ipfail", "2000")
	if err != nil || out != "online" {
		t.Errorf("cl_status clientstatus %s ipfail on %s: %q (%v), want online", hbd.Name, real.Name, out, err)
	}
	msgs, _ := ReadCapture(l.pcap)
	for _, m := range msgs {
		if m.Type() == "hbd-config" {
			t.Errorf("hbd sent its configuration to a Heartbeat peer: %v", m.Fields)
		}
	}
}
