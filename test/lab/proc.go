package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// HBDPath is the hbd binary the lab runs: $HBD if set, else bin/hbd of the
// repository (make test-lab builds it first). It fails the test when the
// file is missing.
func HBDPath(t testing.TB) string {
	t.Helper()
	return netlab.RepoBinary(t, "HBD", "hbd")
}

// StopTimeout bounds how long Stop and the cleanup wait for hbd to exit.
const StopTimeout = 15 * time.Second

// inNode returns a command that runs argv in the node: inside its network
// namespace (ip netns exec, which also shows the namespace's /sys) and in
// a new UTS namespace whose hostname is the node name, so uname -n is the
// node name. ip, unshare and sh all exec, so the process id is argv's.
func (n *Node) inNode(ctx context.Context, argv ...string) *exec.Cmd {
	args := append([]string{"netns", "exec", n.NS.Name, "unshare", "--uts", "sh", "-c",
		`hostname "$0" && exec "$@"`, n.Name}, argv...)
	if ctx == nil {
		return exec.Command("ip", args...)
	}
	return exec.CommandContext(ctx, "ip", args...)
}

// dirFlags are hbd's directory flags for this node.
func (n *Node) dirFlags() []string {
	return []string{"--confdir", n.ConfDir(), "--rundir", n.RunDir(), "--statedir", n.StateDir()}
}

// Start starts "hbd --confdir … --rundir … --statedir … run" in the node,
// in the foreground, with stdout and stderr appended to OutFile. The
// process (and its process group) is killed in t.Cleanup if still running.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	n.StartArgv(t, append(append([]string{HBDPath(t)}, n.dirFlags()...), "run")...)
}

// StartArgv starts argv in the node like Start (the harness's own tests
// start stand-ins for hbd with it).
func (n *Node) StartArgv(t testing.TB, argv ...string) {
	t.Helper()
	if n.Running() {
		t.Fatalf("%s: hbd already running (pid %d)", n.Name, n.proc.Pid())
	}
	out, err := netlab.OpenOutput(n.OutFile(), argv)
	if err != nil {
		t.Fatal(err)
	}
	cmd := n.inNode(nil, argv...)
	cmd.Stdout, cmd.Stderr = out, out
	// No Pdeathsig: it fires when the forking OS thread exits, and the
	// runtime ends threads that netlink and netns code left locked, which
	// killed hbd at random. A killed test binary leaves hbd to run.sh.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := netlab.StartProc(cmd, func(err error, expected bool) {
		out.Close()
		if !expected {
			n.lab.cancel(fmt.Errorf("%s: %s exited unexpectedly: %v (see %s)", n.Name, filepath.Base(argv[0]), err, n.OutFile()))
		}
	})
	if err != nil {
		out.Close()
		t.Fatalf("%s: start %s: %v", n.Name, argv[0], err)
	}
	n.proc = p
	t.Cleanup(func() {
		if err := p.KillGroup(syscall.SIGKILL, StopTimeout); err != nil {
			t.Errorf("%s: cleanup: %v", n.Name, err)
		}
	})
}

// Running reports whether the node's hbd was started and has not exited.
func (n *Node) Running() bool { return n.proc.Running() }

// Pid is the process id of the node's hbd (0 before Start).
func (n *Node) Pid() int {
	if n.proc == nil {
		return 0
	}
	return n.proc.Pid()
}

// Exited is closed when the node's hbd exits.
func (n *Node) Exited() <-chan struct{} { return n.proc.Done() }

// ExitErr is hbd's Wait error once it exited (nil for exit status 0).
func (n *Node) ExitErr() error { return n.proc.Err() }

// Kill9 sends SIGKILL to hbd and its process group and returns the moment
// just before the signal; it returns once the process is gone.
func (n *Node) Kill9(t testing.TB) time.Time {
	t.Helper()
	if !n.Running() {
		t.Fatalf("%s: kill -9: hbd not running", n.Name)
	}
	at := time.Now()
	if err := n.proc.KillGroup(syscall.SIGKILL, StopTimeout); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return at
}

// Stop sends SIGTERM (an orderly shutdown that releases resources) and
// waits up to StopTimeout for hbd to exit.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	if !n.Running() {
		t.Fatalf("%s: stop: hbd not running", n.Name)
	}
	if err := n.proc.KillGroup(syscall.SIGTERM, StopTimeout); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
}

// HBD runs "hbd --confdir … --rundir … --statedir … args…" in the node (same
// netns and hostname as the daemon) and returns its combined output. A
// non-zero exit is an error that carries the output.
func (n *Node) HBD(ctx context.Context, t testing.TB, args ...string) (string, error) {
	t.Helper()
	return n.run(ctx, append(append([]string{HBDPath(t)}, n.dirFlags()...), args...)...)
}

// Alias runs hbd under one of its argv[0] names (hb_standby, hb_takeover,
// cl_status) through a symlink in the node's directory, with the same
// directory flags as HBD, and returns its combined output.
func (n *Node) Alias(ctx context.Context, t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	link := filepath.Join(n.Dir, "bin", name)
	if _, err := os.Lstat(link); err != nil {
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(HBDPath(t), link); err != nil {
			t.Fatal(err)
		}
	}
	return n.run(ctx, append(append([]string{link}, n.dirFlags()...), args...)...)
}

func (n *Node) run(ctx context.Context, argv ...string) (string, error) {
	out, err := n.inNode(ctx, argv...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %s: %w: %s", n.Name, strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}
