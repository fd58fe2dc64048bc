package ops

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The units' ExecStart lines, run as systemd runs them: NOTIFY_SOCKET names
// a unixgram socket in t.TempDir() and WATCHDOG_USEC asks for pings.

// notifyWait bounds the wait for start-up and shutdown notifications from
// a real daemon; pingWait the wait for a watchdog ping (every second here)
// and for the reload messages.
const (
	notifyWait = 30 * time.Second
	pingWait   = 10 * time.Second
)

// watchdogUsec is the WATCHDOG_USEC given: 2 s, so a ping every second.
const watchdogUsec = "2000000"

// notifySocket is systemd's end of sd_notify.
type notifySocket struct {
	path string
	conn *net.UnixConn
	msgs chan []string // one datagram's NAME=VALUE lines
	seen [][]string    // everything received so far, in order
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifySocket{path: path, conn: conn, msgs: make(chan []string, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.msgs <- strings.Split(strings.TrimSpace(string(buf[:k])), "\n")
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return n
}

// expect reads datagrams until one carries line (e.g. "READY=1") and
// returns its position among all datagrams seen; it fails t after wait.
func (n *notifySocket) expect(t *testing.T, line string, wait time.Duration) int {
	t.Helper()
	limit := time.After(wait)
	for {
		select {
		case m := <-n.msgs:
			n.seen = append(n.seen, m)
			for _, l := range m {
				if l == line {
					return len(n.seen) - 1
				}
			}
		case <-limit:
			t.Fatalf("no %s within %s; received %q", line, wait, n.seen)
			return -1
		}
	}
}

// execStart returns the unit's ExecStart split into words, with the
// binary replaced by the one under test and each $VAR word by vars[VAR]
// (systemd drops an unset $VAR word).
func execStart(t *testing.T, unitName string, vars map[string][]string) []string {
	t.Helper()
	u := parseUnit(t, filepath.Join(repoRoot, "etc/systemd", unitName))
	lines := u["Service"]["ExecStart"]
	if len(lines) != 1 {
		t.Fatalf("%s: %d ExecStart lines, want 1", unitName, len(lines))
	}
	var argv []string
	for i, w := range strings.Fields(lines[0]) {
		switch {
		case i == 0:
			argv = append(argv, filepath.Join(binDir, filepath.Base(w)))
		case strings.HasPrefix(w, "$"):
			argv = append(argv, vars[w[1:]]...)
		default:
			argv = append(argv, w)
		}
	}
	return argv
}

// TestHBDNotify runs hbd.service's ExecStart and checks every message
// systemd relies on: READY=1 once up, WATCHDOG=1 pings, RELOADING=1 then
// READY=1 around SIGHUP (ExecReload), STOPPING=1 on SIGTERM, exit 0.
func TestHBDNotify(t *testing.T) {
	e := newHBDEnv(t, shellMode{initFunctions: noInitFunctions})
	ns := listenNotify(t)
	argv := execStart(t, "hbd.service", map[string][]string{
		"HBD_OPTS": {"--confdir", e.conf, "--rundir", e.run, "--statedir", e.state, "--node", "opsnode"},
	})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=" + watchdogUsec}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{}) // closed once hbd is reaped; waitErr set
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hbd output:\n%s", out.String())
		}
	})

	ready := ns.expect(t, "READY=1", notifyWait)
	t.Run("watchdog", func(t *testing.T) { ns.expect(t, "WATCHDOG=1", pingWait) })
	t.Run("reload", func(t *testing.T) {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		r := ns.expect(t, "RELOADING=1", pingWait)
		if again := ns.expect(t, "READY=1", pingWait); again < r {
			t.Errorf("READY=1 (datagram %d) before RELOADING=1 (%d)", again, r)
		}
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if stopping := ns.expect(t, "STOPPING=1", notifyWait); stopping < ready {
		t.Errorf("STOPPING=1 (datagram %d) before READY=1 (%d)", stopping, ready)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("hbd run exited with %v, want 0", waitErr)
		}
	case <-time.After(notifyWait):
		t.Fatalf("hbd run did not exit within %s of SIGTERM", notifyWait)
	}
	if e.held() {
		t.Error("group marker::one still held after hbd exited")
	}
}

// TestLdirectordNotifyWithoutIPVS runs ldirectord.service's ExecStart on a
// kernel without IPVS: it must fail (exit 1, saying why) without ever
// telling systemd READY=1.
func TestLdirectordNotifyWithoutIPVS(t *testing.T) {
	if hostHasIPVS() {
		t.Skip("this kernel has IPVS: a real start would change the host's IPVS table")
	}
	e := newLdEnv(t, shellMode{initFunctions: noInitFunctions})
	ns := listenNotify(t)
	argv := execStart(t, "ldirectord.service", map[string][]string{"CONFIG_FILE": {e.cfg}})
	r := runCmd(t, e.dir, []string{"NOTIFY_SOCKET=" + ns.path, "WATCHDOG_USEC=" + watchdogUsec}, argv...)
	if r.code != 1 || !strings.Contains(r.stderr, "IPVS") {
		t.Errorf("ldirectord -d start without IPVS: %s\nwant exit 1 naming IPVS", r)
	}
	// Every datagram it sent was queued before it exited; the reader hands
	// them over at once, so a second of silence means all are in.
	for drained := false; !drained; {
		select {
		case m := <-ns.msgs:
			ns.seen = append(ns.seen, m)
		case <-time.After(time.Second):
			drained = true
		}
	}
	for _, m := range ns.seen {
		for _, l := range m {
			if l == "READY=1" {
				t.Errorf("ldirectord sent READY=1 although it failed: %q", ns.seen)
			}
		}
	}
	if exists(e.pidfile) || exists(filepath.Join("/run", "ldirectord.ld.cf.pid")) {
		t.Error("a failed start left a pid file")
	}
}
