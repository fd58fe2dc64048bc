package respawn

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a log sink safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond every 20 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(string(b))
}

// TestRespawnProgram runs real programs through /bin/sh: one that exits
// at once is restarted after the fast-exit pause and stopped for good
// after MaxFast fast exits in a row; one that exits 100 is not restarted;
// one that keeps running (with a child of its own) is stopped on shutdown
// with its whole process group. As root, the programs run as nobody; the
// environment comes from Config.Env (ha.cf's env lines).
func TestRespawnProgram(t *testing.T) {
	// Not t.TempDir: its parent is mode 0700, closed to nobody.
	dir, err := os.MkdirTemp("", "respawn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	cred := Credential{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	if os.Getuid() == 0 {
		c, err := LookupUser("nobody")
		if err != nil {
			t.Fatal(err)
		}
		cred = c
	}
	flap := filepath.Join(dir, "flap")
	once := filepath.Join(dir, "once")
	long := filepath.Join(dir, "long")
	for _, f := range []string{flap, once, long} {
		os.WriteFile(f, nil, 0o666)
		os.Chmod(f, 0o666)
	}
	progs := []Program{
		{Line: 1, User: "u", Command: fmt.Sprintf(`/bin/sh -c 'echo "$(id -u):$HA_TEST" >> %s; exit 3'`, flap), Cred: cred},
		{Line: 2, User: "u", Command: fmt.Sprintf(`/bin/sh -c 'echo x >> %s; exit 100'`, once), Cred: cred},
		{Line: 3, User: "u", Command: fmt.Sprintf(`/bin/sh -c 'sleep 300 & echo $$ $! >> %s; wait'`, long), Cred: cred},
	}
	var logs syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, Config{Programs: progs, Env: []string{"PATH=/usr/bin:/bin", "HA_TEST=yes"}, FastDelay: 10 * time.Millisecond,
			StopTimeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()

	// 1 start + MaxFast restarts, then "respawning too fast".
	waitFor(t, "respawning too fast", func() bool { return strings.Contains(logs.String(), "respawning too fast") })
	got := lines(flap)
	if len(got) != MaxFast+1 {
		t.Errorf("flapping program ran %d times, want %d (1 start + %d restarts)", len(got), MaxFast+1, MaxFast)
	}
	want := fmt.Sprintf("%d:yes", cred.UID)
	for _, g := range got {
		if g != want {
			t.Fatalf("program wrote %q, want uid:HA_TEST %q", g, want)
		}
	}
	if n := strings.Count(logs.String(), "Respawning client"); n != MaxFast {
		t.Errorf("%d Respawning lines, want %d", n, MaxFast)
	}
	if !strings.Contains(logs.String(), "exited with return code 3.") {
		t.Errorf("exit not logged:\n%s", logs.String())
	}
	if n := len(lines(once)); n != 1 {
		t.Errorf("exit-100 program ran %d times, want 1", n)
	}

	waitFor(t, "long-running program", func() bool { return len(lines(long)) == 2 })
	pids := lines(long)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		// The shell's child is reparented when the shell dies and may take
		// a moment to act on its SIGTERM; a zombie counts as gone.
		waitFor(t, fmt.Sprintf("pid %d of the stopped program's group to exit", pid), func() bool {
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			return err != nil || strings.Contains(string(st), ") Z")
		})
	}
	if !strings.Contains(logs.String(), "with signal 15") {
		t.Errorf("stop not logged:\n%s", logs.String())
	}
}
