package daemon

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// startSleep starts `sleep 600` and returns it; cleanup kills and reaps it.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sleep: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatalf("running true: %v", err)
	}
	return cmd.Process.Pid
}

func TestPidFileCheck(t *testing.T) {
	self := os.Getpid()
	dead := deadPid(t)
	live := startSleep(t).Process.Pid
	tests := []struct {
		name    string
		content *string // nil: no file
		program string
		wantPid int
		want    PidState
	}{
		{name: "absent", content: nil, program: "daemon.test", want: PidAbsent},
		{name: "running", content: ptr(strconv.Itoa(live) + "\n"), program: "sleep", wantPid: live, want: PidRunning},
		{name: "no trailing newline", content: ptr(strconv.Itoa(live)), program: "sleep", wantPid: live, want: PidRunning},
		{name: "pid reused by other program", content: ptr(strconv.Itoa(live) + "\n"), program: "ldirectord", wantPid: live, want: PidStale},
		// A predecessor with our pid (pid namespaces, reboots): not running.
		{name: "our own pid", content: ptr(strconv.Itoa(self) + "\n"), program: "daemon.test", wantPid: self, want: PidStale},
		{name: "pid 1 is not ours", content: ptr("1\n"), program: "ldirectord", wantPid: 1, want: PidStale},
		{name: "dead pid", content: ptr(strconv.Itoa(dead) + "\n"), program: "daemon.test", wantPid: dead, want: PidStale},
		{name: "garbage", content: ptr("hello\n"), program: "daemon.test", want: PidStale},
		{name: "empty", content: ptr(""), program: "daemon.test", want: PidStale},
		{name: "negative", content: ptr("-5\n"), program: "daemon.test", want: PidStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PidFile{Path: filepath.Join(t.TempDir(), "x.pid"), Program: tt.program}
			if tt.content != nil {
				if err := os.WriteFile(p.Path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pid, state, err := p.Check()
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if pid != tt.wantPid || state != tt.want {
				t.Errorf("Check = %d, %v; want %d, %v", pid, state, tt.wantPid, tt.want)
			}
		})
	}
}

func TestPidFileReadErrors(t *testing.T) {
	p := PidFile{Path: filepath.Join(t.TempDir(), "x.pid")}
	if _, err := p.Read(); !errors.Is(err, ErrNoPidFile) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) = %v; want ErrNoPidFile wrapping ErrNotExist", err)
	}
	os.WriteFile(p.Path, []byte("12x\n"), 0o644)
	_, err := p.Read()
	if err == nil || err.Error() != "reading pid file "+p.Path+`: bad pid "12x" (want a positive number)` {
		t.Errorf("Read(garbage) = %v", err)
	}
}

func TestPidFileWrite(t *testing.T) {
	self := os.Getpid()
	dead := deadPid(t)
	tests := []struct {
		name    string
		old     string // "" = no file
		wantErr error
		want    string
	}{
		{name: "fresh", want: strconv.Itoa(self) + "\n"},
		{name: "replaces stale dead pid", old: strconv.Itoa(dead) + "\n", want: strconv.Itoa(self) + "\n"},
		{name: "replaces pid of other program", old: "1\n", want: strconv.Itoa(self) + "\n"},
		{name: "replaces garbage", old: "junk", want: strconv.Itoa(self) + "\n"},
		{name: "rewrites own pid", old: strconv.Itoa(self) + "\n", want: strconv.Itoa(self) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := PidFile{Path: filepath.Join(dir, "x.pid"), Program: "daemon.test"}
			if tt.old != "" {
				os.WriteFile(p.Path, []byte(tt.old), 0o644)
			}
			if err := p.Write(self); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, _ := os.ReadFile(p.Path)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
			fi, _ := os.Stat(p.Path)
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("mode = %v; want 0644", fi.Mode().Perm())
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("dir has %d entries; want only the pid file (temp file left behind?)", len(ents))
			}
		})
	}
}

func TestPidFileWriteRefusesLive(t *testing.T) {
	other := startSleep(t)
	p := PidFile{Path: filepath.Join(t.TempDir(), "x.pid"), Program: "sleep"}
	os.WriteFile(p.Path, []byte(strconv.Itoa(other.Process.Pid)+"\n"), 0o644)
	err := p.Write(os.Getpid())
	if !errors.Is(err, ErrRunning) {
		t.Fatalf("Write over live instance = %v; want ErrRunning", err)
	}
	if got, _ := p.Read(); got != other.Process.Pid {
		t.Errorf("pid file now %d; want untouched %d", got, other.Process.Pid)
	}
}

// TestPidFileWriteRace starts several live "instances" that all try to claim
// the same pid file at once: exactly one may win.
func TestPidFileWriteRace(t *testing.T) {
	const n = 8
	p := PidFile{Path: filepath.Join(t.TempDir(), "x.pid"), Program: "sleep"}
	pids := make([]int, n)
	for i := range pids {
		pids[i] = startSleep(t).Process.Pid
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = p.Write(pids[i]) })
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if got, _ := p.Read(); got != pids[i] {
				t.Errorf("winner %d but file holds %d", pids[i], got)
			}
		case !errors.Is(err, ErrRunning):
			t.Errorf("Write(%d) = %v; want nil or ErrRunning", pids[i], err)
		}
	}
	if winners != 1 {
		t.Errorf("%d writers won; want exactly 1", winners)
	}
}

func TestPidFileRemove(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		pid      int
		wantKept bool
	}{
		{name: "own pid", content: "100\n", pid: 100},
		{name: "other pid is kept", content: "200\n", pid: 100, wantKept: true},
		{name: "garbage is removed", content: "x", pid: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PidFile{Path: filepath.Join(t.TempDir(), "x.pid")}
			os.WriteFile(p.Path, []byte(tt.content), 0o644)
			if err := p.Remove(tt.pid); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			_, err := os.Stat(p.Path)
			if kept := err == nil; kept != tt.wantKept {
				t.Errorf("file kept = %v; want %v", kept, tt.wantKept)
			}
		})
	}
	p := PidFile{Path: filepath.Join(t.TempDir(), "missing.pid")}
	if err := p.Remove(1); err != nil {
		t.Errorf("Remove(missing) = %v; want nil", err)
	}
}

func TestIsRunning(t *testing.T) {
	sl := startSleep(t)
	zombie := exec.Command("sleep", "600")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zombie.Wait() })
	zombie.Process.Kill()
	// Not reaped yet: wait until the kernel has made it a zombie (bounded).
	if err := WaitExit(context.Background(), zombie.Process.Pid, 10*time.Second); err != nil {
		t.Fatalf("WaitExit(zombie): %v", err)
	}
	tests := []struct {
		name    string
		pid     int
		program string
		want    bool
	}{
		{name: "sleep is sleep", pid: sl.Process.Pid, program: "sleep", want: true},
		{name: "sleep is not ldirectord", pid: sl.Process.Pid, program: "ldirectord", want: false},
		{name: "empty program matches", pid: sl.Process.Pid, program: "", want: true},
		{name: "zombie is not running", pid: zombie.Process.Pid, program: "sleep", want: false},
		{name: "dead pid", pid: deadPid(t), program: "", want: false},
		{name: "zero", pid: 0, program: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRunning(tt.pid, tt.program); got != tt.want {
				t.Errorf("IsRunning(%d, %q) = %v; want %v", tt.pid, tt.program, got, tt.want)
			}
		})
	}
}

func TestWaitExit(t *testing.T) {
	sl := startSleep(t)
	pid := sl.Process.Pid
	err := WaitExit(context.Background(), pid, 20*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitExit(live, short bound) = %v; want DeadlineExceeded", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WaitExit(ctx, pid, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitExit(cancelled) = %v; want Canceled", err)
	}
	go func() { syscall.Kill(pid, syscall.SIGTERM) }()
	if err := WaitExit(context.Background(), pid, 30*time.Second); err != nil {
		t.Fatalf("WaitExit after SIGTERM: %v", err)
	}
}

func TestPidStateString(t *testing.T) {
	got := []string{PidAbsent.String(), PidStale.String(), PidRunning.String(), PidState(9).String()}
	want := []string{"absent", "stale", "running", "PidState(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
