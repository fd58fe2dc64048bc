package failover

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Report is the content of bench/results/failover-<date>.json.
type Report struct {
	Date string `json:"date"` // RFC 3339, UTC, when the run started
	Host Host   `json:"host"`
	// HBD names the hbd build (git revision); Heartbeat the Debian
	// package version.
	HBD       string `json:"hbd"`
	Heartbeat string `json:"heartbeat"`
	Quick     bool   `json:"quick"`
	// Method is the one-paragraph description of what was timed.
	Method string    `json:"method"`
	Sets   []Set     `json:"sets"`
	Ratios []Ratio   `json:"ratios_hbd_over_heartbeat"`
	Load   []LoadRun `json:"load"`
	// CPU are the idle CPU runs (issue 14), CPUCompare their comparison.
	CPU        []CPURun     `json:"cpu,omitempty"`
	CPUCompare []CPUCompare `json:"cpu_compare,omitempty"`
	// Targets are issue 5's goals judged against the sets and load runs.
	Targets []Target `json:"targets"`
}

// Host describes the machine.
type Host struct {
	Kernel string `json:"kernel"`
	CPUs   int    `json:"cpus"`
	Go     string `json:"go"`
}

// Method is Report.Method.
const Method = "Both implementations run in the sandboxes of test/interop (own network, mount, UTS, IPC and pid " +
	"namespaces per node; ucast on eth0 and eth1; sha1 auth; haresources node1 IPaddr::192.0.2.100/24/eth0). " +
	"Per trial: start both nodes, wait until node1 holds the VIP and each node reports the other active, wait " +
	"2 x keepalive plus a random part of one keepalive, then SIGKILL node1's pid namespace init (every process of the " +
	"node dies at once; the VIP stays on node1 as after a crash). kill = time.Now() just before the signal. " +
	"VIP = receipt of the netlink RTM_NEWADDR for the VIP on node2. GARP = kernel receive timestamp (SO_TIMESTAMPNS) " +
	"on the LAN bridge of the first ARP from node2's MAC with sender IP = VIP. Last heartbeat = kernel timestamp of " +
	"node1's last UDP 694 datagram on its switch ports. Then both nodes are killed, the VIP removed, and the next " +
	"trial starts from scratch."

// JSON renders r indented, with a final newline.
func (r Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// Markdown renders the results for bench/README.md: per profile and
// implementation the failover minus deadtime (p50 / p90 / p99 / min), the
// hbd/Heartbeat ratios, the load runs and the targets.
func (r Report) Markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	if len(r.Sets) > 0 {
		w("Failover after kill -9 of the active node, minus deadtime, in ms: p50 / p90 / p99 / min " +
			"(nearest rank: p99 is the max below 100 trials; n = successful trials; load = 1-minute load average before the set).")
		w("")
		w("| profile | impl | n (failed) | kill → VIP − deadtime | kill → GARP − deadtime | last heartbeat → VIP − deadtime | load |")
		w("|---|---|---|---|---|---|---|")
		for _, s := range r.Sets {
			load, _, _ := strings.Cut(s.LoadAvg[0], " ")
			w("| %s | %s | %d (%d) | %s | %s | %s | %s |", s.Profile.Name, s.Impl, s.VIP.N, s.Errors,
				cell(s.VIP), cell(s.GARP), cell(s.Reaction), load)
		}
	}
	r.markdownRatios(w)
	r.markdownLoad(w)
	r.markdownCPU(w)
	if len(r.Targets) > 0 {
		w("")
		if len(r.CPUCompare) > 0 {
			w("Targets (issue 5; idle CPU: issue 14):")
		} else {
			w("Targets (issue 5):")
		}
		w("")
		for _, t := range r.Targets {
			verdict := "**missed**"
			if t.Met {
				verdict = "met"
			}
			w("- %s: %s — %s", verdict, t.Goal, t.Detail)
		}
	}
	w("")
	w("hbd %s, Heartbeat %s, %d CPUs, kernel %s, %s.", r.HBD, r.Heartbeat, r.Host.CPUs, r.Host.Kernel, r.Date)
	return b.String()
}

func (r Report) markdownRatios(w func(string, ...any)) {
	if len(r.Ratios) == 0 {
		return
	}
	w("")
	w("hbd ÷ Heartbeat at p50 (whole failover, and the part beyond deadtime; – where either part is negative):")
	w("")
	w("| profile | kill → VIP | kill → GARP | kill → VIP − deadtime | last heartbeat → VIP − deadtime |")
	w("|---|---|---|---|---|")
	for _, q := range r.Ratios {
		w("| %s | %s | %s | %s | %s |", q.Profile, ratio(q.VIP), ratio(q.GARP), ratio(q.VIPExcess), ratio(q.ReactionExcess))
	}
}

func (r Report) markdownLoad(w func(string, ...any)) {
	if len(r.Load) == 0 {
		return
	}
	w("")
	w("No-failover test: the pair left running idle, then with every CPU busy (busy loops at normal priority).")
	w("")
	w("| profile | impl | window | false failovers | Late heartbeat | is dead | Link … dead. | heartbeat gaps node1; node2 (p50 / p90 / max ms) |")
	w("|---|---|---|---|---|---|---|---|")
	for _, l := range r.Load {
		if l.Error != "" {
			w("| %s | %s | | error: %s | | | | |", l.Profile.Name, l.Impl, l.Error)
			continue
		}
		for _, c := range []struct {
			what string
			c    Counts
		}{{"idle", l.Idle}, {fmt.Sprintf("%d busy loops", l.Busy), l.Loaded}} {
			w("| %s | %s | %.0f s %s | %d | %d | %d | %d | %s; %s |", l.Profile.Name, l.Impl, c.c.WindowS, c.what,
				c.c.FalseFailovers, c.c.Lines["Late heartbeat"], c.c.Lines["is dead"], c.c.Lines["dead."],
				gaps(c.c.Gaps["node1"]), gaps(c.c.Gaps["node2"]))
		}
	}
}

func cell(s Summary) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.1f / %+.1f / %+.1f / %+.1f", s.P50, s.P90, s.P99, s.Min)
}

func ratio(q *float64) string {
	if q == nil {
		return "–"
	}
	return fmt.Sprintf("%.3g", *q)
}

func gaps(s Summary) string { return fmt.Sprintf("%.1f / %.1f / %.1f", s.P50, s.P90, s.Max) }
