//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// Paths of the Debian heartbeat package (1:3.0.6-13+b2).
const (
	HeartbeatBin = "/usr/libexec/heartbeat/heartbeat"
	HBStandbyBin = "/usr/share/heartbeat/hb_standby"
	ClStatusBin  = "/usr/bin/cl_status"
)

// HBDPath is the hbd binary the lab runs: $HBD if set, else bin/hbd of the
// repository (run.sh builds it). It fails the test when the file is
// missing.
func HBDPath(t testing.TB) string {
	t.Helper()
	return netlab.RepoBinary(t, "HBD", "hbd")
}

// hbdArgv is "hbd --confdir … --rundir … --statedir …" followed by args.
func (n *Node) hbdArgv(t testing.TB, args ...string) []string {
	return append([]string{HBDPath(t), "--confdir", n.ConfDir(), "--rundir", hbdRunDir, "--statedir", n.stateDir()}, args...)
}

// Start starts the node's daemon in a new sandbox: "heartbeat -f" (the
// systemd unit's foreground mode) or "hbd … run".
func (n *Node) Start(t testing.TB) {
	t.Helper()
	if n.box.running() {
		t.Fatalf("%s: already running", n.Name)
	}
	argv := []string{HeartbeatBin, "-f"}
	if n.Impl == HBD {
		argv = n.hbdArgv(t, "run")
	}
	n.box = n.startSandbox(t, argv...)
}

// Kill9 kills every process of the node at once (SIGKILL to the pid
// namespace's init) and returns the moment just before the signal; it
// returns once the processes are gone. Addresses stay, as after a crash.
func (n *Node) Kill9(t testing.TB) time.Time {
	t.Helper()
	if !n.box.running() {
		t.Fatalf("%s: kill -9: not running", n.Name)
	}
	at := time.Now()
	if err := n.box.kill(); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return at
}

// Stop stops the node's daemon the orderly way ("heartbeat -k", as the
// init script's stop; "hbd stop"), which releases its resources, and
// waits for the sandbox to end.
func (n *Node) Stop(ctx context.Context, t testing.TB) {
	t.Helper()
	if !n.box.running() {
		t.Fatalf("%s: stop: not running", n.Name)
	}
	n.box.proc.Expect()
	argv := []string{HeartbeatBin, "-k"}
	if n.Impl == HBD {
		argv = n.hbdArgv(t, "stop")
	}
	// The stop command runs in the node's pid namespace, which ends when
	// the daemon does: it may be killed while waiting for the exit.
	_, err := n.box.exec(ctx, argv...)
	select {
	case <-n.box.proc.Done():
	case <-ctx.Done():
		t.Fatalf("%s: stop: still running (%v): %v", n.Name, err, context.Cause(ctx))
	}
}

// Exec runs argv inside the node's sandbox and returns its output.
func (n *Node) Exec(ctx context.Context, argv ...string) (string, error) {
	if !n.box.running() {
		return "", fmt.Errorf("%s: not running", n.Name)
	}
	return n.box.exec(ctx, argv...)
}

// HBD runs "hbd --confdir … args…" inside an hbd node's sandbox.
func (n *Node) HBD(ctx context.Context, t testing.TB, args ...string) (string, error) {
	t.Helper()
	return n.Exec(ctx, n.hbdArgv(t, args...)...)
}

// Standby hands the node's resources to the peer the way an operator
// would on that implementation: Heartbeat's hb_standby (which only writes
// to the FIFO and returns), or "hbd standby" (which returns when done).
func (n *Node) Standby(ctx context.Context, t testing.TB) (string, error) {
	t.Helper()
	if n.Impl == Heartbeat {
		return n.Exec(ctx, HBStandbyBin)
	}
	return n.HBD(ctx, t, "standby")
}

// ClStatus runs Heartbeat's cl_status with args on a Heartbeat node and
// returns its trimmed output.
func (n *Node) ClStatus(ctx context.Context, args ...string) (string, error) {
	out, err := n.Exec(ctx, append([]string{ClStatusBin}, args...)...)
	return strings.TrimSpace(out), err
}

// hbdStatus is the part of "hbd status --json" the lab reads.
type hbdStatus struct {
	Running bool `json:"running"`
	Cluster *struct {
		Node  string `json:"node"`
		Nodes []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Links  []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"links"`
		} `json:"nodes"`
	} `json:"cluster"`
}

// View is one node's view of another: its status word (init, up, active,
// dead) and the status of each of its links (up, dead).
type View struct {
	Status string
	Links  map[string]string
}

// ViewOf returns what n reports about node other: from cl_status on a
// Heartbeat node, from "hbd status --json" on an hbd node.
func (n *Node) ViewOf(ctx context.Context, t testing.TB, other string) (View, error) {
	t.Helper()
	if n.Impl == Heartbeat {
		return n.clStatusView(ctx, other)
	}
	out, err := n.HBD(ctx, t, "status", "--json")
	if err != nil {
		return View{}, err
	}
	var st hbdStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return View{}, fmt.Errorf("decode hbd status --json: %w: %s", err, out)
	}
	if st.Cluster == nil {
		return View{}, fmt.Errorf("hbd status --json: no cluster section: %s", out)
	}
	for _, nd := range st.Cluster.Nodes {
		if nd.Name == other {
			v := View{Status: nd.Status, Links: map[string]string{}}
			for _, l := range nd.Links {
				v.Links[l.Name] = l.Status
			}
			return v, nil
		}
	}
	return View{}, fmt.Errorf("hbd status --json: node %s not listed: %s", other, out)
}

func (n *Node) clStatusView(ctx context.Context, other string) (View, error) {
	st, err := n.ClStatus(ctx, "nodestatus", other)
	if err != nil && st == "" {
		return View{}, err
	}
	// cl_status nodestatus exits non-zero for a dead node but still
	// prints its status.
	v := View{Status: st, Links: map[string]string{}}
	links, err := n.ClStatus(ctx, "listhblinks", other)
	if err != nil {
		return View{}, err
	}
	for _, l := range strings.Fields(links) {
		ls, err := n.ClStatus(ctx, "hblinkstatus", other, l)
		if err != nil && ls == "" {
			return View{}, err
		}
		v.Links[l] = ls
	}
	return v, nil
}
