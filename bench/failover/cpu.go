package failover

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ultramonkey/ultramonkey/bench/stats"
)

// CPUProfiles are the settings of the idle CPU comparison (issue 14): the
// two fast ones, where a heartbeat daemon's own cost shows.
var CPUProfiles = []string{"k10ms_d30ms", "k100ms_d500ms"}

// CPURun is one formed, idle pair's CPU use over a window: each node's
// daemon processes, with the children they reaped (interop.Node.CPUTime).
type CPURun struct {
	Impl    string  `json:"impl"`
	Profile string  `json:"profile"`
	Round   int     `json:"round"` // hbd and Heartbeat alternate; a round is one run of each
	WindowS float64 `json:"window_s"`
	// MsPerS is each node's CPU time per second of the window, node1
	// (holding the VIP) then node2: ms/s, so 10 is 1 % of one core.
	MsPerS [2]float64 `json:"ms_per_s"`
	Load   string     `json:"load"` // /proc/loadavg before the run
	Error  string     `json:"error,omitempty"`
}

// Pair is the mean of the two nodes' ms/s.
func (r CPURun) Pair() float64 { return (r.MsPerS[0] + r.MsPerS[1]) / 2 }

// CPUCompare is hbd against Heartbeat at one profile over the rounds that
// have both: the median and range of each side's per-node mean ms/s and of
// the per-round ratio hbd ÷ Heartbeat (a round runs both back to back, so
// its ratio sees the same machine).
type CPUCompare struct {
	Profile   string `json:"profile"`
	Rounds    int    `json:"rounds"`
	HBD       Spread `json:"hbd_ms_per_s"`
	Heartbeat Spread `json:"heartbeat_ms_per_s"`
	Ratio     Spread `json:"ratio_hbd_over_heartbeat"`
	Met       bool   `json:"met"` // median ratio ≤ 1
	Note      string `json:"note,omitempty"`
}

// Spread is a median with the smallest and largest value.
type Spread = stats.Spread

// spreadOf is stats.Of rounded to 4 decimals, as the JSON keeps it.
func spreadOf(v []float64) Spread {
	s := stats.Of(v)
	r := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	s.Median, s.Min, s.Max = r(s.Median), r(s.Min), r(s.Max)
	return s
}

// CompareCPU pairs the runs of each profile of CPUProfiles by round. A run
// with an error, or whose partner has one, is left out of the comparison.
func CompareCPU(runs []CPURun) []CPUCompare {
	var out []CPUCompare
	for _, p := range CPUProfiles {
		c := CPUCompare{Profile: p}
		var h, hb, q []float64
		for _, a := range runs {
			if a.Impl != "hbd" || a.Profile != p || a.Error != "" {
				continue
			}
			i := slices.IndexFunc(runs, func(b CPURun) bool {
				return b.Impl == "heartbeat" && b.Profile == p && b.Round == a.Round && b.Error == ""
			})
			if i < 0 {
				continue
			}
			h, hb = append(h, a.Pair()), append(hb, runs[i].Pair())
			if runs[i].Pair() > 0 {
				q = append(q, a.Pair()/runs[i].Pair())
			}
		}
		c.Rounds = len(h)
		if c.Rounds == 0 {
			c.Note = "no round with both implementations"
			out = append(out, c)
			continue
		}
		c.HBD, c.Heartbeat, c.Ratio = spreadOf(h), spreadOf(hb), spreadOf(q)
		c.Met = len(q) == len(h) && c.Ratio.Median <= 1
		out = append(out, c)
	}
	return out
}

// cpuTargets is issue 14's goal for hbd: idle CPU per second ≤ Heartbeat's
// at each of CPUProfiles (median of the per-round ratios), over at least
// MinCPURounds rounds.
func cpuTargets(cmp []CPUCompare) []Target {
	var out []Target
	for _, c := range cmp {
		t := Target{Goal: fmt.Sprintf("%s: hbd CPU per second (idle pair, per node) ≤ Heartbeat's, median of ≥ %d rounds", c.Profile, MinCPURounds)}
		if c.Rounds == 0 {
			t.Detail = c.Note
		} else {
			t.Met = c.Met && c.Rounds >= MinCPURounds
			t.Detail = fmt.Sprintf("hbd %.2f ms/s [%.2f–%.2f], Heartbeat %.2f ms/s [%.2f–%.2f], ratio %.3g [%.3g–%.3g], %d rounds",
				c.HBD.Median, c.HBD.Min, c.HBD.Max, c.Heartbeat.Median, c.Heartbeat.Min, c.Heartbeat.Max,
				c.Ratio.Median, c.Ratio.Min, c.Ratio.Max, c.Rounds)
		}
		out = append(out, t)
	}
	return out
}

// MinCPURounds is the rounds the CPU goal needs (the guide: median of 3).
const MinCPURounds = 3

func (r Report) markdownCPU(w func(string, ...any)) {
	if len(r.CPU) == 0 {
		return
	}
	w("")
	w("Idle CPU of a formed pair (node1 holds the VIP): every process of each node's sandbox, with the children it reaped, " +
		"in ms of CPU per second (10 = 1 %% of one core). hbd and Heartbeat alternate; one round is one run of each.")
	w("")
	w("| profile | round | impl | window | node1 ms/s | node2 ms/s | load |")
	w("|---|---|---|---|---|---|---|")
	for _, c := range r.CPU {
		if c.Error != "" {
			w("| %s | %d | %s | | error: %s | | |", c.Profile, c.Round, c.Impl, c.Error)
			continue
		}
		load, _, _ := strings.Cut(c.Load, " ")
		w("| %s | %d | %s | %.0f s | %.2f | %.2f | %s |", c.Profile, c.Round, c.Impl, c.WindowS, c.MsPerS[0], c.MsPerS[1], load)
	}
	w("")
	w("| profile | rounds | hbd ms/s median [range] | Heartbeat ms/s median [range] | hbd ÷ Heartbeat median [range] |")
	w("|---|---|---|---|---|")
	for _, c := range r.CPUCompare {
		if c.Rounds == 0 {
			w("| %s | 0 | – | – | %s |", c.Profile, c.Note)
			continue
		}
		w("| %s | %d | %.2f [%.2f–%.2f] | %.2f [%.2f–%.2f] | %.3g [%.3g–%.3g] |", c.Profile, c.Rounds,
			c.HBD.Median, c.HBD.Min, c.HBD.Max, c.Heartbeat.Median, c.Heartbeat.Min, c.Heartbeat.Max,
			c.Ratio.Median, c.Ratio.Min, c.Ratio.Max)
	}
}
