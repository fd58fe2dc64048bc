package heartbeat_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hbtest"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/ipfail"
)

// ipfailCf enables the built-in ipfail (the CentOS path of seed S1) with
// one ping node; deadping is deadtime (3 s).
const ipfailCf = "ping 192.0.2.254\nrespawn hacluster /usr/lib64/heartbeat/ipfail\napiauth ipfail gid=haclient uid=hacluster\n"

// TestIPfailEngine: two engines with ipfail over hbtest.Net. node1 loses
// its ping node and its eth0 (the LAN; the heartbeats continue on eth1):
// everything moves to node2. The LAN comes back: node1's group returns
// (auto_failback on). The ping node goes down for both: nothing moves.
func TestIPfailEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		c.hacf += ipfailCf
		defer c.stopAll()
		h1, h2 := c.hosts["node1"], c.hosts["node2"]
		h1.pinger, h2.pinger = hbtest.NewPinger(), hbtest.NewPinger()
		h1.pinger.SetUp(gw, true)
		h2.pinger.SetUp(gw, true)
		c.settle()
		if st, _ := h1.node.Status(context.Background()); st.IPfail == nil || st.IPfail.PingNodesUp != 1 {
			t.Fatalf("ipfail status %+v, want on with 1 ping node up", st.IPfail)
		}

		cut := time.Now()
		h1.pinger.SetUp(gw, false)
		c.net.Cut("node1", "eth0")
		allOn2 := map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}}
		moved := waitHolders(c, allOn2, 30*time.Second)
		c.wantHolders("after node1 lost its LAN", allOn2)
		t.Logf("LAN cut to everything on node2: %v (virtual time)", moved.Sub(cut))
		for _, line := range []string{ipfail.MsgToldLess, ipfail.MsgGiveUpCalled} {
			if h1.logs.count(line) == 0 {
				t.Errorf("node1 did not log %q\n%s", line, c.dumpLogs())
			}
		}
		if h2.logs.count(ipfail.MsgTellMore) == 0 {
			t.Errorf("node2 did not log %q\n%s", ipfail.MsgTellMore, c.dumpLogs())
		}

		heal := time.Now()
		h1.pinger.SetUp(gw, true)
		c.net.Heal("node1", "eth0")
		back := waitHolders(c, settled, 30*time.Second)
		c.wantHolders("after the LAN came back", settled)
		t.Logf("LAN restore to node1's group back: %v (virtual time)", back.Sub(heal))
		if h2.logs.count(ipfail.MsgGiveUpForeign) == 0 {
			t.Errorf("node2 did not log %q\n%s", ipfail.MsgGiveUpForeign, c.dumpLogs())
		}

		h1.pinger.SetUp(gw, false)
		h2.pinger.SetUp(gw, false)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		c.wantHolders("with the ping node down for both", settled)
	})
}

// TestIPfailDeadping: the ping node's loss counts only after deadping
// (6 s here, deadtime 3 s): node1's LAN link dies at deadtime, the counts
// are still equal then, and the move waits for the ping node's death plus
// ipfail's 2 x keepalive.
func TestIPfailDeadping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		c.hacf += ipfailCf + "deadping 6\n"
		defer c.stopAll()
		h1, h2 := c.hosts["node1"], c.hosts["node2"]
		h1.pinger, h2.pinger = hbtest.NewPinger(), hbtest.NewPinger()
		h1.pinger.SetUp(gw, true)
		h2.pinger.SetUp(gw, true)
		c.settle()
		cut := time.Now()
		h1.pinger.SetUp(gw, false)
		c.net.Cut("node1", "eth0")
		allOn2 := map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}}
		moved := waitHolders(c, allOn2, 30*time.Second)
		c.wantHolders("after node1 lost its LAN", allOn2)
		took := moved.Sub(cut)
		t.Logf("deadping 6 s: LAN cut to everything on node2: %v (virtual time)", took)
		if took < 6*time.Second || took > 10*time.Second {
			t.Errorf("moved %v after the cut, want between deadping (6 s) and deadping + 4 s", took)
		}
	})
}

// waitHolders waits (virtual time) until the holders are want, or d.
func waitHolders(c *cluster, want map[string][]string, d time.Duration) time.Time {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		synctest.Wait()
		if equalHolders(c.holders(), want) {
			return time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Now()
}

func equalHolders(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := b[k]
		if len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}
