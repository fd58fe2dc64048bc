package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// hbdEnv is one hbd node under t.TempDir(): a two-node ha.cf whose peer
// never answers (heartbeats go to 127.0.0.2 only), and one resource group,
// marker::one, whose resource.d script leaves the file held.one while the
// group is held.
type hbdEnv struct {
	dir, conf, run, state string
	script                initScript
}

// hbdResourceWait bounds the wait for the group: initdead is 1 s here.
const hbdResourceWait = 30 * time.Second

func newHBDEnv(t *testing.T, mode shellMode) *hbdEnv {
	t.Helper()
	dir := t.TempDir()
	e := &hbdEnv{dir: dir, conf: filepath.Join(dir, "ha.d"), run: filepath.Join(dir, "run"), state: filepath.Join(dir, "state")}
	writeFile(t, filepath.Join(e.conf, "ha.cf"), e.haCF(t), 0o644)
	writeFile(t, filepath.Join(e.conf, "authkeys"), "auth 1\n1 sha1 ops-test-key\n", 0o600)
	writeFile(t, filepath.Join(e.conf, "haresources"), "opsnode marker::one\n", 0o644)
	writeFile(t, filepath.Join(e.conf, "resource.d", "marker"), fmt.Sprintf(`#!/bin/sh
# marker NAME start|stop|status: the file held.NAME exists while started.
f=%s/held.$1
case "$2" in
start) : >"$f" ;;
stop) rm -f "$f" ;;
status) if [ -e "$f" ]; then echo running; else echo stopped; fi ;;
esac
`, dir), 0o755)
	defaults := filepath.Join(dir, "default.hbd")
	writeFile(t, defaults, fmt.Sprintf(`DAEMON=%s
CONFDIR=%s
RUNDIR=%s
STATEDIR=%s
HBD_OPTS="--node opsnode"
RESTART_DELAY=0
INIT_FUNCTIONS=%s
`, filepath.Join(binDir, "hbd"), e.conf, e.run, e.state, mode.initFunctions), 0o644)
	e.script = initScript{path: filepath.Join(repoRoot, "etc/init.d/hbd"), defaultsVar: "HBD_DEFAULTS", defaults: defaults, mode: mode, dir: dir}
	t.Cleanup(func() {
		runCmd(t, dir, nil, filepath.Join(binDir, "hbd"), "--rundir", e.run, "stop")
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "ha-log")); err == nil {
				t.Logf("ha-log:\n%s", b)
			}
		}
	})
	return e
}

func (e *hbdEnv) haCF(t *testing.T) string {
	return fmt.Sprintf(`logfile %s/ha-log
keepalive 200ms
deadtime 1
initdead 1
udpport %d
ucast lo 127.0.0.2
auto_failback on
node opsnode
node opspeer
`, e.dir, freeUDPPort(t))
}

// pid is the pid in hbd's pid file, 0 without one.
func (e *hbdEnv) pid(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.run, "hbd.pid"))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("hbd.pid: %v", err)
	}
	return pid
}

func (e *hbdEnv) held() bool { return exists(filepath.Join(e.dir, "held.one")) }

// waitHeld asserts that the group is (re)acquired.
func (e *hbdEnv) waitHeld(t *testing.T) {
	t.Helper()
	if !waitFor(hbdResourceWait, e.held) {
		t.Fatalf("group marker::one not acquired within %s", hbdResourceWait)
	}
}

// move renames ha.cf away (or back) for the not-configured steps.
func (e *hbdEnv) move(from, to string) func(t *testing.T) {
	return func(t *testing.T) {
		if err := os.Rename(filepath.Join(e.conf, from), filepath.Join(e.conf, to)); err != nil {
			t.Fatal(err)
		}
	}
}

// breakHaCF appends an unknown directive, restored when t ends.
func (e *hbdEnv) breakHaCF(t *testing.T) {
	p := filepath.Join(e.conf, "ha.cf")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, string(b)+"no_such_directive on\n", 0o644)
	t.Cleanup(func() { writeFile(t, p, string(b), 0o644) })
}

func TestHBDInitScript(t *testing.T) {
	for _, mode := range shellModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			e := newHBDEnv(t, mode)
			var steps []step
			steps = append(steps, hbdStoppedSteps(e)...)
			steps = append(steps, hbdRunningSteps(e)...)
			steps = append(steps, hbdConfigSteps(e)...)
			runSteps(t, e.script, steps)
		})
	}
}

func hbdStoppedSteps(e *hbdEnv) []step {
	stopped := func(t *testing.T, r result) {
		t.Helper()
		if pid := e.pid(t); pid != 0 {
			t.Fatalf("hbd runs (pid %d), want stopped", pid)
		}
	}
	return []step{
		{name: "status when stopped", args: []string{"status"}, want: 3, after: wantOutput("stopped")},
		{name: "stop when stopped", args: []string{"stop"}, want: 0, after: stopped},
		{name: "reload when stopped", args: []string{"reload"}, want: 7, after: stopped},
		{name: "force-reload when stopped", args: []string{"force-reload"}, want: 7, after: stopped},
		{name: "try-restart when stopped", args: []string{"try-restart"}, want: 0, after: stopped},
		{name: "standby when stopped", args: []string{"standby"}, want: 3, after: stopped},
		{name: "no action", want: 2, after: wantOutput("Usage:")},
		{name: "unknown action", args: []string{"bogus"}, want: 2},
		{name: "excess argument", args: []string{"start", "now"}, want: 2, after: stopped},
		{name: "status with a stale pid file", args: []string{"status"}, want: 1, before: func(t *testing.T) {
			writeFile(t, filepath.Join(e.run, "hbd.pid"), strconv.Itoa(deadPid(t))+"\n", 0o644)
		}},
		{name: "reload with a stale pid file", args: []string{"reload"}, want: 7},
	}
}

func hbdRunningSteps(e *hbdEnv) []step {
	var pid int
	same := func(t *testing.T, r result) {
		t.Helper()
		if got := e.pid(t); got != pid || pid == 0 {
			t.Fatalf("pid %d, want the running hbd %d", got, pid)
		}
	}
	fresh := func(t *testing.T, r result) {
		t.Helper()
		got := e.pid(t)
		if got == 0 || got == pid {
			t.Fatalf("pid %d after the restart, want a new hbd (old %d)", got, pid)
		}
		pid = got
		e.waitHeld(t)
	}
	return []step{
		{name: "start over the stale pid file", args: []string{"start"}, want: 0, after: fresh},
		{name: "status when running", args: []string{"status"}, want: 0, after: func(t *testing.T, r result) {
			wantOutput("running", "opsnode")(t, r)
			if got := resources.JudgeStatus(r.stdout); got != resources.StatusRunning {
				t.Errorf("Heartbeat reads this status as %v, want running\n%s", got, r)
			}
		}},
		{name: "start when running", args: []string{"start"}, want: 0, after: same},
		{name: "reload when running", args: []string{"reload"}, want: 0, after: same},
		{name: "force-reload when running", args: []string{"force-reload"}, want: 0, after: same},
		{name: "reload with a broken ha.cf keeps hbd", args: []string{"reload"}, want: 6,
			before: e.breakHaCF, after: func(t *testing.T, r result) { wantOutput("ha.cf:")(t, r); same(t, r) }},
		{name: "restart", args: []string{"restart"}, want: 0, after: fresh},
		{name: "try-restart when running", args: []string{"try-restart"}, want: 0, after: fresh},
		{name: "stop releases the group and waits", args: []string{"stop"}, want: 0, after: func(t *testing.T, r result) {
			if e.held() {
				t.Error("group marker::one still held after stop returned")
			}
			if got := e.pid(t); got != 0 {
				t.Errorf("pid file names %d after stop", got)
			}
			if !waitFor(0, func() bool { return !pidAlive(pid) }) {
				t.Errorf("hbd pid %d still alive after stop returned", pid)
			}
		}},
		{name: "status after stop", args: []string{"status"}, want: 3},
	}
}

func hbdConfigSteps(e *hbdEnv) []step {
	return []step{
		{name: "start without ha.cf", args: []string{"start"}, want: 6, before: e.move("ha.cf", "ha.cf.away"),
			after: wantOutput("not configured", "ha.cf")},
		{name: "restart without ha.cf", args: []string{"restart"}, want: 6},
		{name: "reload without ha.cf", args: []string{"reload"}, want: 6},
		{name: "try-restart without ha.cf", args: []string{"try-restart"}, want: 0},
		{name: "status without ha.cf", args: []string{"status"}, want: 3},
		{name: "stop without ha.cf", args: []string{"stop"}, want: 0},
		{name: "start with a broken ha.cf", args: []string{"start"}, want: 6, before: func(t *testing.T) {
			e.move("ha.cf.away", "ha.cf")(t)
			e.breakHaCF(t)
		}, after: wantOutput("ha.cf:")},
		{name: "status after the failed start", args: []string{"status"}, want: 3},
	}
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// TestInitScriptsNotInstalled checks the codes for a missing binary: stop
// succeeds (nothing of ours can run), status is unknown (4), the rest are
// "not installed" (5).
func TestInitScriptsNotInstalled(t *testing.T) {
	codes := map[string]int{"start": 5, "stop": 0, "status": 4, "restart": 5, "try-restart": 5, "reload": 5, "force-reload": 5}
	for _, sc := range []struct{ name, defaultsVar string }{{"hbd", "HBD_DEFAULTS"}, {"ldirectord", "LDIRECTORD_DEFAULTS"}} {
		dir := t.TempDir()
		defaults := filepath.Join(dir, "default")
		writeFile(t, defaults, fmt.Sprintf("DAEMON=%s/missing\nINIT_FUNCTIONS=%s\nCONFIG_FILE=%s/x.cf\nCONFDIR=%s\n", dir, noInitFunctions, dir, dir), 0o644)
		s := initScript{path: filepath.Join(repoRoot, "etc/init.d", sc.name), defaultsVar: sc.defaultsVar, defaults: defaults, dir: dir}
		for action, want := range codes {
			t.Run(sc.name+"/"+action, func(t *testing.T) {
				if r := s.run(t, action); r.code != want {
					t.Errorf("exit %d, want %d\n%s", r.code, want, r)
				}
			})
		}
	}
}
