//go:build bench

package failover

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
)

// runLoad starts a pair of impl at p and lets it form, then counts what
// should not happen (a VIP on node2, "Late heartbeat", dead declarations)
// over an idle window and then over window with every CPU kept busy by
// busy loops.
func runLoad(t *testing.T, impl interop.Impl, p Profile, idle, window time.Duration, busy int) LoadRun {
	t.Helper()
	run := LoadRun{Impl: impl.String(), Profile: p, Busy: busy}
	l, w := newLab(t, impl, p)
	from := l.Addrs.Len()
	l.Nodes[0].Start(t)
	if err := waitFormed(t, l, from, p, func() { l.Nodes[1].Start(t) }); err != nil {
		run.Error = err.Error()
		return run
	}
	var err error
	if run.Idle, err = count(l, w, idle, func() {}); err != nil {
		run.Error = err.Error()
		return run
	}
	var stop func()
	run.Loaded, err = count(l, w, window, func() { stop = startBusy(t, busy, window+30*time.Second) })
	stop()
	if err != nil {
		run.Error = err.Error()
	}
	return run
}

// count calls begin, waits window and counts what happened in it.
func count(l *interop.Lab, w *watch, window time.Duration, begin func()) (Counts, error) {
	c := Counts{WindowS: window.Seconds(), Lines: map[string]int{}, Gaps: map[string]Summary{}}
	before := logLines(l)
	addrFrom := l.Addrs.Len()
	start := time.Now()
	begin()
	err := sleep(l.Context(), window)
	end := time.Now()
	if err != nil {
		err = fmt.Errorf("a node exited: %w", err)
	}
	after := logLines(l)
	for _, pat := range LoadPatterns {
		c.Lines[pat] = after[pat] - before[pat]
	}
	for _, e := range l.Addrs.Since(addrFrom) {
		if isVIPAdd(l.Nodes[1].Name)(e) {
			c.FalseFailovers++
		}
	}
	for _, n := range l.Nodes {
		c.Gaps[n.Name] = Summarize(w.gaps(n.Name+"-"+interop.LANLink, n.LAN.Addr(), start.Round(0), end.Round(0)))
	}
	c.Pressure = cpuPressure()
	return c, err
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

// cpuPressure is the "some" line of /proc/pressure/cpu (PSI).
func cpuPressure() string {
	data, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return err.Error()
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return line
}

// loadAvg is /proc/loadavg, recorded with each set and run.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(data))
}
