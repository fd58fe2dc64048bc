//go:build bench

package failover

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
)

// CPUSettle is the wait between a formed pair and the CPU window: the
// resource scripts of the takeover and the first status exchanges are done.
const CPUSettle = 3 * time.Second

// runCPUs measures idle CPU (issue 14 §4) at each of CPUProfiles: rounds
// of one hbd pair then one Heartbeat pair, each freshly started, formed,
// settled and left idle for window.
func runCPUs(t *testing.T, impls []interop.Impl, rounds int, window time.Duration) []CPURun {
	var out []CPURun
	for _, name := range CPUProfiles {
		i := slices.IndexFunc(Profiles, func(p Profile) bool { return p.Name == name })
		if i < 0 {
			t.Fatalf("CPUProfiles names %q, not in Profiles", name)
		}
		for round := 1; round <= rounds; round++ {
			for _, impl := range impls {
				t.Run(fmt.Sprintf("cpu/%s/%s/%d", name, impl, round), func(t *testing.T) {
					r := runCPU(t, impl, Profiles[i], window)
					r.Round = round
					out = append(out, r)
					t.Logf("%+v", r)
				})
			}
		}
	}
	return out
}

// runCPU starts a pair of impl at p, waits until it has formed and
// settled, and reads each node's CPU time before and after window.
func runCPU(t *testing.T, impl interop.Impl, p Profile, window time.Duration) CPURun {
	t.Helper()
	run := CPURun{Impl: impl.String(), Profile: p.Name, Load: loadAvg()}
	l, _ := newLab(t, impl, p)
	from := l.Addrs.Len()
	l.Nodes[0].Start(t)
	if err := waitFormed(t, l, from, p, func() { l.Nodes[1].Start(t) }); err != nil {
		run.Error = err.Error()
		return run
	}
	if err := sleep(l.Context(), CPUSettle); err != nil {
		run.Error = fmt.Sprintf("a node exited: %v", err)
		return run
	}
	read := func() (c [2]time.Duration, at time.Time, err error) {
		for k, n := range l.Nodes {
			if c[k], err = n.CPUTime(); err != nil {
				return c, at, err
			}
		}
		return c, time.Now(), nil
	}
	c0, t0, err := read()
	if err == nil {
		if err = sleep(l.Context(), window); err != nil {
			err = fmt.Errorf("a node exited: %w", err)
		}
	}
	var c1 [2]time.Duration
	var t1 time.Time
	if err == nil {
		c1, t1, err = read()
	}
	if err != nil {
		run.Error = err.Error()
		return run
	}
	run.WindowS = t1.Sub(t0).Seconds()
	for k := range c0 {
		run.MsPerS[k] = float64(c1[k]-c0[k]) / float64(time.Millisecond) / run.WindowS
	}
	return run
}
