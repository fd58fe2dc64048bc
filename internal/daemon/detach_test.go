package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// detachEnv is the marker variable of the helper daemon.
const detachEnv = "DAEMON_TEST_DETACHED"

// TestMain turns this test binary into the helper daemon when it is
// re-executed by Detach with the arguments "detach-helper <mode> <dir>",
// or into the realtime helper (realtime_test.go) with "realtime-helper".
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "detach-helper" {
		os.Exit(detachHelper(os.Args[2], os.Args[3]))
	}
	if len(os.Args) == 2 && os.Args[1] == "realtime-helper" {
		os.Exit(realtimeHelper())
	}
	os.Exit(m.Run())
}

// childFacts is what the helper daemon observed about itself.
type childFacts struct {
	Pid, Sid, Ppid int
	Stdin, Stdout  string // readlink of fd 0 and 1
	MarkerSet      bool   // marker still in own environment
	PipeCloexec    bool   // fd 3 has FD_CLOEXEC
}

func detachHelper(mode, dir string) int {
	d, err := Detach(context.Background(), DetachConfig{Env: detachEnv})
	if err != nil || !d.IsChild() {
		fmt.Fprintln(os.Stderr, "helper: not a child:", err)
		return 99
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	switch mode {
	case "ready", "output":
		if mode == "output" {
			fmt.Println("to stdout")
			fmt.Fprintln(os.Stderr, "to stderr")
		}
		sid, _, _ := syscall.RawSyscall(syscall.SYS_GETSID, 0, 0, 0)
		stdin, _ := os.Readlink("/proc/self/fd/0")
		stdout, _ := os.Readlink("/proc/self/fd/1")
		flags, _, _ := syscall.RawSyscall(syscall.SYS_FCNTL, 3, syscall.F_GETFD, 0)
		_, marker := os.LookupEnv(detachEnv)
		b, _ := json.Marshal(childFacts{Pid: os.Getpid(), Sid: int(sid), Ppid: os.Getppid(),
			Stdin: stdin, Stdout: stdout, MarkerSet: marker, PipeCloexec: flags&syscall.FD_CLOEXEC != 0})
		os.WriteFile(filepath.Join(dir, "facts.json"), b, 0o644)
		if err := d.NotifyReady(nil); err != nil {
			return 98
		}
	case "fail":
		d.NotifyReady(errors.New("cannot bind 10.0.0.1:80: address already in use"))
		return 6
	case "exit":
		return 3
	case "hang":
	}
	select {
	case <-term:
		return 0
	case <-time.After(5 * time.Minute): // bound: never outlive a broken test
		return 97
	}
}

// detachForTest runs Detach as the parent and registers the child's cleanup.
func detachForTest(t *testing.T, mode string, cfg DetachConfig) (string, *Detached, error) {
	t.Helper()
	dir := t.TempDir()
	cfg.Env = detachEnv
	cfg.Args = []string{"detach-helper", mode, dir}
	d, err := Detach(context.Background(), cfg)
	pid := 0
	var se *StartError
	switch {
	case err == nil:
		pid = d.Pid()
	case errors.As(err, &se):
		pid = se.Pid
	}
	if pid > 0 {
		t.Cleanup(func() {
			syscall.Kill(pid, syscall.SIGKILL)
			WaitExit(context.Background(), pid, time.Minute)
		})
	}
	return dir, d, err
}

func TestDetachReady(t *testing.T) {
	dir, d, err := detachForTest(t, "ready", DetachConfig{})
	if err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if d.IsChild() {
		t.Fatal("parent thinks it is the child")
	}
	b, err := os.ReadFile(filepath.Join(dir, "facts.json"))
	if err != nil {
		t.Fatalf("child wrote no facts: %v", err)
	}
	var got childFacts
	json.Unmarshal(b, &got)
	want := childFacts{Pid: d.Pid(), Sid: d.Pid(), Ppid: os.Getpid(), Stdin: os.DevNull, Stdout: os.DevNull, PipeCloexec: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child facts (-want +got):\n%s", diff)
	}
	if !IsRunning(d.Pid(), "daemon.test") {
		t.Errorf("child %d is not running with the program name in its cmdline", d.Pid())
	}
	if _, ok := os.LookupEnv(detachEnv); ok {
		t.Error("marker leaked into the parent's environment")
	}
	syscall.Kill(d.Pid(), syscall.SIGTERM)
	if err := WaitExit(context.Background(), d.Pid(), time.Minute); err != nil {
		t.Errorf("child did not stop on SIGTERM: %v", err)
	}
}

func TestDetachOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.log")
	os.WriteFile(out, []byte("old line\n"), 0o644)
	if _, _, err := detachForTest(t, "output", DetachConfig{Output: out}); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	b, _ := os.ReadFile(out)
	if diff := cmp.Diff("old line\nto stdout\nto stderr\n", string(b)); diff != "" {
		t.Errorf("output file (-want +got):\n%s", diff)
	}
}

func TestDetachFailures(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		timeout  time.Duration
		wantExit int
		wantText string // prefix; %d is the child's pid
	}{
		{name: "child reports error", mode: "fail", wantExit: 6, wantText: "cannot bind 10.0.0.1:80: address already in use"},
		{name: "child exits silently", mode: "exit", wantExit: 3, wantText: "daemon [pid %d] exited before it was ready: exit status 3"},
		{name: "child never reports", mode: "hang", timeout: 300 * time.Millisecond, wantExit: 1, wantText: "daemon [pid %d] not ready: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d, err := detachForTest(t, tt.mode, DetachConfig{Timeout: tt.timeout})
			var se *StartError
			if d != nil || !errors.As(err, &se) {
				t.Fatalf("Detach = %v, %v; want a *StartError", d, err)
			}
			want := tt.wantText
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, se.Pid)
			}
			if diff := cmp.Diff(StartError{Pid: se.Pid, Exit: tt.wantExit, Text: want}, *se); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Whatever happened, the child must be gone (the hung one got SIGTERM).
			if err := WaitExit(context.Background(), se.Pid, time.Minute); err != nil {
				t.Errorf("child still running: %v", err)
			}
		})
	}
}

func TestDetachNoMarker(t *testing.T) {
	if _, err := Detach(context.Background(), DetachConfig{}); err == nil {
		t.Error("Detach without Env: nil error")
	}
}

func TestDetachedForeground(t *testing.T) {
	c := notifySocket(t)
	var d *Detached // a foreground daemon never detached
	if d.IsChild() || d.Pid() != os.Getpid() {
		t.Errorf("nil Detached: IsChild %v, Pid %d", d.IsChild(), d.Pid())
	}
	if err := d.NotifyReady(nil); err != nil {
		t.Fatalf("NotifyReady: %v", err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("systemd got %q; want READY=1", got)
	}
}
