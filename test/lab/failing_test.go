//go:build lab

package lab

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// TestFailingParts is issue 17 §3 for hbd: a state directory that is full
// or read-only, a log file that cannot be opened or fills up, a missing or
// uncreatable run directory, and a crash between the write of the
// generation file and its rename. hbd either refuses to start with a clear
// message or keeps running; nothing is left half-written.
func TestFailingParts(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, l *Lab)
	}{
		{"state dir full", testStateDirFull},
		{"state dir read-only", testStateDirReadOnly},
		{"log file unwritable", testLogUnwritable},
		{"log file fills up", testLogFillsUp},
		{"run dir missing", testRunDirMissing},
		{"crash between write and rename", testGenerationCrash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, New(t)) })
	}
}

// mountTmpfs mounts a tmpfs of size bytes on dir (created if needed) and
// unmounts it in t.Cleanup.
func mountTmpfs(t testing.TB, dir string, size int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// remountRO makes the tmpfs on dir read-only.
func remountRO(t testing.TB, dir string) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}

// fill writes a file into dir until the file system is full.
func fill(t testing.TB, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}

// refuseBound is how long a refusing hbd may take to exit.
const refuseBound = 10 * time.Second

// wantRefusal runs "hbd run" on n in the foreground and wants it to exit
// non-zero within refuseBound, saying all of want.
func wantRefusal(t *testing.T, l *Lab, n *Node, want ...string) string {
	t.Helper()
	start := time.Now()
	out, err := n.HBD(ctxFor(t, l, refuseBound), t, "run")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() <= 0 {
		t.Fatalf("hbd run: %v, want a refusal (non-zero exit) within %v:\n%s", err, refuseBound, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("hbd's refusal does not say %q:\n%s", w, out)
		}
	}
	t.Logf("hbd refused to start after %s, exit %d: %s", ms(time.Since(start)), ee.ExitCode(), lastLine(out))
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func readGeneration(t testing.TB, n *Node) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.StateDir(), "hb_generation"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// leftovers lists the state dir's entries beyond want.
func leftovers(t testing.TB, n *Node, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(n.StateDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !slicesContains(want, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

const oldGeneration = "1700000000"

// testStateDirFull: the state dir is a full 16 KB tmpfs holding the
// generation file: hbd refuses to start naming the file and the error,
// and the stored generation is whole and unchanged.
func testStateDirFull(t *testing.T, l *Lab) {
	n1 := l.Nodes[0]
	n1.Configure(t, Fast, labSecret)
	mountTmpfs(t, n1.StateDir(), 16<<10)
	if err := os.WriteFile(filepath.Join(n1.StateDir(), "hb_generation"), []byte(oldGeneration+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fill(t, n1.StateDir())
	wantRefusal(t, l, n1, "storing generation", "no space left on device")
	if got := readGeneration(t, n1); got != oldGeneration {
		t.Errorf("hb_generation = %q after the refusal, want %q (whole, unchanged)", got, oldGeneration)
	}
	if left := leftovers(t, n1, "hb_generation", "filler"); len(left) > 0 {
		t.Errorf("the failed write left %v in the state dir", left)
	}
}

// testStateDirReadOnly: the state dir is a read-only file system.
func testStateDirReadOnly(t *testing.T, l *Lab) {
	n1 := l.Nodes[0]
	n1.Configure(t, Fast, labSecret)
	mountTmpfs(t, n1.StateDir(), 64<<10)
	if err := os.WriteFile(filepath.Join(n1.StateDir(), "hb_generation"), []byte(oldGeneration+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	remountRO(t, n1.StateDir())
	wantRefusal(t, l, n1, "storing generation", "read-only file system")
	if got := readGeneration(t, n1); got != oldGeneration {
		t.Errorf("hb_generation = %q after the refusal, want %q", got, oldGeneration)
	}
}

// testLogUnwritable: ha.cf's logfile is in a read-only directory.
func testLogUnwritable(t *testing.T, l *Lab) {
	n1 := l.Nodes[0]
	n1.Configure(t, Fast, labSecret)
	dir := filepath.Join(n1.Dir, "ro-logs")
	mountTmpfs(t, dir, 64<<10)
	remountRO(t, dir)
	setHaCf(t, n1, "logfile", filepath.Join(dir, "ha-log"))
	out := wantRefusal(t, l, n1, filepath.Join(dir, "ha-log"), "read-only file system")
	if strings.Contains(out, "panic") {
		t.Errorf("hbd panicked:\n%s", out)
	}
}

// setHaCf replaces the value of directive in n's ha.cf.
func setHaCf(t testing.TB, n *Node, directive, value string) {
	t.Helper()
	path := filepath.Join(n.ConfDir(), "ha.cf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == directive {
			line = directive + " " + value
		}
		lines = append(lines, line)
	}
	if err := netlab.WriteFile(path, strings.Join(lines, "\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testLogFillsUp: both nodes log to files on one 64 KB tmpfs that is then
// filled: hbd keeps running (no exit, status answers) and node2 still takes
// the VIP when node1 is killed.
func testLogFillsUp(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	dir := filepath.Join(n1.Dir, "small-logs")
	mountTmpfs(t, dir, 64<<10)
	for _, n := range l.Nodes {
		n.Configure(t, Fast, labSecret)
		setHaCf(t, n, "logfile", filepath.Join(dir, n.Name+"-ha-log"))
		setHaCf(t, n, "debugfile", filepath.Join(dir, n.Name+"-ha-debug"))
	}
	n1.Start(t)
	waitAddr(t, l, 0, startBound, "node1 alone takes the VIP", vipEvent(n1.Name, true))
	n2.Start(t)
	joined(t, l, joinBound)
	fill(t, dir)
	mark := l.Addrs.Len()
	// Something to log on a full disk: node2's link to node1 goes down.
	l.Cut(t, n2, HBLink)
	observe(t, l, 2*Fast.Deadtime)
	l.Heal(t, n2, HBLink)
	observe(t, l, time.Second)
	for _, n := range l.Nodes {
		if !n.Running() {
			t.Fatalf("%s: hbd exited with its log file system full", n.Name)
		}
		waitStatus(t, n, 5*time.Second, "status with a full log file system", func(status) bool { return true })
	}
	kill := n1.Kill9(t)
	e, _ := waitAddr(t, l, mark, Fast.Deadtime+5*time.Second, "VIP on node2, logs full", vipEvent(n2.Name, true))
	t.Logf("log file system full: hbd kept running; kill -9 node1 -> VIP on node2 %s", ms(e.At.Sub(kill)))
	if e.At.Sub(kill) > Fast.Deadtime+slack {
		t.Errorf("failover with full logs took %s, want <= %v", ms(e.At.Sub(kill)), Fast.Deadtime+slack)
	}
}

// testRunDirMissing: a missing run dir (pid file, control socket) is
// created; one that cannot be created (its parent is read-only) is a
// refusal naming it.
func testRunDirMissing(t *testing.T, l *Lab) {
	n1 := l.Nodes[0]
	n1.Configure(t, Fast, labSecret)
	if err := os.RemoveAll(n1.RunDir()); err != nil {
		t.Fatal(err)
	}
	n1.Start(t)
	waitAddr(t, l, 0, startBound, "node1 takes the VIP with its run dir created", vipEvent(n1.Name, true))
	if _, err := os.Stat(filepath.Join(n1.RunDir())); err != nil {
		t.Errorf("run dir not created: %v", err)
	}
	waitStatus(t, n1, 5*time.Second, "status over the control socket", func(status) bool { return true })
	n1.Stop(t)

	// The run dir's parent read-only: it cannot be created.
	parent := filepath.Join(n1.Dir, "ro-run")
	mountTmpfs(t, parent, 64<<10)
	remountRO(t, parent)
	n2 := l.Nodes[1]
	n2.Configure(t, Fast, labSecret)
	argv := []string{HBDPath(t), "--confdir", n2.ConfDir(), "--rundir", filepath.Join(parent, "hbd"), "--statedir", n2.StateDir(), "run"}
	start := time.Now()
	out, err := n2.run(ctxFor(t, l, refuseBound), argv...)
	if err == nil {
		t.Fatalf("hbd ran with an uncreatable run dir:\n%s", out)
	}
	for _, w := range []string{"creating run dir", "read-only file system"} {
		if !strings.Contains(out, w) {
			t.Errorf("hbd's refusal does not say %q:\n%s", w, out)
		}
	}
	t.Logf("uncreatable run dir: refused after %s: %s", ms(time.Since(start)), lastLine(out))
}

// testGenerationCrash kills a real hbd (SIGKILL, injected by strace at the
// syscall) between the write of the new generation to its temporary file
// and the rename over hb_generation. The stored generation is the old one,
// whole; the next start stores and announces a higher one and removes the
// leftover.
func testGenerationCrash(t *testing.T, l *Lab) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatalf("strace is needed to crash hbd at the rename (.ci/run installs it): %v", err)
	}
	n1 := l.Nodes[0]
	n1.Configure(t, Fast, labSecret)
	if err := os.WriteFile(filepath.Join(n1.StateDir(), "hb_generation"), []byte(oldGeneration+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// -P: only the syscalls that name hb_generation (the control socket
	// and the pid file are renamed into place too).
	argv := append([]string{strace, "-f", "-qq", "-o", "/dev/null", "-P", filepath.Join(n1.StateDir(), "hb_generation"),
		"-e", "trace=rename,renameat,renameat2",
		"-e", "inject=rename,renameat,renameat2:signal=SIGKILL:when=1", HBDPath(t)}, n1.dirFlags()...)
	out, err := n1.run(ctxFor(t, l, refuseBound), append(argv, "run")...)
	if err == nil {
		t.Fatalf("hbd under strace was not killed at its first rename:\n%s", out)
	}
	if got := readGeneration(t, n1); got != oldGeneration {
		t.Fatalf("hb_generation = %q after the crash, want the old %q whole", got, oldGeneration)
	}
	left := leftovers(t, n1, "hb_generation")
	if len(left) != 1 || !strings.HasPrefix(left[0], ".hb_generation.") {
		t.Fatalf("after the crash the state dir holds %v beside hb_generation, want the one temporary file", left)
	}
	tmp, _ := os.ReadFile(filepath.Join(n1.StateDir(), left[0]))
	t.Logf("crash at the rename: hb_generation still %s, temporary %s holds %q", oldGeneration, left[0], strings.TrimSpace(string(tmp)))
	n1.Start(t)
	n1.WaitLog(ctxFor(t, l, startBound), t, "Heartbeat generation: ", 0)
	gen, err := strconv.ParseUint(readGeneration(t, n1), 10, 64)
	old, _ := strconv.ParseUint(oldGeneration, 10, 64)
	if err != nil || gen <= old {
		t.Errorf("generation after the restart %d (%v), want above %d", gen, err, old)
	}
	if !strings.Contains(n1.Logs(), "Heartbeat generation: "+strconv.FormatUint(gen, 10)) {
		t.Errorf("hbd did not announce the stored generation %d", gen)
	}
	if left := leftovers(t, n1, "hb_generation", "hb_uuid"); len(left) > 0 {
		t.Errorf("the restart left %v in the state dir", left)
	}
	waitAddr(t, l, 0, startBound, "node1 takes the VIP after the crash", vipEvent(n1.Name, true))
}
