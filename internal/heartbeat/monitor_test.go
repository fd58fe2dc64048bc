package heartbeat_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

// The resource monitor: vip1 stands for a built-in agent (monitored),
// httpd for a resource.d script (never monitored).

// monitored makes vip1 a built-in agent on both hosts.
func monitored(c *cluster) {
	for _, h := range c.hosts {
		h.agents[vip1].Monitor = true
	}
}

func TestMonitorRestartsADeadResource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		monitored(c)
		defer c.stopAll()
		c.settle()
		n1 := c.hosts["node1"]
		vip, httpd := n1.agents[vip1], n1.agents["httpd"]
		before, _ := vip.times()
		died := time.Now()
		vip.SetRunning(false)
		httpd.SetRunning(false)
		time.Sleep(heartbeat.DefaultMonitorInterval)
		synctest.Wait()
		starts, stops := vip.times()
		if got := len(starts) - len(before); got != 1 {
			t.Fatalf("node1 started %s %d times after it died, want 1\n%s", vip1, got, c.dumpLogs())
		}
		if took := starts[len(starts)-1].Sub(died); took > heartbeat.DefaultMonitorInterval {
			t.Errorf("restart came %v after the death, want within one monitor interval (%v)", took, heartbeat.DefaultMonitorInterval)
		}
		if len(stops) != 0 {
			t.Errorf("node1 stopped %s at %v: a restart is a start, not a group restart", vip1, stops)
		}
		line := vip1 + " is not running: restarting it"
		if n := n1.logs.count(line); n != 1 {
			t.Errorf("node1 logged %q %d times, want 1\n%s", line, n, n1.logs.dump())
		}
		if s, _ := httpd.times(); len(s) != 1 {
			t.Errorf("node1 started the script resource httpd %d times; scripts are not monitored", len(s))
		}
		time.Sleep(10 * heartbeat.DefaultMonitorInterval)
		synctest.Wait()
		if s, _ := vip.times(); len(s) != len(starts) {
			t.Errorf("node1 restarted %s again while it ran: %d starts", vip1, len(s))
		}
		c.wantHolders("after the restart", map[string][]string{vip1: {"node1"}, "httpd": {}, vip2: {"node2"}})
		if strings.Contains(c.hosts["node2"].logs.dump(), "standby") {
			t.Errorf("a restart in place moved something:\n%s", c.dumpLogs())
		}
	})
}

func TestMonitorGivesUpAfterRepeatedFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		monitored(c)
		defer c.stopAll()
		c.settle()
		n1 := c.hosts["node1"]
		vip := n1.agents[vip1]
		before, _ := vip.times()
		vip.SetStartErr(restest.ErrFake)
		vip.SetRunning(false)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		starts, _ := vip.times()
		if got := len(starts) - len(before); got != heartbeat.DefaultMaxRestarts {
			t.Errorf("node1 tried %d restarts, want %d\n%s", got, heartbeat.DefaultMaxRestarts, n1.logs.dump())
		}
		giveUp := fmt.Sprintf(heartbeat.MsgMonitorGiveUp, vip1, heartbeat.DefaultMaxRestarts, heartbeat.DefaultRestartWindow, vip1, "node2")
		if n := n1.logs.count(giveUp); n != 1 {
			t.Errorf("node1 logged %q %d times, want 1\n%s", giveUp, n, n1.logs.dump())
		}
		if n := n1.logs.count(fmt.Sprintf(r1.MsgRunningFailed, vip1)); n != 1 {
			t.Errorf("node1 did not log the group's failure once\n%s", n1.logs.dump())
		}
		// The whole group went to node2, httpd stopped here first.
		c.wantHolders("after giving up", map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}})
		calls := n1.calls.Calls()
		if i := slices.Index(calls, "httpd stop"); i < 0 || slices.Index(calls[i:], vip1+" stop") < 0 {
			t.Errorf("node1 did not release its group right to left: %q", calls)
		}
	})
}

func TestMonitorKeepsTheGroupWithoutAPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		monitored(c)
		defer c.stopAll()
		c.settle()
		c.kill("node2")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		n1 := c.hosts["node1"]
		vip := n1.agents[vip1]
		vip.SetStartErr(restest.ErrFake)
		vip.SetRunning(false)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		noPeer := fmt.Sprintf(heartbeat.MsgMonitorNoPeer, vip1, heartbeat.DefaultMaxRestarts, heartbeat.DefaultRestartWindow, "node2")
		if n := n1.logs.count(noPeer); n != 1 {
			t.Errorf("node1 logged %q %d times, want 1\n%s", noPeer, n, n1.logs.dump())
		}
		if _, stops := vip.times(); len(stops) != 0 {
			t.Errorf("node1 stopped %s with nobody to take it", vip1)
		}
		// The window frees: restarts resume, and succeed once starts work.
		vip.SetStartErr(nil)
		time.Sleep(heartbeat.DefaultRestartWindow)
		synctest.Wait()
		if !vip.IsRunning() {
			t.Errorf("node1 did not restart %s once the window allowed it\n%s", vip1, n1.logs.dump())
		}
	})
}
