package failover

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// LoadProfile is the setting of the no-false-failover test.
const LoadProfile = "k10ms_d30ms"

// Issue 5's targets for hbd.
const (
	// MaxExcessP50Ms: failover (kill → VIP, kill → first GARP) minus
	// deadtime at p50, at every profile.
	MaxExcessP50Ms = 5.0
	// MinTrials: successful trials per profile and implementation.
	MinTrials = 10
	// MinLoadWindowS: the loaded no-failover window at LoadProfile.
	MinLoadWindowS = 60.0
)

// Target is one goal of the issue judged against a report.
type Target struct {
	Goal   string `json:"goal"`
	Met    bool   `json:"met"`
	Detail string `json:"detail"`
}

// Targets judges r: per profile hbd's failover p50 minus deadtime (kill →
// VIP and kill → GARP), with Heartbeat's beside it; the trial counts of
// every profile and implementation; and hbd's false failovers in the
// loaded window at loadProfile; hbd's idle CPU against Heartbeat's, when
// the CPU runs were made. A goal without data is missed.
func Targets(r Report, loadProfile string) []Target {
	var out []Target
	for _, p := range Profiles {
		h := findSet(r.Sets, "hbd", p.Name)
		t := Target{Goal: fmt.Sprintf("%s: hbd kill → VIP and kill → GARP − deadtime ≤ %g ms at p50", p.Name, MaxExcessP50Ms)}
		switch {
		case h == nil || h.VIP.N == 0:
			t.Detail = "no successful hbd trial"
		default:
			t.Met = h.VIP.P50 <= MaxExcessP50Ms && h.GARP.P50 <= MaxExcessP50Ms
			t.Detail = fmt.Sprintf("hbd %+.1f / %+.1f ms (last heartbeat → VIP %+.1f)", h.VIP.P50, h.GARP.P50, h.Reaction.P50)
			if hb := findSet(r.Sets, "heartbeat", p.Name); hb != nil && hb.VIP.N > 0 {
				t.Detail += fmt.Sprintf("; Heartbeat %+.1f / %+.1f ms (%+.1f)", hb.VIP.P50, hb.GARP.P50, hb.Reaction.P50)
			}
		}
		out = append(out, t)
	}
	out = append(out, trialTarget(r), loadTarget(r, loadProfile))
	return append(out, cpuTargets(r.CPUCompare)...)
}

func trialTarget(r Report) Target {
	t := Target{Goal: fmt.Sprintf("≥ %d successful trials per profile for hbd and Heartbeat", MinTrials)}
	var short []string
	for _, p := range Profiles {
		for _, impl := range []string{"hbd", "heartbeat"} {
			n := 0
			if s := findSet(r.Sets, impl, p.Name); s != nil {
				n = s.VIP.N
			}
			if n < MinTrials {
				short = append(short, fmt.Sprintf("%s %s: %d", p.Name, impl, n))
			}
		}
	}
	t.Met = len(short) == 0
	t.Detail = "all sets"
	if !t.Met {
		t.Detail = "short: " + strings.Join(short, ", ")
	}
	return t
}

func loadTarget(r Report, profile string) Target {
	t := Target{Goal: fmt.Sprintf("hbd: no false failover in %g s at %s with every CPU busy", MinLoadWindowS, profile)}
	describe := func(l LoadRun) string {
		return fmt.Sprintf("%d false failovers, %d \"is dead\", %d \"Late heartbeat\" in %g s, %d busy loops",
			l.Loaded.FalseFailovers, l.Loaded.Lines["is dead"], l.Loaded.Lines["Late heartbeat"], l.Loaded.WindowS, l.Busy)
	}
	h := findLoad(r.Load, "hbd", profile)
	switch {
	case h == nil:
		t.Detail = "not run"
	case h.Error != "":
		t.Detail = "error: " + h.Error
	default:
		t.Met = h.Loaded.FalseFailovers == 0 && h.Loaded.WindowS >= MinLoadWindowS
		t.Detail = "hbd " + describe(*h)
	}
	if hb := findLoad(r.Load, "heartbeat", profile); hb != nil && hb.Error == "" {
		t.Detail += "; Heartbeat " + describe(*hb)
	}
	return t
}

func findSet(sets []Set, impl, profile string) *Set {
	i := slices.IndexFunc(sets, func(s Set) bool { return s.Impl == impl && s.Profile.Name == profile })
	if i < 0 {
		return nil
	}
	return &sets[i]
}

func findLoad(runs []LoadRun, impl, profile string) *LoadRun {
	i := slices.IndexFunc(runs, func(l LoadRun) bool { return l.Impl == impl && l.Profile.Name == profile })
	if i < 0 {
		return nil
	}
	return &runs[i]
}

// The markers of the failover section in bench/README.md.
const (
	SectionBegin = "<!-- failover:begin (written by make bench) -->"
	SectionEnd   = "<!-- failover:end -->"
)

// ErrNoSection is ReplaceSection not finding both markers in order.
var ErrNoSection = errors.New("no failover section markers")

// ReplaceSection returns doc with the text between SectionBegin and
// SectionEnd replaced by body; everything outside the markers is kept.
func ReplaceSection(doc, body string) (string, error) {
	i := strings.Index(doc, SectionBegin)
	j := strings.Index(doc, SectionEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("%w (%q ... %q)", ErrNoSection, SectionBegin, SectionEnd)
	}
	head := doc[:i+len(SectionBegin)]
	return head + "\n\n" + strings.TrimSpace(body) + "\n\n" + doc[j:], nil
}
