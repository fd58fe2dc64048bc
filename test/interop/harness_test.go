//go:build interop

package interop

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHarnessHeartbeatPair proves the harness without hbd: two real
// Heartbeat 3.0.6 nodes form a cluster, the preferred node holds the VIP,
// and cl_status on each lists both nodes and the other as active with
// both links up.
func TestHarnessHeartbeatPair(t *testing.T) {
	l := New(t, [2]Impl{Heartbeat, Heartbeat})
	for _, n := range l.Nodes {
		n.Configure(t, Fast, SHA1, HaResources())
	}
	from := l.Addrs.Len()
	for _, n := range l.Nodes {
		n.Start(t)
	}
	ctx, cancel := context.WithTimeout(l.Context(), 30*time.Second)
	defer cancel()
	l.WaitActive(ctx, t)
	l.VIPAdded(ctx, t, from, NodeNames[0])
	for _, n := range l.Nodes {
		got, err := n.ClStatus(ctx, "listnodes")
		if err != nil {
			t.Fatal(err)
		}
		nodes := strings.Fields(got)
		slices.Sort(nodes)
		if !slices.Equal(nodes, NodeNames[:]) {
			t.Errorf("%s: cl_status listnodes = %q, want %q", n.Name, nodes, NodeNames)
		}
		v := l.WaitView(ctx, t, n, l.Peer(n).Name, "with both links up", func(v View) bool {
			return v.Links[LANLink] == "up" && v.Links[HBLink] == "up"
		})
		t.Logf("%s sees %s: %+v", n.Name, l.Peer(n).Name, v)
	}
	l.AssertOnlyHolder(t, NodeNames[0])
}

// TestHarnessSandbox checks the sandbox from inside: the hostname is the
// node name, /run and /etc/ha.d are the node's own, the pid namespace
// holds only the node's processes, and every reboot path is the
// neutraliser, which only logs when run.
func TestHarnessSandbox(t *testing.T) {
	l := New(t, [2]Impl{Heartbeat, Heartbeat})
	n := l.Nodes[0]
	n.Configure(t, Fast, SHA1, HaResources())
	n.Start(t)
	ctx, cancel := context.WithTimeout(l.Context(), 20*time.Second)
	defer cancel()
	checks := []struct {
		name string
		argv []string
		want string
	}{
		{"hostname", []string{"uname", "-n"}, n.Name},
		{"own /etc/ha.d", []string{"head", "-1", "/etc/ha.d/ha.cf"}, "# interop lab: node1 (heartbeat)"},
		{"private /run", []string{"findmnt", "-n", "-o", "FSTYPE", "/run"}, "tmpfs"},
		{"pid namespace", []string{"sh", "-c", "ps -e -o pid= | sort -n | head -1 | tr -d ' '"}, "1"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			out, err := n.Exec(ctx, c.argv...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(out); got != c.want {
				t.Errorf("%v = %q, want %q", c.argv, got, c.want)
			}
		})
	}
	neutral, err := os.ReadFile(n.Dir + "/neutral")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range RebootPaths {
		t.Run("neutralised "+p, func(t *testing.T) {
			if _, err := os.Stat(p); err != nil {
				t.Skipf("%s does not exist on this machine", p)
			}
			got, err := n.Exec(ctx, "cat", p)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(neutral) {
				t.Fatalf("%s inside the sandbox is not the neutraliser", p)
			}
			host, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(host) == string(neutral) {
				t.Fatalf("%s is neutralised on the host too: the mount leaked", p)
			}
		})
	}
	if t.Failed() {
		t.Fatal("not running the neutraliser: the checks above failed")
	}
	if _, err := os.Stat("/sbin/reboot"); err == nil {
		if _, err := n.Exec(ctx, "/sbin/reboot", "-nf"); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(n.RebootLog())
		if err != nil || !strings.Contains(string(data), "neutralised: /sbin/reboot -nf") {
			t.Fatalf("reboot log = %q, %v; want the /sbin/reboot -nf call", data, err)
		}
	}
}

// TestHarnessFailedStopReboots makes Heartbeat do what the spec warns
// about: a resource whose stop fails makes ResourceManager kill heartbeat
// and run "/sbin/reboot -nf". The neutraliser must record the call, and
// the machine (this test) must still be here.
func TestHarnessFailedStopReboots(t *testing.T) {
	if _, err := os.Stat("/sbin/reboot"); err != nil {
		t.Skip("no /sbin/reboot on this machine: ResourceManager has nothing to call")
	}
	l := New(t, [2]Impl{Heartbeat, Heartbeat})
	n := l.Nodes[0]
	// status says running, stop always fails: RecoverFromFailedStop.
	n.Configure(t, Fast, SHA1, HaResources("stuck"))
	n.WriteConf(t, "resource.d/stuck", "#!/bin/sh\ncase \"$1\" in\nstart) exit 0;;\nstop) exit 1;;\nstatus) echo running;;\nesac\n", 0o755)
	from := l.Addrs.Len()
	n.Start(t)
	ctx, cancel := context.WithTimeout(l.Context(), 60*time.Second)
	defer cancel()
	l.VIPAdded(ctx, t, from, n.Name) // alone: takes its group after initdead
	already := n.LogCount("Resource STOP failure. Reboot required!")
	n.box.proc.Expect() // ResourceManager kills heartbeat
	if _, err := n.Exec(ctx, HeartbeatBin, "-k"); err != nil {
		t.Logf("heartbeat -k: %v", err) // killed under it by pkill -9
	}
	n.WaitLog(ctx, t, already, "Resource STOP failure. Reboot required!")
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for {
		data, _ := os.ReadFile(n.RebootLog())
		if strings.Contains(string(data), "neutralised: /sbin/reboot -nf") {
			t.Logf("neutraliser log:\n%s", data)
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no /sbin/reboot -nf call recorded: %v", context.Cause(ctx))
		case <-tick.C:
		}
	}
}
