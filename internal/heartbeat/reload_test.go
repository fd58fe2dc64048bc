package heartbeat_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// reloadCf parses the cluster's ha.cf with edits applied (old -> new).
func reloadCf(t *testing.T, c *cluster, edits ...string) *hacf.Config {
	t.Helper()
	text := c.hacf
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			t.Fatalf("ha.cf has no %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	cf, _, err := hacf.ParseHaCf("ha.cf", []byte(text))
	if err != nil {
		t.Fatalf("ha.cf: %v", err)
	}
	return cf
}

// TestReloadDeadtimeAppliesLive: node1 reloads deadtime 3 s -> 6 s. Its
// next heartbeat carries dt=6000, so node2 waits 6 s, not 3, before it
// takes over from the killed node1.
func TestReloadDeadtimeAppliesLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		n1 := c.hosts["node1"].node
		text, err := n1.Reload(context.Background(), reloadCf(t, c, "deadtime 3", "deadtime 6", "warntime 2", "warntime 4"), nil)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		// deadping follows deadtime when not set (hacf).
		want := "ha.cf reloaded: deadtime 6000ms\nha.cf reloaded: warntime 4000ms\nha.cf reloaded: deadping 6000ms"
		if text != want {
			t.Errorf("reload text %q, want %q", text, want)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		st, err := c.hosts["node2"].node.Status(context.Background())
		if err != nil || st.Nodes[0].DeadtimeMs != 6000 {
			t.Fatalf("node2's dead time for node1: %+v, %v; want 6000ms", st.Nodes[0], err)
		}
		st1, _ := n1.Status(context.Background())
		if st1.DeadtimeMs != 6000 || st1.WarntimeMs != 4000 {
			t.Errorf("node1 status: deadtime %d warntime %d, want 6000 4000", st1.DeadtimeMs, st1.WarntimeMs)
		}
		c.kill("node1")
		time.Sleep(4 * time.Second)
		synctest.Wait()
		if c.hosts["node2"].running(vip1) {
			t.Fatalf("node2 took over within 4 s of the kill; node1's reloaded deadtime is 6 s\n%s", c.dumpLogs())
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if !c.hosts["node2"].running(vip1) {
			t.Fatalf("node2 did not take over 7 s after the kill\n%s", c.dumpLogs())
		}
	})
}

// TestReloadRestartOnlyLoggedOnce: a media change is reported with its
// file:line, once however many reloads see it. A udpport line before the
// bcast line changes the bcast medium's port too.
func TestReloadRestartOnlyLoggedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		h1 := c.hosts["node1"]
		cf := reloadCf(t, c, "bcast eth0 eth1", "udpport 7000\nbcast eth0 eth1")
		lines := []string{"ha.cf change of udpport (ha.cf:5) takes effect at the next restart",
			"ha.cf change of bcast (ha.cf:6) takes effect at the next restart"}
		for i := range 3 {
			text, err := h1.node.Reload(context.Background(), cf, nil)
			if want := strings.Join(lines, "\n"); err != nil || text != want {
				t.Fatalf("reload %d: %q, %v; want %q", i, text, err, want)
			}
		}
		for _, line := range lines {
			if n := h1.logs.count(line); n != 1 {
				t.Errorf("%q logged %d times, want once\n%s", line, n, h1.logs.dump())
			}
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		c.wantHolders("after the reloads", settled)
	})
}
