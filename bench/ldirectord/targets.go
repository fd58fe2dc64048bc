package ldbench

import (
	"fmt"
	"strings"
)

// targets judges issue 4's targets from the numbers, one line each.
func targets(host, vm Results) string {
	var b strings.Builder
	line := func(ok bool, format string, a ...any) {
		fmt.Fprintf(&b, "- %s: %s\n", verdict(ok), fmt.Sprintf(format, a...))
	}
	b.WriteString(vmTargets(vm))
	for _, p := range host.Points {
		if p.Impl != ImplGo {
			continue
		}
		if q := find(host, ImplPerl, p.N); q != nil && q.Steady != nil && p.Steady != nil {
			line(p.Steady.CPUmsPerCheck <= q.Steady.CPUmsPerCheck/10,
				"CPU per check ≤ 1/10 of Perl's (host, N=%d): %.3f vs %.3f ms, ratio %s",
				p.N, p.Steady.CPUmsPerCheck, q.Steady.CPUmsPerCheck, ratio(p.Steady.CPUmsPerCheck, q.Steady.CPUmsPerCheck))
		}
		if bound := map[int]float64{1000: 1, 10000: 5}[p.N]; bound > 0 {
			line(p.Startup.Reached && p.Startup.CompleteS < bound,
				"start → complete, checked table < %.0f s for N=%d: %s", bound, p.N, startOf(&p))
		}
		if p.Steady == nil {
			continue
		}
		limit := p.IntervalS*1000 + 100
		line(p99Of(&p, ModeWrong) <= limit && missedOf(&p, ModeWrong) == 0,
			"wrong-answer detection p99 ≤ %.0f ms (N=%d): %.0f ms", limit, p.N, p99Of(&p, ModeWrong))
		for _, s := range p.Stretch {
			line(abs(s.MeanStretchPct) <= 5 && s.P99AbsChangePct <= 5,
				"%d hanging reals change others' period ≤ 5%% (N=%d): mean %+.1f%%, p99 per real %.1f%%, max %.1f%%",
				s.K, p.N, s.MeanStretchPct, s.P99AbsChangePct, s.MaxAbsChangePct)
		}
		if p.N == 10000 {
			line(p.Steady.CPUPctCore < 25 && p.Steady.HWMMB < 64,
				"N=10000 at checkinterval=1 under 25%% of one core and RSS under 64 MB: %.1f%% of a core at %.0f checks/s, RSS %.1f MB (HWM %.1f)",
				p.Steady.CPUPctCore, p.Steady.ChecksPerS, p.Steady.RSSMB, p.Steady.HWMMB)
		}
	}
	return b.String()
}

func missedOf(p *PointResult, k Mode) int {
	for _, d := range p.Detection {
		if d.Kind == k {
			return d.Missed
		}
	}
	return 0
}
