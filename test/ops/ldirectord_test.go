package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// ldEnv is one ldirectord instance under t.TempDir(): CONFDIR/ld.cf is the
// configuration (CONFIG_FILE), so the pid file is RUNDIR/ldirectord.ld.cf.pid,
// the same for `/etc/init.d/ldirectord` and the Heartbeat form
// `/etc/init.d/ldirectord ld.cf ACTION`.
type ldEnv struct {
	dir, conf, run, cfg, pidfile string
	script                       initScript
}

// ldConfig is a valid ldirectord.cf; nothing in it is ever contacted
// (ldirectord cannot start here) except on loopback.
const ldConfig = `checktimeout=3
checkinterval=1
logfile="%s/ldirectord.log"
virtual=127.0.0.1:8080
	real=127.0.0.1:8081 masq
	service=http
	scheduler=rr
	protocol=tcp
	checktype=connect
`

// ldStopTimeout is STOP_TIMEOUT for the script's pid-file stop.
const ldStopTimeout = 30 * time.Second

func newLdEnv(t *testing.T, mode shellMode) *ldEnv {
	t.Helper()
	dir := t.TempDir()
	e := &ldEnv{dir: dir, conf: filepath.Join(dir, "ha.d"), run: filepath.Join(dir, "run")}
	e.cfg = filepath.Join(e.conf, "ld.cf")
	e.pidfile = filepath.Join(e.run, "ldirectord.ld.cf.pid")
	writeFile(t, e.cfg, fmt.Sprintf(ldConfig, dir), 0o644)
	if err := os.MkdirAll(e.run, 0o755); err != nil {
		t.Fatal(err)
	}
	defaults := filepath.Join(dir, "default.ldirectord")
	writeFile(t, defaults, fmt.Sprintf(`DAEMON=%s
CONFDIR=%s
RUNDIR=%s
CONFIG_FILE=%s
STOP_TIMEOUT=%d
INIT_FUNCTIONS=%s
`, filepath.Join(binDir, "ldirectord"), e.conf, e.run, e.cfg, int(ldStopTimeout.Seconds()), mode.initFunctions), 0o644)
	e.script = initScript{path: filepath.Join(repoRoot, "etc/init.d/ldirectord"), defaultsVar: "LDIRECTORD_DEFAULTS", defaults: defaults, mode: mode, dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "ldirectord.log")); err == nil {
				t.Logf("ldirectord.log:\n%s", b)
			}
		}
	})
	return e
}

// breakConfig makes ld.cf invalid until t ends.
func (e *ldEnv) breakConfig(t *testing.T) {
	writeFile(t, e.cfg, "no_such_directive=1\n", 0o644)
	t.Cleanup(func() { writeFile(t, e.cfg, fmt.Sprintf(ldConfig, e.dir), 0o644) })
}

func TestLdirectordInitScript(t *testing.T) {
	for _, mode := range shellModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			e := newLdEnv(t, mode)
			var steps []step
			steps = append(steps, ldStoppedSteps(e)...)
			steps = append(steps, ldConfigSteps(e)...)
			steps = append(steps, ldHeartbeatSteps(e)...)
			steps = append(steps, ldRunningSteps(t, e)...)
			runSteps(t, e.script, steps)
		})
	}
}

// judged asserts how Heartbeat's ResourceManager reads the status output.
func judged(want resources.Status) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if got := resources.JudgeStatus(r.stdout); got != want {
			t.Errorf("Heartbeat reads this status as %v, want %v\n%s", got, want, r)
		}
	}
}

func ldStoppedSteps(e *ldEnv) []step {
	noPid := func(t *testing.T, r result) {
		t.Helper()
		if exists(e.pidfile) {
			t.Errorf("%s left behind", e.pidfile)
		}
	}
	return []step{
		{name: "status when stopped", args: []string{"status"}, want: 3, after: func(t *testing.T, r result) {
			wantOutput("ldirectord is stopped for "+e.cfg)(t, r)
			judged(resources.StatusStopped)(t, r)
		}},
		{name: "stop when stopped", args: []string{"stop"}, want: 0},
		{name: "reload when stopped", args: []string{"reload"}, want: 7},
		{name: "force-reload when stopped", args: []string{"force-reload"}, want: 7},
		{name: "try-restart when stopped", args: []string{"try-restart"}, want: 0, after: noPid},
		{name: "check", args: []string{"check"}, want: 0, after: wantOutput("TCP  127.0.0.1:8080")},
		{name: "start without IPVS fails", args: []string{"start"}, want: 1, needsNoIPVS: true,
			after: func(t *testing.T, r result) { wantOutput("IPVS")(t, r); noPid(t, r) }},
		{name: "restart without IPVS fails", args: []string{"restart"}, want: 1, needsNoIPVS: true, after: noPid},
		{name: "status after the failed start", args: []string{"status"}, want: 3},
		{name: "no action", want: 2, after: wantOutput("Usage:")},
		{name: "unknown action", args: []string{"bogus"}, want: 2},
		{name: "excess arguments", args: []string{"ld.cf", "start", "now"}, want: 2},
	}
}

func ldConfigSteps(e *ldEnv) []step {
	broken := e.breakConfig
	return []step{
		{name: "start with a broken file", args: []string{"start"}, want: 6, before: broken, after: wantOutput("ld.cf:1:")},
		{name: "check with a broken file", args: []string{"check"}, want: 6, before: broken, after: wantOutput("ld.cf:1:")},
		{name: "restart with a broken file", args: []string{"restart"}, want: 6, before: broken},
		{name: "status with a broken file", args: []string{"status"}, want: 3, before: broken, after: wantOutput("does not load")},
		{name: "stop with a broken file", args: []string{"stop"}, want: 0, before: broken},
		{name: "start without the file", args: []string{"start"}, want: 6, before: func(t *testing.T) {
			if err := os.Rename(e.cfg, e.cfg+".away"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Rename(e.cfg+".away", e.cfg) })
		}, after: wantOutput("not configured", e.cfg)},
	}
}

// ldHeartbeatSteps use Heartbeat's calling convention: the config name
// first, looked up in CONFDIR.
func ldHeartbeatSteps(e *ldEnv) []step {
	return []step{
		{name: "heartbeat form status", args: []string{"ld.cf", "status"}, want: 3, after: func(t *testing.T, r result) {
			wantOutput("ldirectord is stopped for "+e.cfg)(t, r)
			judged(resources.StatusStopped)(t, r)
		}},
		{name: "heartbeat form check", args: []string{"ld.cf", "check"}, want: 0, after: wantOutput("TCP  127.0.0.1:8080")},
		{name: "heartbeat form start without IPVS", args: []string{"ld.cf", "start"}, want: 1, needsNoIPVS: true, after: wantOutput("IPVS")},
		{name: "heartbeat form stop", args: []string{"ld.cf", "stop"}, want: 0},
		{name: "heartbeat form unknown name", args: []string{"missing.cf", "start"}, want: 6, after: wantOutput("not configured")},
		{name: "heartbeat form unknown action", args: []string{"ld.cf", "bogus"}, want: 2},
	}
}

// ldRunningSteps play the running daemon with a stand-in (standin_test.go)
// that lives as long as owner.
func ldRunningSteps(owner *testing.T, e *ldEnv) []step {
	var s *standin
	start := func(t *testing.T) { s = startStandin(t, owner, e.pidfile) }
	hup := func(t *testing.T, r result) { t.Helper(); s.expect(t, "HUP") }
	gone := func(t *testing.T, r result) {
		t.Helper()
		if !s.exited(ldStopTimeout) {
			t.Fatalf("stand-in pid %d still runs", s.pid)
		}
	}
	running := func(t *testing.T, r result) {
		t.Helper()
		wantOutput("running with pid: "+strconv.Itoa(s.pid))(t, r)
		judged(resources.StatusRunning)(t, r)
	}
	return []step{
		{name: "status when running", args: []string{"status"}, want: 0, before: start, after: running},
		{name: "heartbeat form status when running", args: []string{"ld.cf", "status"}, want: 0, after: running},
		{name: "start when running", args: []string{"start"}, want: 0},
		{name: "reload when running", args: []string{"reload"}, want: 0, after: hup},
		{name: "force-reload when running", args: []string{"force-reload"}, want: 0, after: hup},
		{name: "heartbeat form reload", args: []string{"ld.cf", "reload"}, want: 0, after: hup},
		{name: "reload with a broken file keeps the daemon", args: []string{"reload"}, want: 6, before: e.breakConfig,
			after: func(t *testing.T, r result) { s.quiet(t); reloadThenHUP(t, e, s) }},
		{name: "status with a broken file when running", args: []string{"status"}, want: 0, before: e.breakConfig, after: running},
		{name: "stop with a broken file uses the pid file", args: []string{"stop"}, want: 0, before: e.breakConfig, after: gone},
		// The stand-in, unlike ldirectord, leaves its pid file behind.
		{name: "status with a stale pid file", args: []string{"status"}, want: 1, after: judged(resources.StatusStopped)},
		{name: "reload with a stale pid file", args: []string{"reload"}, want: 7},
		{name: "try-restart with a stale pid file", args: []string{"try-restart"}, want: 0},
		{name: "stop when running", args: []string{"stop"}, want: 0, before: start, after: gone},
		{name: "try-restart when running without IPVS", args: []string{"try-restart"}, want: 1, before: start, after: gone, needsNoIPVS: true},
		{name: "heartbeat form stop when running", args: []string{"ld.cf", "stop"}, want: 0, before: start, after: gone},
	}
}

// reloadThenHUP checks that nothing reached the daemon before: a valid
// reload's HUP must be the next thing the stand-in reports.
func reloadThenHUP(t *testing.T, e *ldEnv, s *standin) {
	t.Helper()
	writeFile(t, e.cfg, fmt.Sprintf(ldConfig, e.dir), 0o644)
	if r := e.script.run(t, "reload"); r.code != 0 {
		t.Fatalf("reload with the file repaired: %s", r)
	}
	s.expect(t, "HUP")
}

// TestInitFunctionsSourcing checks that the scripts use
// /lib/lsb/init-functions when there is one, except in the Heartbeat form,
// where a masked ldirectord.service would make that file exit 0 unasked.
func TestInitFunctionsSourcing(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "sourced")
	fake := filepath.Join(dir, "init-functions")
	writeFile(t, fake, fmt.Sprintf("echo sourced >>%s\n", mark), 0o644)
	mode := shellMode{name: "fake", initFunctions: fake}
	tests := []struct {
		name    string
		script  func(t *testing.T) initScript
		args    []string
		sourced bool
	}{
		{name: "hbd status", script: func(t *testing.T) initScript { return newHBDEnv(t, mode).script }, args: []string{"status"}, sourced: true},
		{name: "ldirectord status", script: func(t *testing.T) initScript { return newLdEnv(t, mode).script }, args: []string{"status"}, sourced: true},
		{name: "ldirectord heartbeat form", script: func(t *testing.T) initScript { return newLdEnv(t, mode).script }, args: []string{"ld.cf", "status"}, sourced: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(mark)
			if r := tc.script(t).run(t, tc.args...); r.code != 3 {
				t.Fatalf("exit %d, want 3\n%s", r.code, r)
			}
			if got := exists(mark); got != tc.sourced {
				t.Errorf("init-functions sourced: %v, want %v", got, tc.sourced)
			}
		})
	}
}
