//go:build bench

package failover

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
)

// runLoad starts a pair of impl at p, lets it form, then keeps every CPU
// busy with busy loops for window and counts what should not happen:
// a VIP on node2, "Late heartbeat", dead declarations.
func runLoad(t *testing.T, impl interop.Impl, p Profile, window time.Duration, busy int) LoadRun {
	t.Helper()
	run := LoadRun{Impl: impl.String(), Profile: p, WindowS: window.Seconds(), Busy: busy}
	l, w := newLab(t, impl, p)
	from := l.Addrs.Len()
	l.Nodes[0].Start(t)
	if err := waitFormed(t, l, from, p, func() { l.Nodes[1].Start(t) }); err != nil {
		run.Error = err.Error()
		return run
	}
	if err := sleep(l.Context(), time.Second); err != nil {
		run.Error = err.Error()
		return run
	}
	before := logLines(l)
	addrFrom := l.Addrs.Len()
	stop := startBusy(t, busy, window+30*time.Second)
	begin := time.Now()
	err := sleep(l.Context(), window)
	end := time.Now()
	stop()
	if err != nil {
		run.Error = fmt.Sprintf("a node exited under load: %v", err)
	}
	after := logLines(l)
	run.Lines = map[string]int{}
	for _, pat := range LoadPatterns {
		run.Lines[pat] = after[pat] - before[pat]
	}
	for _, e := range l.Addrs.Since(addrFrom) {
		if isVIPAdd(l.Nodes[1].Name)(e) {
			run.FalseFailovers++
		}
	}
	run.MaxGapMs = map[string]float64{}
	for _, n := range l.Nodes {
		run.MaxGapMs[n.Name] = ms(w.maxGap(n.Name+"-"+interop.LANLink, n.LAN.Addr(), begin.Round(0), end.Round(0)))
	}
	return run
}

// logLines counts LoadPatterns in both nodes' log files.
func logLines(l *interop.Lab) map[string]int {
	total := map[string]int{}
	for _, n := range l.Nodes {
		data, _ := os.ReadFile(n.LogFile()) // missing: nothing logged yet
		for p, c := range CountLines(string(data), LoadPatterns) {
			total[p] += c
		}
	}
	return total
}

// startBusy starts n shell busy loops at normal priority on the host and
// returns the function that kills them (also registered in t.Cleanup).
// Each loop also dies by itself after limit, should the test binary be
// killed first (no Pdeathsig: test/lab's history shows it firing when a
// locked OS thread exits).
func startBusy(t *testing.T, n int, limit time.Duration) (stop func()) {
	t.Helper()
	var cmds []*exec.Cmd
	for range n {
		c := exec.Command("timeout", "-s", "KILL", fmt.Sprintf("%.0f", limit.Seconds()), "sh", "-c", "while :; do :; done")
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := c.Start(); err != nil {
			t.Fatalf("start busy loop: %v", err)
		}
		cmds = append(cmds, c)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		for _, c := range cmds {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Wait() // "signal: killed"
		}
	}
	t.Cleanup(stop)
	return stop
}
