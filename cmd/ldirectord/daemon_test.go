package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

const twoReals = `checkinterval=1
quiescent=yes
virtual=10.1.1.10:80
	real=192.168.2.236:80 masq 2
	real=192.168.2.237:80 masq
	checktype=connect
	scheduler=wrr
virtual=10.1.1.11:443
	real=192.168.2.238:443 gate
	checktype=on
	scheduler=rr
`

const twoRealsTable = `TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    2      0          0
  -> 192.168.2.237:80             Masq    0      0          0
TCP  10.1.1.11:443 rr
  -> 192.168.2.238:443            Route   1      0          0
`

// TestStatus runs a daemon in-process and reads `status` and
// `status --json` while one real is up and one down (quiescent).
func TestStatus(t *testing.T) {
	h := newHarness(t, twoReals)
	h.checks.set("192.168.2.236:80", true)
	g := h.start()
	h.waitKernel(twoRealsTable)

	code, out, errOut := h.cli("status")
	want := fmt.Sprintf(`ldirectord for %s is running with pid: %d
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight State    Detail
TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    2      up       real up: check succeeded
  -> 192.168.2.237:80             Masq    0      down     real down: 1 consecutive failure(s) (connection refused)
TCP  10.1.1.11:443 rr
  -> 192.168.2.238:443            Route   1      up       checktype on
`, h.cfg, g.pid)
	if code != exitOK || errOut != "" {
		t.Errorf("status = %d, stderr %q; want 0 and no stderr", code, errOut)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	code, out, _ = h.cli("status", "--json")
	if code != exitOK {
		t.Fatalf("status --json = %d, want 0", code)
	}
	var rep struct {
		statusReport
		Status struct {
			Virtuals []struct {
				Service string
				Reals   []struct {
					Addr, Forward, State string
					KernelWeight         *int `json:"kernel_weight"`
				}
			}
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	type real struct {
		Virtual, Addr, Forward, State string
		Weight                        int
	}
	var got []real
	for _, v := range rep.Status.Virtuals {
		for _, r := range v.Reals {
			got = append(got, real{v.Service, r.Addr, r.Forward, r.State, *r.KernelWeight})
		}
	}
	wantReals := []real{
		{"TCP  10.1.1.10:80 wrr", "192.168.2.236:80", "Masq", "up", 2},
		{"TCP  10.1.1.10:80 wrr", "192.168.2.237:80", "Masq", "down", 0},
		{"TCP  10.1.1.11:443 rr", "192.168.2.238:443", "Route", "up", 1},
	}
	if diff := cmp.Diff(wantReals, got); diff != "" {
		t.Errorf("status --json reals (-want +got):\n%s", diff)
	}
	if !rep.Running || rep.Pid != g.pid || rep.Config != h.cfg || rep.PidFile != filepath.Join(h.rundir, "ldirectord.ldirectord.pid") {
		t.Errorf("status --json = running %v pid %d config %q pid file %q; want true %d %q in %s",
			rep.Running, rep.Pid, rep.Config, rep.PidFile, g.pid, h.cfg, h.rundir)
	}
}

// TestVerbs pins the exit code and output of every verb against a daemon
// that is not running, one whose pid file is stale, one that runs, and one
// that runs while its file on disk is broken.
func TestVerbs(t *testing.T) {
	const cfg = "checkinterval=1\nvirtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n"
	type want struct {
		code           int
		stdout, stderr string // {cfg} = config path, {pid} = pid file
		running        bool   // the daemon still runs afterwards
	}
	for _, state := range []struct {
		name  string
		setup func(h *harness) *gen
		verbs map[string]want
	}{
		{
			name:  "not running",
			setup: func(h *harness) *gen { return nil },
			verbs: map[string]want{
				"status":       {code: 3, stdout: "ldirectord is stopped for {cfg}\n"},
				"stop":         {code: 0},
				"reload":       {code: 1, stderr: "ldirectord is stopped for {cfg}\n"},
				"force-reload": {code: 1, stderr: "ldirectord is stopped for {cfg}\n"},
				"try-restart":  {code: 0},
			},
		},
		{
			name: "stale pid file",
			setup: func(h *harness) *gen {
				// A live process that is not ldirectord: its pid file is stale.
				other := exec.Command("sleep", "3600")
				if err := other.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { other.Process.Kill(); other.Wait() })
				writeFile(t, filepath.Join(h.rundir, "ldirectord.ldirectord.pid"), fmt.Sprintf("%d\n", other.Process.Pid))
				return nil
			},
			verbs: map[string]want{
				"status":       {code: 1, stdout: "ldirectord is stopped for {cfg}\n", stderr: "ldirectord stale pid file {pid} for {cfg}\n"},
				"stop":         {code: 0},
				"reload":       {code: 1, stderr: "ldirectord is stopped for {cfg}\n"},
				"force-reload": {code: 1, stderr: "ldirectord is stopped for {cfg}\n"},
				"try-restart":  {code: 0},
			},
		},
		{
			name:  "running",
			setup: func(h *harness) *gen { return h.start() },
			verbs: map[string]want{
				"start":        {code: 0, running: true},
				"reload":       {code: 0, running: true},
				"force-reload": {code: 0, running: true},
				"stop":         {code: 0},
			},
		},
		{
			name: "running, file broken since",
			setup: func(h *harness) *gen {
				g := h.start()
				writeFile(t, h.cfg, cfg+"\tbogus=1\n")
				return g
			},
			verbs: map[string]want{
				"status": {code: 2, stderr: "{cfg}:5: bogus: ", running: true},
				"stop":   {code: 2, stderr: "{cfg}:5: bogus: ", running: true},
				"reload": {code: 2, stderr: "{cfg}:5: bogus: ", running: true},
			},
		},
	} {
		for verb, w := range state.verbs {
			t.Run(state.name+"/"+verb, func(t *testing.T) {
				h := newHarness(t, cfg)
				g := state.setup(h)
				pidFile := filepath.Join(h.rundir, "ldirectord.ldirectord.pid")
				before, _ := os.ReadFile(pidFile)
				code, out, errOut := h.cli(verb)
				subst := strings.NewReplacer("{cfg}", h.cfg, "{pid}", pidFile)
				wantOut, wantErr := subst.Replace(w.stdout), subst.Replace(w.stderr)
				if code != w.code || out != wantOut || !strings.HasPrefix(errOut, wantErr) || wantErr == "" && errOut != "" {
					t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", verb, code, out, errOut, w.code, wantOut, wantErr)
				}
				if g == nil {
					return
				}
				after, _ := os.ReadFile(pidFile)
				select {
				case <-g.done:
					if w.running {
						t.Errorf("%s: the daemon exited (%d), want it running", verb, g.code)
					}
					if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("%s: pid file left behind after the daemon exited: %v", verb, err)
					}
				default:
					if !w.running {
						t.Errorf("%s returned while the daemon still runs", verb)
					}
					if string(after) != string(before) {
						t.Errorf("%s: pid file changed from %q to %q", verb, before, after)
					}
				}
			})
		}
	}
}

// TestReloadSignal: SIGHUP with a broken file logs its position and keeps
// the running config; a good file then applies, keeping the check state
// of the reals that stay (no re-add) and changing a weight in place.
func TestReloadSignal(t *testing.T) {
	h := newHarness(t, twoReals)
	h.checks.set("192.168.2.236:80", true)
	g := h.start()
	h.waitKernel(twoRealsTable)

	writeFile(t, h.cfg, strings.Replace(twoReals, "masq 2", "masq two", 1))
	h.kernel.ResetOps()
	if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitLog(fmt.Sprintf(`"Error [%d] reading file %s at line 4: real: unexpected \"two\"`, g.pid, h.cfg))
	h.waitLog(msgKeepRunning)
	if got := h.table(); got != twoRealsTable {
		t.Errorf("kernel changed after a broken reload:\n%s", got)
	}

	// .236 gets weight 3, .237 goes, .239 (down) comes, the on virtual stays.
	next := strings.Replace(strings.Replace(twoReals, "masq 2", "masq 3", 1),
		"real=192.168.2.237:80 masq", "real=192.168.2.239:80 masq", 1)
	writeFile(t, h.cfg, next)
	if code, _, errOut := h.cli("reload"); code != 0 {
		t.Fatalf("reload = %d (%s)", code, errOut)
	}
	h.waitKernel(`TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    3      0          0
  -> 192.168.2.239:80             Masq    0      0          0
TCP  10.1.1.11:443 rr
  -> 192.168.2.238:443            Route   1      0          0
`)
	wantOps := []string{
		"-e -t 10.1.1.10:80 -r 192.168.2.236:80 -m -w 3",
		"-d -t 10.1.1.10:80 -r 192.168.2.237:80",
		"-a -t 10.1.1.10:80 -r 192.168.2.239:80 -m -w 0",
	}
	if diff := cmp.Diff(wantOps, sortedOps(h.kernel.Ops(), wantOps)); diff != "" {
		t.Errorf("ops of the reloads (-want +got):\n%s", diff)
	}
	if n := strings.Count(h.logs.String(), msgReloading); n != 2 {
		t.Errorf("log has %d %q lines, want 2", n, msgReloading)
	}
}

// sortedOps orders got like want where the elements match, so the test
// does not depend on the order of independent ops.
func sortedOps(got, want []string) []string {
	idx := map[string]int{}
	for i, w := range want {
		idx[w] = i
	}
	out := make([]string, len(want))
	var extra []string
	for _, g := range got {
		if i, ok := idx[g]; ok && out[i] == "" {
			out[i] = g
			continue
		}
		extra = append(extra, g)
	}
	return append(out, extra...)
}

// TestAutoreload: with autoreload=yes an edited file is reloaded without a
// signal, a broken edit is logged and the running config stays, and the
// callback runs with the config path; with autoreload=no the edit is only
// noticed.
func TestAutoreload(t *testing.T) {
	base := "checkinterval=1\n%s\nvirtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n\tscheduler=rr\n"
	t.Run("yes", func(t *testing.T) {
		cb := filepath.Join(t.TempDir(), "cb.sh")
		writeFile(t, cb, "#!/bin/sh\n")
		if err := os.Chmod(cb, 0o755); err != nil {
			t.Fatal(err)
		}
		top := fmt.Sprintf("autoreload=yes\ncallback=%q", cb)
		h := newHarness(t, fmt.Sprintf(base, top))
		h.start()
		h.waitKernel("TCP  10.1.1.10:80 rr\n  -> 192.168.2.236:80             Masq    1      0          0\n")

		edit(t, h.cfg, fmt.Sprintf(base, top)+"\treal=192.168.2.237:80 masq 5\n")
		h.waitKernel("TCP  10.1.1.10:80 rr\n  -> 192.168.2.236:80             Masq    1      0          0\n" +
			"  -> 192.168.2.237:80             Masq    5      0          0\n")
		h.waitLog(fmt.Sprintf(msgCfgChanged, h.cfg))
		h.waitLog(msgCfgReread)

		edit(t, h.cfg, fmt.Sprintf(base, top)+"\treal=192.168.2.237:80 masq five\n")
		h.waitLog(fmt.Sprintf("reading file %s at line 8: real: unexpected", h.cfg))
		if got := strings.Count(h.logs.String(), fmt.Sprintf(msgCfgChanged, h.cfg)); got != 2 {
			t.Errorf("%d change lines in the log, want 2", got)
		}
		if !strings.Contains(h.kernel.String(), "192.168.2.237:80             Masq    5") {
			t.Errorf("a broken edit changed the table:\n%s", h.kernel.String())
		}
		h.waitFor("two callbacks", func() bool { return len(h.commands()) == 2 })
		if diff := cmp.Diff([][]string{{cb, h.cfg}, {cb, h.cfg}}, h.commands()); diff != "" {
			t.Errorf("callback runs (-want +got):\n%s", diff)
		}
	})
	t.Run("revert after SIGHUP", func(t *testing.T) {
		// The watcher compares with what the SIGHUP loaded: reverting the
		// file to the start-up content is a change to apply.
		orig := fmt.Sprintf(base, "autoreload=yes")
		h := newHarness(t, orig)
		g := h.start()
		table := "TCP  10.1.1.10:80 rr\n  -> 192.168.2.236:80             Masq    1      0          0\n"
		h.waitKernel(table)
		edit(t, h.cfg, orig+"\treal=192.168.2.237:80 masq\n")
		if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		h.waitKernel(table + "  -> 192.168.2.237:80             Masq    1      0          0\n")
		edit(t, h.cfg, orig)
		h.waitKernel(table)
	})
	t.Run("no", func(t *testing.T) {
		h := newHarness(t, fmt.Sprintf(base, "autoreload=no"))
		h.start()
		table := "TCP  10.1.1.10:80 rr\n  -> 192.168.2.236:80             Masq    1      0          0\n"
		h.waitKernel(table)
		edit(t, h.cfg, fmt.Sprintf(base, "autoreload=no")+"\treal=192.168.2.237:80 masq\n")
		h.waitLog(msgCfgIgnore)
		if got := h.table(); got != table {
			t.Errorf("autoreload=no applied an edit:\n%s", got)
		}
	})
}

// edit rewrites a file with a later mtime, so a change is seen even within
// the file system's timestamp granularity.
func edit(t *testing.T, path, content string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, content)
	later := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// TestStopCleanstop: stop returns once the daemon has exited; cleanstop=yes
// removes exactly what the daemon added (a foreign service and a foreign
// real stay, a configured service that existed before is only emptied of
// the reals it wrote); cleanstop=no leaves the table as it is.
func TestStopCleanstop(t *testing.T) {
	const foreign = `TCP  10.9.9.9:80 rr
  -> 10.9.9.10:80                 Masq    1      0          0
`
	for _, tc := range []struct {
		name, cleanstop string
		wantAfter       string
	}{
		{name: "cleanstop yes", cleanstop: "yes", wantAfter: "TCP  10.1.1.11:443 rr\n" + foreign},
		{name: "cleanstop no", cleanstop: "no", wantAfter: `TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    1      0          0
TCP  10.1.1.11:443 rr
  -> 192.168.2.238:443            Route   1      0          0
` + foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "checkinterval=1\ncleanstop=" + tc.cleanstop + `
virtual=10.1.1.10:80
	real=192.168.2.236:80 masq
	checktype=on
virtual=10.1.1.11:443
	real=192.168.2.238:443 gate
	checktype=on
	scheduler=rr
`
			h := newHarness(t, cfg)
			// 10.1.1.11:443 exists before the daemon (adopted, not created).
			if err := h.kernel.Load("TCP  10.1.1.11:443 rr\n" + foreign); err != nil {
				t.Fatal(err)
			}
			g := h.start()
			h.waitKernel(`TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    1      0          0
TCP  10.1.1.11:443 rr
  -> 192.168.2.238:443            Route   1      0          0
` + foreign)
			if code, _, errOut := h.cli("stop"); code != 0 {
				t.Fatalf("stop = %d (%s)", code, errOut)
			}
			select {
			case <-g.done:
			default:
				t.Fatal("stop returned before the daemon exited")
			}
			if g.code != 0 {
				t.Errorf("daemon exit = %d, want 0", g.code)
			}
			if diff := cmp.Diff(tc.wantAfter, h.table()); diff != "" {
				t.Errorf("table after stop (-want +got):\n%s", diff)
			}
			for _, f := range []string{"ldirectord.ldirectord.pid", "ldirectord.ldirectord.sock"} {
				if _, err := os.Stat(filepath.Join(h.rundir, f)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind: %v", f, err)
				}
			}
			if !strings.Contains(h.logs.String(), fmt.Sprintf(msgTerminated, "TERM")) {
				t.Errorf("log lacks %q", fmt.Sprintf(msgTerminated, "TERM"))
			}
		})
	}
}

// TestRestart: restart stops the running daemon (waiting for it) and
// serves a new one; try-restart does the same when one runs.
func TestRestart(t *testing.T) {
	for _, verb := range []string{"restart", "try-restart"} {
		t.Run(verb, func(t *testing.T) {
			h := newHarness(t, "checkinterval=1\nvirtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n")
			old := h.start()
			next := h.launch("-d", verb)
			<-old.done
			h.waitFor("the new daemon", func() bool {
				code, out, _ := h.cli("status")
				return code == 0 && strings.Contains(out, fmt.Sprintf("with pid: %d\n", next.pid))
			})
			h.waitKernel("TCP  10.1.1.10:80 wrr\n  -> 192.168.2.236:80             Masq    1      0          0\n")
		})
	}
}

// TestSupervised: supervised=yes runs `start` in the foreground (the
// injected Detach would fail) and writes a pid file, unlike ldirectord.
func TestSupervised(t *testing.T) {
	h := newHarness(t, "supervised=yes\nvirtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n")
	g := h.launch("start")
	h.waitFor("the supervised daemon", func() bool {
		code, out, _ := h.cli("status")
		return code == 0 && strings.Contains(out, fmt.Sprintf("with pid: %d\n", g.pid))
	})
}

// TestForeground: --foreground runs `start` in the foreground (the injected
// Detach would fail) with the configured logging, for systemd units.
func TestForeground(t *testing.T) {
	h := newHarness(t, "virtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n")
	g := h.launch("--foreground", "start")
	h.waitFor("the foreground daemon", func() bool {
		code, out, _ := h.cli("status")
		return code == 0 && strings.Contains(out, fmt.Sprintf("with pid: %d\n", g.pid))
	})
	if lc := logTarget(ldcf.Global{LogFile: "local0"}, false, "ldirectord"); lc.Target != "local0" || lc.Level != nil {
		t.Errorf("--foreground log target = %+v, want the configured facility at the default level", lc)
	}
}

// TestStartErrors: a kernel without IPVS fails start with exit 1, logs
// the error with ldirectord's exit line and leaves no pid file.
func TestStartErrors(t *testing.T) {
	t.Run("no IPVS", func(t *testing.T) {
		h := newHarness(t, "virtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n")
		d := h.deps(os.Getpid(), make(chan os.Signal))
		d.OpenKernel = func() (ipvs.Kernel, func() error, error) {
			return nil, nil, fmt.Errorf("open ipvs: %w", ipvs.ErrNoIPVS)
		}
		var out, errb syncBuffer
		code := run([]string{"--rundir", h.rundir, "-d", "start"}, &out, &errb, d)
		if code != exitInit {
			t.Errorf("start = %d, want 1", code)
		}
		if !strings.Contains(h.logs.String(), ipvs.ErrNoIPVS.Error()) || !strings.Contains(h.logs.String(), "Exiting with exit_status 1: Initialisation Error") {
			t.Errorf("log lacks the no-IPVS error and exit line:\n%s", h.logs.String())
		}
		if _, err := os.Stat(filepath.Join(h.rundir, "ldirectord.ldirectord.pid")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pid file written without IPVS: %v", err)
		}
	})
}

// TestExecute: execute= instances are started after this one, get the
// status verb while it runs, are stopped before it, and on reload the
// kept ones are reloaded (started when the reload fails), the new ones
// started and the dropped ones stopped (ldirectord's ld_cmd_children and
// reread_config).
func TestExecute(t *testing.T) {
	h := newHarness(t, "execute=other.cf\nexecute=\"third.cf\"\n"+twoReals)
	for _, name := range []string{"other.cf", "third.cf", "fourth.cf"} {
		writeFile(t, filepath.Join(h.etc, name), "virtual=10.9.9.9:80\n\treal=10.0.0.1:80 gate\n\tchecktype=on\n")
	}
	h.checks.set("192.168.2.236:80", true)
	g := h.start()
	self := "/usr/sbin/ldirectord --rundir " + h.rundir
	h.waitFor("the children started", func() bool { return slices.Contains(h.instanceCallsPeek(), self+" third.cf start") })
	var starts []string // h.start polls status, which asks the children too
	for _, c := range h.instanceCalls() {
		if !strings.HasSuffix(c, " status") {
			starts = append(starts, c)
		}
	}
	if diff := cmp.Diff([]string{self + " other.cf start", self + " third.cf start"}, starts); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	code, out, _ := h.cli("status")
	if code != 0 || !strings.Contains(out, "child status of other.cf\nchild status of third.cf\n") {
		t.Errorf("status = %d, stdout %q: want the children's status after ours", code, out)
	}
	if diff := cmp.Diff([]string{self + " other.cf status", self + " third.cf status"}, h.instanceCalls()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	h.mu.Lock()
	h.failVerb = "reload" // third.cf is not running: its reload fails, so it is started
	h.mu.Unlock()
	writeFile(t, h.cfg, "execute=third.cf\nexecute=fourth.cf\n"+twoReals)
	if code, _, errOut := h.cli("reload"); code != 0 {
		t.Fatalf("reload = %d (%s)", code, errOut)
	}
	h.waitFor("the children reloaded", func() bool { return len(h.instanceCallsPeek()) == 4 })
	if diff := cmp.Diff([]string{self + " other.cf stop", self + " third.cf reload", self + " third.cf start", self + " fourth.cf start"}, h.instanceCalls()); diff != "" {
		t.Errorf("reload (-want +got):\n%s", diff)
	}
	if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-g.done
	if diff := cmp.Diff([]string{self + " third.cf stop", self + " fourth.cf stop"}, h.instanceCalls()); diff != "" {
		t.Errorf("stop (-want +got):\n%s", diff)
	}
}

// TestExecuteChecked: execute= naming this configuration is refused with
// file:line (it would start itself for ever); one that does not exist is
// a warning.
func TestExecuteChecked(t *testing.T) {
	h := newHarness(t, "execute=ldirectord.cf\n"+twoReals)
	code, _, errOut := h.cli("check")
	if want := h.cfg + ":1: execute: ldirectord.cf is this configuration itself"; code != exitConfig || !strings.Contains(errOut, want) {
		t.Errorf("check = %d, stderr %q; want %d and %q", code, errOut, exitConfig, want)
	}
	writeFile(t, h.cfg, "execute=missing.cf\n"+twoReals)
	code, _, errOut = h.cli("check")
	if want := h.cfg + ":1: warning: execute: configuration missing.cf not found; its instance will not start\n"; code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("check = %d, stderr %q; want 0 and %q", code, errOut, want)
	}
}
