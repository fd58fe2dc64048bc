package ldbench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ultramonkey/ultramonkey/bench/stats"
)

// The VM section of the report (issue 14): each repetition pairs this
// project and keepalived at one N, measured back to back in one boot, and
// every figure is a ratio within that pair. The median and the spread
// (min-max) of those ratios over the repetitions are what the targets
// judge: the machine is shared and noisy, a ratio of the same minute is
// steadier than either figure.

// vmPair is this project's and keepalived's point of one repetition at one N.
type vmPair struct {
	run, n int
	env    string // the Go engine's extra environment ("" = default)
	g, k   *PointResult
}

// vmPairs pairs the points of vm by repetition and N, in N order.
func vmPairs(vm Results) []vmPair {
	var out []vmPair
	for i := range vm.Points {
		g := &vm.Points[i]
		if g.Impl != ImplGo || g.Steady == nil {
			continue
		}
		for j := range vm.Points {
			k := &vm.Points[j]
			if k.Impl == ImplKeepalived && k.N == g.N && k.Run == g.Run && k.Steady != nil {
				out = append(out, vmPair{run: g.Run, n: g.N, env: strings.Join(g.Env, " "), g: g, k: k})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b vmPair) int { return a.n - b.n })
	return out
}

// vmGroup is the pairs of one N and one Go environment.
type vmGroup struct {
	n   int
	env string
}

func (g vmGroup) String() string {
	if g.env == "" {
		return fmt.Sprint(g.n)
	}
	return fmt.Sprintf("%d (%s)", g.n, g.env)
}

// vmGroupsOf lists the groups of the pairs, by N.
func vmGroupsOf(ps []vmPair) []vmGroup {
	var gs []vmGroup
	for _, p := range ps {
		if g := (vmGroup{p.n, p.env}); !slices.Contains(gs, g) {
			gs = append(gs, g)
		}
	}
	return gs
}

// ratioStat is the median and range of one ratio over the repetitions.
type ratioStat struct{ stats.Spread }

func (r ratioStat) String() string {
	if r.N == 0 {
		return "–"
	}
	if r.N == 1 {
		return fmt.Sprintf("%.2f", r.Median)
	}
	return fmt.Sprintf("**%.2f** [%.2f-%.2f]", r.Median, r.Min, r.Max)
}

func statOf(ps []vmPair, g vmGroup, f func(vmPair) (float64, bool)) ratioStat {
	var xs []float64
	for _, p := range ps {
		if p.n != g.n || p.env != g.env {
			continue
		}
		if x, ok := f(p); ok {
			xs = append(xs, x)
		}
	}
	return ratioStat{stats.Of(xs)}
}

func div(a, b float64) (float64, bool) {
	if b == 0 {
		return 0, false
	}
	return a / b, true
}

var (
	cpuRatio  = func(p vmPair) (float64, bool) { return div(p.g.Steady.CPUmsPerCheck, p.k.Steady.CPUmsPerCheck) }
	rateRatio = func(p vmPair) (float64, bool) { return div(p.g.Steady.ChecksPerS, p.k.Steady.ChecksPerS) }
	offered   = func(p vmPair) (float64, bool) {
		return div(p.g.Steady.ChecksPerS, float64(p.g.N)/p.g.IntervalS)
	}
	kaOffered = func(p vmPair) (float64, bool) {
		return div(p.k.Steady.ChecksPerS, float64(p.k.N)/p.k.IntervalS)
	}
	startRatio = func(p vmPair) (float64, bool) {
		if !p.g.Startup.Reached || !p.k.Startup.Reached {
			return 0, false
		}
		return div(p.g.Startup.CompleteS, p.k.Startup.CompleteS)
	}
	rssRatio  = func(p vmPair) (float64, bool) { return div(p.g.Steady.RSSMB, p.k.Steady.RSSMB) }
	busyOfRun = func(p vmPair) (float64, bool) { return (p.g.Steady.HostBusyPct + p.k.Steady.HostBusyPct) / 2, true }
)

// vmRatios renders the ratio table: one line per N.
func vmRatios(vm Results) string {
	ps := vmPairs(vm)
	if len(ps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nRatios this project ÷ keepalived, each from the two points of one repetition (back to back, one boot); **median** [min-max] over the repetitions. Lower is better for CPU and start, higher for checks/s.\n\n")
	b.WriteString("| N | runs | CPU ms/check | checks/s achieved | ours, % of offered | keepalived, % of offered | start → complete | RSS | VM busy % (mean of the pair's windows) |\n|---|---|---|---|---|---|---|---|---|\n")
	pct := func(s ratioStat) string {
		if s.N == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f%% [%.0f-%.0f]", 100*s.Median, 100*s.Min, 100*s.Max)
	}
	for _, g := range vmGroupsOf(ps) {
		busy := statOf(ps, g, busyOfRun)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %.0f [%.0f-%.0f] |\n", g, statOf(ps, g, cpuRatio).N,
			statOf(ps, g, cpuRatio), statOf(ps, g, rateRatio), pct(statOf(ps, g, offered)), pct(statOf(ps, g, kaOffered)),
			statOf(ps, g, startRatio), statOf(ps, g, rssRatio), busy.Median, busy.Min, busy.Max)
	}
	return b.String()
}

// vmTargets judges issue 14's targets on the medians, one line each.
func vmTargets(vm Results) string {
	ps := vmPairs(vm)
	if len(ps) == 0 {
		return "- not measured: the VM targets (no complete VM pair)\n"
	}
	var b strings.Builder
	line := func(ok bool, format string, a ...any) {
		fmt.Fprintf(&b, "- %s: %s\n", verdict(ok), fmt.Sprintf(format, a...))
	}
	for _, g := range vmGroupsOf(ps) {
		cpu, rate, off, start := statOf(ps, g, cpuRatio), statOf(ps, g, rateRatio), statOf(ps, g, offered), statOf(ps, g, startRatio)
		line(cpu.N > 0 && cpu.Median <= 1, "CPU per check ≤ keepalived's (VM, N=%s): ratio %s", g, cpu)
		line(rate.N > 0 && rate.Median >= 1 && off.Median >= 0.95, "checks/s ≥ keepalived's and ≥ 95%% of offered (VM, N=%s): ratio %s, %.0f%% of offered", g, rate, 100*off.Median)
		line(start.N > 0 && start.Median <= 1, "start → complete, checked table ≤ keepalived's (VM, N=%s): ratio %s", g, start)
	}
	return b.String()
}
