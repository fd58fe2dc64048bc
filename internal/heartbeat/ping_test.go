package heartbeat_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hbtest"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// pingCf adds a ping node, a ping group and deadping 4 s to the cluster's
// ha.cf (keepalive 1 s).
const pingCf = "ping 192.0.2.254\nping_group routers 192.0.2.1 192.0.2.2\ndeadping 4\n"

var (
	gw  = netip.MustParseAddr("192.0.2.254")
	rt1 = netip.MustParseAddr("192.0.2.1")
	rt2 = netip.MustParseAddr("192.0.2.2")
)

// pingView is the status of the ping nodes: name -> status.
func pingView(t *testing.T, n *heartbeat.Node) map[string]string {
	t.Helper()
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	out := map[string]string{}
	for _, nd := range st.Nodes {
		if nd.Type == heartbeat.NodeTypePing {
			out[nd.Name] = nd.Status
		}
	}
	return out
}

func TestPingNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		c.hacf += pingCf
		defer c.stopAll()
		h1 := c.hosts["node1"]
		h1.pinger = hbtest.NewPinger()
		c.hosts["node2"].pinger = hbtest.NewPinger() // nothing answers node2
		h1.pinger.SetUp(gw, true)
		h1.pinger.SetUp(rt2, true) // one member of the group answers
		c.settle()
		if diff := cmp.Diff(map[string]string{"192.0.2.254": "ping", "routers": "ping"}, pingView(t, h1.node)); diff != "" {
			t.Fatalf("ping nodes after start (-want +got)\n%s\n%s", diff, c.dumpLogs())
		}
		if n := h1.pinger.Sent(rt1); n < 15 {
			t.Errorf("echo requests to the silent group member: %d, want one per keepalive", n)
		}
		// The gateway stops answering: dead after deadping (4 s) from its
		// last reply, not before; the cluster is not affected.
		h1.pinger.SetUp(gw, false)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if got := pingView(t, h1.node)["192.0.2.254"]; got != "ping" {
			t.Errorf("gateway 3 s after its last reply: %s, want ping", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if diff := cmp.Diff(map[string]string{"192.0.2.254": "dead", "routers": "ping"}, pingView(t, h1.node)); diff != "" {
			t.Errorf("after deadping (-want +got)\n%s", diff)
		}
		if h1.logs.count("node 192.0.2.254: is dead") != 1 || h1.logs.count("Link 192.0.2.254:192.0.2.254 dead.") != 1 {
			t.Errorf("no dead lines for the gateway\n%s", h1.logs.dump())
		}
		c.wantHolders("after the ping node died", settled)
		// Forged replies: a payload that does not verify, and a genuine
		// one echoed from an address that is not the node's.
		h1.pinger.Inject(heartbeat.Echo{From: gw, Payload: []byte("t=NS_st\nst=ping\n"), At: time.Now()})
		good, err := wire.Sign(wire.PingStatus{Src: "192.0.2.254", Now: time.Now()}.Message(),
			wire.Auth{Index: 1, Method: wire.Method("sha1"), Key: []byte("secret")})
		if err != nil {
			t.Fatal(err)
		}
		h1.pinger.Inject(heartbeat.Echo{From: rt1, Payload: good, At: time.Now()})
		h1.pinger.Inject(heartbeat.Echo{From: gw, Payload: slices.Concat(good[:len(good)-3], []byte("xx\n")), At: time.Now()})
		synctest.Wait()
		if got := pingView(t, h1.node)["192.0.2.254"]; got != "dead" {
			t.Errorf("gateway after forged replies: %s, want dead", got)
		}
		st, _ := h1.node.Status(context.Background())
		if st.Drops["bad ping reply"] != 2 || st.Drops["ping reply from an unknown address"] != 1 {
			t.Errorf("drops %v, want 2 bad ping replies and 1 from an unknown address", st.Drops)
		}
		// The genuine payload from the right address is accepted again.
		h1.pinger.Inject(heartbeat.Echo{From: gw, Payload: good, At: time.Now()})
		synctest.Wait()
		if got := pingView(t, h1.node)["192.0.2.254"]; got != "ping" {
			t.Errorf("gateway after a genuine reply: %s, want ping", got)
		}
	})
}
