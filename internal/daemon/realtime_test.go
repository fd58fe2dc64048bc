package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// rtFacts is what the realtime helper observed about itself.
type rtFacts struct {
	SetErr, LockErr string
	// Threads maps each thread's policy/priority, e.g. "2/1" (SCHED_RR 1),
	// to how many threads have it, counted after the helper created more
	// threads than it had when SetRealtime ran.
	Threads        map[string]int
	ThreadsBefore  int
	ThreadsAfter   int
	NormalChild    string // policy/priority of a child started by StartNormal
	InheritedChild string // of a child started by plain exec.Cmd.Start (the control)
	VmLckKB        int    // /proc/self/status VmLck after LockMemory
	StartErr       string
}

// realtimeHelper runs in a re-executed test binary (TestMain): it makes
// itself realtime, grows its thread count, starts two children, and prints
// rtFacts as JSON. The test process itself is never made realtime.
func realtimeHelper() int {
	var f rtFacts
	before, _ := listThreads()
	f.ThreadsBefore = len(before)
	if err := SetRealtime(RealtimePriority(0)); err != nil {
		f.SetErr = err.Error()
	}
	if err := LockMemory(); err != nil {
		f.LockErr = err.Error()
	}
	// New runtime threads: goroutines locked to threads, blocked in a
	// syscall so each keeps its own.
	release := make(chan struct{})
	var wg, ready sync.WaitGroup
	for range 8 {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	normal := exec.Command("sleep", "30")
	if err := StartNormal(normal); err != nil {
		f.StartErr = err.Error()
	} else {
		f.NormalChild = policyOf(normal.Process.Pid)
		normal.Process.Kill()
		normal.Wait()
	}
	inherited := exec.Command("sleep", "30")
	if err := inherited.Start(); err != nil {
		f.StartErr += err.Error()
	} else {
		f.InheritedChild = policyOf(inherited.Process.Pid)
		inherited.Process.Kill()
		inherited.Wait()
	}
	tids, _ := listThreads()
	f.ThreadsAfter = len(tids)
	f.Threads = map[string]int{}
	for _, tid := range tids {
		f.Threads[policyOf(tid)]++
	}
	close(release)
	wg.Wait()
	f.VmLckKB = statusKB("VmLck")
	b, _ := json.Marshal(f)
	fmt.Println(string(b))
	return 0
}

func policyOf(tid int) string {
	a, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d/%d", a.Policy, a.Priority)
}

func statusKB(field string) int {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}

// TestRealtime: SetRealtime puts every thread, also those created later,
// in SCHED_RR at Heartbeat's default priority 1; LockMemory locks pages;
// a child started by StartNormal runs SCHED_OTHER while one started
// plainly from the same process inherits SCHED_RR (so the check can fail).
func TestRealtime(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_SYS_NICE, CAP_IPC_LOCK)")
	}
	cmd := exec.Command(os.Args[0], "realtime-helper")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("helper did not finish in 30 s; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, stderr.String())
	}
	var f rtFacts
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	rr := fmt.Sprintf("%d/1", unix.SCHED_RR)
	want := rtFacts{
		Threads:        map[string]int{rr: f.ThreadsAfter},
		ThreadsBefore:  f.ThreadsBefore,
		ThreadsAfter:   f.ThreadsAfter,
		NormalChild:    fmt.Sprintf("%d/0", unix.SCHED_NORMAL),
		InheritedChild: rr,
		VmLckKB:        f.VmLckKB,
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("helper facts (-want +got):\n%s", diff)
	}
	if f.ThreadsAfter < f.ThreadsBefore+4 {
		t.Errorf("threads: %d before SetRealtime, %d after; want at least 4 created later", f.ThreadsBefore, f.ThreadsAfter)
	}
	if f.VmLckKB <= 0 {
		t.Errorf("VmLck %d kB after LockMemory, want > 0", f.VmLckKB)
	}
}
