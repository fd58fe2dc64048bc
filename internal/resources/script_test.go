package resources_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

func TestJudgeStatus(t *testing.T) {
	tests := []struct {
		out  string
		want resources.Status
	}{
		{"running", resources.StatusRunning},
		{"ldirectord for /etc/ha.d/ldirectord.cf is running with pid: 1234\n", resources.StatusRunning},
		{"INFO: Running OK\n", resources.StatusRunning},
		{"OK", resources.StatusRunning},
		{"running (Primary)\n", resources.StatusRunning},
		{"httpd is not running\n", resources.StatusStopped},
		{"NOT Running", resources.StatusStopped},
		{"Not currently running", resources.StatusStopped},
		{"INFO: Resource is stopped\n", resources.StatusStopped},
		{"ldirectord is stopped for /etc/ha.d/ldirectord.cf\n", resources.StatusStopped},
		{"", resources.StatusStopped},
		{"RUNNING", resources.StatusStopped}, // the pattern is [Rr]unning
		{"ok", resources.StatusStopped},      // *OK* is case-sensitive
		{"nothing running? OK", resources.StatusRunning},
		{"cannot\nrunning", resources.StatusRunning}, // "not" needs a blank after it
	}
	for _, tc := range tests {
		t.Run(strconv.Quote(tc.out), func(t *testing.T) {
			if got := resources.JudgeStatus(tc.out); got != tc.want {
				t.Errorf("JudgeStatus(%q) = %v, want %v", tc.out, got, tc.want)
			}
		})
	}
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// recorder is a script body that appends its arguments to calls and then
// behaves per the environment of the test: STATUS_OUT is printed on status,
// RC is the exit code.
const recorder = `echo "$*" >> "$CALLS"
for last; do :; done
case $last in
status) printf '%s' "$STATUS_OUT";;
esac
exit ${RC:-0}
`

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	conf, initd, bin := filepath.Join(dir, "ha.d"), filepath.Join(dir, "init.d"), filepath.Join(dir, "sbin")
	writeScript(t, filepath.Join(conf, "resource.d", "both"), "")
	writeScript(t, filepath.Join(initd, "both"), "")
	writeScript(t, filepath.Join(initd, "onlyinit"), "")
	writeScript(t, filepath.Join(conf, "resource.d", "ldirectord"), "")
	writeScript(t, filepath.Join(bin, "ldirectord"), "")
	if err := os.WriteFile(filepath.Join(conf, "resource.d", "noexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(initd, "noexec"), "")
	if err := os.MkdirAll(filepath.Join(conf, "resource.d", "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := resources.Env{ConfDir: conf, InitDir: initd, Ldirectord: filepath.Join(bin, "ldirectord"), Addrs: host(&restest.Log{})}
	noLd := env
	noLd.Ldirectord = ""
	tests := []struct {
		name     string
		env      resources.Env
		resource string
		want     string // agent kind and path
		wantErr  error
	}{
		{"IPaddr is built in", env, "IPaddr::10.1.1.10/24/eth0", "ip", nil},
		{"bare IP is built in", env, "10.1.1.10", "ip", nil},
		{"IPaddr2 is built in", env, "IPaddr2::10.1.1.10", "ip", nil},
		{"ldirectord uses the binary", env, "ldirectord::ldirectord.cf", "built-in " + filepath.Join(bin, "ldirectord"), nil},
		{"ldirectord without binary is a script", noLd, "ldirectord::ldirectord.cf", filepath.Join(conf, "resource.d", "ldirectord"), nil},
		{"resource.d before init.d", env, "both", filepath.Join(conf, "resource.d", "both"), nil},
		{"init.d fallback", env, "onlyinit::x", filepath.Join(initd, "onlyinit"), nil},
		{"non-executable skipped", env, "noexec", filepath.Join(initd, "noexec"), nil},
		{"directory is not a script", env, "adir", "", resources.ErrNoScript},
		{"missing", env, "nosuch", "", resources.ErrNoScript},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := resources.Resolve(group(t, "n1 "+tc.resource).Resources[0], tc.env)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Resolve error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := "?"
			switch a := a.(type) {
			case *resources.IPAgent:
				got = "ip"
			case *resources.Ldirectord:
				got = "built-in " + a.Path()
			case *resources.Script:
				got = a.Path()
			}
			if got != tc.want {
				t.Errorf("agent = %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := resources.Resolve(group(t, "n1 10.1.1.10").Resources[0], resources.Env{}); err == nil {
		t.Error("Resolve of IPaddr without Addrs succeeded")
	}
}

func TestScriptCallingConvention(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	writeScript(t, filepath.Join(dir, "resource.d", "Filesystem"), recorder)
	env := resources.Env{ConfDir: dir, ScriptEnv: []string{"CALLS=" + calls}, Logger: newLogger(&logBuf{})}
	a, err := resources.Resolve(group(t, "n1 Filesystem::/dev/sda1::/data::ext3").Resources[0], env)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	want := "/dev/sda1 /data ext3 start\n/dev/sda1 /data ext3 status\n/dev/sda1 /data ext3 stop\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestScriptExitCodesAndStatus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc")
	writeScript(t, path, recorder)
	tests := []struct {
		name       string
		rc         int
		statusOut  string
		wantErr    string // of start and stop
		wantStatus resources.Status
	}{
		{"success, running", 0, "svc is running\n", "", resources.StatusRunning},
		{"exit 1 fails start and stop; status text still wins", 1, "running", "Return code 1 from " + path, resources.StatusRunning},
		{"exit 0 but not running", 0, "svc is not running", "", resources.StatusStopped},
		{"LSB 3 stopped", 3, "svc is stopped", "Return code 3 from " + path, resources.StatusStopped},
		{"OCF wrapper monitor text", 7, "INFO: Running OK", "Return code 7 from " + path, resources.StatusRunning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lb logBuf
			s := resources.NewScript(resources.ScriptConfig{
				Path: path, Args: []string{"arg"}, Logger: newLogger(&lb),
				Env: []string{"CALLS=" + filepath.Join(t.TempDir(), "calls"), "RC=" + strconv.Itoa(tc.rc), "STATUS_OUT=" + tc.statusOut},
			})
			for _, op := range []func(context.Context) error{s.Start, s.Stop} {
				err := op(t.Context())
				got := ""
				if err != nil {
					got = err.Error()
					var ee *resources.ExitError
					if !errors.As(err, &ee) || ee.Code != tc.rc {
						t.Errorf("error %v is not an ExitError with code %d", err, tc.rc)
					}
				}
				if got != tc.wantErr {
					t.Errorf("error = %q, want %q", got, tc.wantErr)
				}
			}
			st, err := s.Status(t.Context())
			if err != nil || st != tc.wantStatus {
				t.Errorf("Status = %v, %v; want %v", st, err, tc.wantStatus)
			}
			if want := `msg="Running ` + path + ` arg start"`; !strings.Contains(lb.String(), want) {
				t.Errorf("log lacks %s:\n%s", want, lb.String())
			}
		})
	}
}

func TestScriptOutputLogged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatty")
	writeScript(t, path, "echo to-stdout; echo to-stderr >&2\n")
	var lb logBuf
	s := resources.NewScript(resources.ScriptConfig{Path: path, Logger: newLogger(&lb)})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][2]string{{"msg=to-stdout", "action=start stream=stdout"}, {"msg=to-stderr", "action=start stream=stderr"}} {
		found := false
		for line := range strings.Lines(lb.String()) {
			found = found || (strings.Contains(line, "level=DEBUG "+want[0]) && strings.Contains(line, want[1]))
		}
		if !found {
			t.Errorf("log lacks a debug line with %q and %q:\n%s", want[0], want[1], lb.String())
		}
	}
}

func TestScriptTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	path, pidFile := filepath.Join(dir, "hang"), filepath.Join(dir, "pid")
	// The script starts a child, records its pid, then waits for it.
	writeScript(t, path, `sleep 300 & echo $! > "$PIDFILE"; wait`+"\n")
	s := resources.NewScript(resources.ScriptConfig{
		Path: path, Timeout: 300 * time.Millisecond, Env: []string{"PIDFILE=" + pidFile}, Logger: newLogger(&logBuf{}),
	})
	err := s.Stop(t.Context())
	if !errors.Is(err, resources.ErrScriptTimeout) {
		t.Fatalf("Stop = %v, want ErrScriptTimeout", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	// The child must be gone, or a zombie waiting for its new parent. A
	// SIGKILLed process can still be seen running while it exits, so
	// wait for that, bounded.
	state := procState(pid)
	for deadline := time.Now().Add(10 * time.Second); state != "" && state != "Z" && state != "X" && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		state = procState(pid)
	}
	if state != "" && state != "Z" && state != "X" {
		t.Errorf("child %s survived the timeout in state %s", pid, state)
	}
	// Status of a hanging script is an error, not "running".
	if st, err := s.Status(t.Context()); st != resources.StatusStopped || !errors.Is(err, resources.ErrScriptTimeout) {
		t.Errorf("Status = %v, %v; want stopped with ErrScriptTimeout", st, err)
	}
}

func TestScriptCallerCancel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hang")
	writeScript(t, path, "exec sleep 300\n")
	s := resources.NewScript(resources.ScriptConfig{Path: path, Logger: newLogger(&logBuf{})})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Start(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, resources.ErrScriptTimeout) {
		t.Errorf("Start with cancelled context = %v, want context.Canceled", err)
	}
}

func TestScriptMissingBinary(t *testing.T) {
	s := resources.NewScript(resources.ScriptConfig{Path: filepath.Join(t.TempDir(), "gone"), Logger: newLogger(&logBuf{})})
	if _, err := s.Status(t.Context()); err == nil {
		t.Error("Status of a missing script succeeded")
	}
	var ee *resources.ExitError
	if err := s.Start(t.Context()); err == nil || errors.As(err, &ee) {
		t.Errorf("Start of a missing script = %v, want a non-exit error", err)
	}
}

// procState is the state letter of /proc/PID/stat, "" when there is none.
func procState(pid string) string {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// TestScriptEnvironment: a resource script (and ldirectord, run the same
// way) gets hbd's environment without what belongs to hbd's own
// supervision by systemd: with NOTIFY_SOCKET a script's "systemd-notify"
// or a Type=notify child would speak for hbd, and WATCHDOG_* / LISTEN_*
// name hbd's pid. Everything else, and Env, is passed on.
func TestScriptEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1",
		"LISTEN_FDS": "1", "LISTEN_PID": "1", "HBD_TEST_KEEP": "kept",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	writeScript(t, filepath.Join(dir, "resource.d", "Dump"), `env > "$1"`+"\n")
	tests := []struct {
		name string
		res  string
	}{
		{"resource.d script", "n1 Dump::" + out},
		{"ldirectord", "n1 ldirectord::" + out},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := resources.Env{ConfDir: dir, Ldirectord: filepath.Join(dir, "resource.d", "Dump"),
				ScriptEnv: []string{"HA_LOGFACILITY=local0"}, Logger: newLogger(&logBuf{})}
			a, err := resources.Resolve(group(t, tc.res).Resources[0], env)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, kv := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				k, _, _ := strings.Cut(kv, "=")
				got[k] = true
			}
			want := map[string]bool{"NOTIFY_SOCKET": false, "WATCHDOG_USEC": false, "WATCHDOG_PID": false,
				"LISTEN_FDS": false, "LISTEN_PID": false, "HBD_TEST_KEEP": true, "HA_LOGFACILITY": true, "PATH": true}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("script sees %s = %t, want %t", k, got[k], w)
				}
			}
		})
	}
}
