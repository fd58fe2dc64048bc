package ldbench

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReadResults reads a results file; a missing file is an empty result.
func ReadResults(path string) (Results, error) {
	var r Results
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("read %s: %w", path, err)
	}
	return r, nil
}

func find(r Results, impl Impl, n int) *PointResult {
	for i := range r.Points {
		if r.Points[i].Impl == impl && r.Points[i].N == n {
			return &r.Points[i]
		}
	}
	return nil
}

func detOf(p *PointResult, k Mode) string {
	for _, d := range p.Detection {
		if d.Kind == k {
			s := fmt.Sprintf("%.0f / %.0f", d.P50ms, d.P99ms)
			if d.Missed > 0 {
				s += fmt.Sprintf(" (%d missed)", d.Missed)
			}
			return s + fmt.Sprintf(" (n=%d)", len(d.Samples))
		}
	}
	return "–"
}

func stretchOf(p *PointResult) string {
	var parts []string
	for _, s := range p.Stretch {
		parts = append(parts, fmt.Sprintf("k=%d: %+.1f%% (p99 %.1f%%)", s.K, s.MeanStretchPct, s.P99AbsChangePct))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, "; ")
}

func startOf(p *PointResult) string {
	if !p.Startup.Reached {
		return "not reached: " + p.Startup.Note
	}
	if p.Startup.FirstRealS > 0 {
		return fmt.Sprintf("%.2f (table %.2f, first real %.2f)", p.Startup.CompleteS, p.Startup.TableS, p.Startup.FirstRealS)
	}
	return fmt.Sprintf("%.2f (table %.2f)", p.Startup.CompleteS, p.Startup.TableS)
}

// pointRow is one line of a results table.
func pointRow(p *PointResult) string {
	if p.Steady == nil {
		return fmt.Sprintf("| %s | %d | %s | – | – | – | – | – | – | – | – | – |", p.Impl, p.N, startOf(p))
	}
	s := p.Steady
	return fmt.Sprintf("| %s | %d | %s | %.0f (%.0f) | **%.3f** | %.1f%% | %.1f (%.1f) | %.2f | %s | %s | %s | %s |",
		p.Impl, p.N, startOf(p), s.ChecksPerS, float64(p.N)/p.IntervalS, s.CPUmsPerCheck, s.CPUPctCore, s.RSSMB, s.HWMMB,
		s.PeriodMeanS, detOf(p, ModeWrong), detOf(p, ModeRefuse), detOf(p, ModeHang), stretchOf(p))
}

const tableHead = "| impl | N | start → complete, checked table, s | checks/s (offered) | CPU ms/check | CPU, % of one core | RSS MB (HWM) | period s | wrong p50/p99 ms | refused p50/p99 ms | hang p50/p99 ms | k hanging: others' period |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|\n"

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// Markdown renders the results section of bench/README.md.
func Markdown(host, vm Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Host run %s on %s. VM run %s.\n\n", host.Date, host.Machine, orDefault(vm.Date, "(none)"))
	b.WriteString("### Host: this project (ipvstest fake) vs Perl ldirectord 4.12 (ipvsadm stand-in), checkinterval=1, negotiatetimeout=3\n\n")
	b.WriteString(tableHead)
	for _, p := range host.Points {
		b.WriteString(pointRow(&p) + "\n")
	}
	b.WriteString("\nRatios, this project ÷ Perl (lower is better for us):\n\n| N | CPU ms/check | RSS | start → complete | wrong p99 |\n|---|---|---|---|---|\n")
	for _, p := range host.Points {
		q := find(host, ImplPerl, p.N)
		if p.Impl != ImplGo || q == nil || p.Steady == nil || q.Steady == nil {
			continue
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", p.N, ratio(p.Steady.CPUmsPerCheck, q.Steady.CPUmsPerCheck),
			ratio(p.Steady.RSSMB, q.Steady.RSSMB), ratio(p.Startup.CompleteS, q.Startup.CompleteS),
			ratio(p99Of(&p, ModeWrong), p99Of(q, ModeWrong)))
	}
	if len(vm.Points) > 0 {
		b.WriteString("\n### VM (TCG, real IPVS): this project vs keepalived 2.2.7 HTTP_GET (checker only), raw in-VM numbers\n\n")
		b.WriteString("Each row is one point; `run` is the repetition (both subjects at every N, back to back, in one boot); VM busy % is the whole VM's busy share in the point's window (farm and the host's other load, as the VM feels it, included).\n\n")
		b.WriteString("Failure kind in the VM: `error` (HTTP 500), since keepalived's HTTP_GET here checks the status only. `go (GOMAXPROCS=n)` is this project run with that environment variable; plain `go` without it.\n\n")
		for _, n := range vm.Notes {
			b.WriteString("Note: " + n + "\n\n")
		}
		head := strings.Replace(tableHead, "wrong p50/p99 ms", "500 p50/p99 ms", 1)
		b.WriteString(strings.Replace(strings.Replace(head, "| impl", "| run | VM busy % | farm CPU ms/check | impl", 1), "|---", "|---|---|---|---", 1))
		for _, p := range vm.Points {
			row := pointRow(&p)
			row = strings.Replace(row, detOf(&p, ModeWrong), detOf(&p, ModeError), 1)
			busy, farm := "–", "–"
			if p.Steady != nil {
				busy = fmt.Sprintf("%.0f", p.Steady.HostBusyPct)
				if p.Steady.FarmCPUmsPerCheck > 0 {
					farm = fmt.Sprintf("%.3f", p.Steady.FarmCPUmsPerCheck)
				}
			}
			if len(p.Env) > 0 {
				row = strings.Replace(row, "| go |", "| go ("+strings.Join(p.Env, " ")+") |", 1)
			}
			b.WriteString(fmt.Sprintf("| %d | %s | %s ", p.Run, busy, farm) + row + "\n")
		}
		b.WriteString(vmRatios(vm))
	}
	b.WriteString("\n### Targets\n\n" + targets(host, vm))
	return b.String()
}

func p99Of(p *PointResult, k Mode) float64 {
	for _, d := range p.Detection {
		if d.Kind == k {
			return d.P99ms
		}
	}
	return 0
}

func verdict(ok bool) string {
	if ok {
		return "reached"
	}
	return "**missed**"
}
