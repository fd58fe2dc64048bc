package failover

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of one metric over the successful trials of
// a set, in milliseconds. Percentiles are nearest-rank: P90 of 10 values is
// the 9th smallest, and P99 is the largest below 100 values.
type Summary struct {
	N   int     `json:"n"`
	Min float64 `json:"min_ms"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Summarize returns the distribution of ds (the zero Summary for none).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Summary{N: len(s), Min: ms(s[0]), P50: ms(rank(s, 0.5)), P90: ms(rank(s, 0.9)), P99: ms(rank(s, 0.99)),
		Max: ms(s[len(s)-1])}
}

// rank is the nearest-rank p-quantile of sorted s (len(s) > 0).
func rank(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// ms is d in milliseconds, rounded to microseconds.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// Intervals returns the intervals between the times of at (ascending)
// that fall within [from, to], with the silences from from to the first
// and from the last to to: without any time in the window, the whole
// window is one interval.
func Intervals(at []time.Time, from, to time.Time) []time.Duration {
	var out []time.Duration
	prev := from
	for _, a := range at {
		if a.Before(from) || a.After(to) {
			continue
		}
		out = append(out, a.Sub(prev))
		prev = a
	}
	return append(out, to.Sub(prev))
}

// Profile is one keepalive/deadtime setting.
type Profile struct {
	Name      string        `json:"name"` // "k1s_d3s"
	Keepalive time.Duration `json:"-"`
	Deadtime  time.Duration `json:"-"`
	Initdead  time.Duration `json:"-"`
	// KeepaliveMs, DeadtimeMs and InitdeadMs mirror the durations in the
	// JSON.
	KeepaliveMs float64 `json:"keepalive_ms"`
	DeadtimeMs  float64 `json:"deadtime_ms"`
	InitdeadMs  float64 `json:"initdead_ms"`
}

// NewProfile names keepalive/deadtime the way heartbeat-wire.md does and
// fills the JSON mirrors.
func NewProfile(name string, keepalive, deadtime, initdead time.Duration) Profile {
	return Profile{Name: name, Keepalive: keepalive, Deadtime: deadtime, Initdead: initdead,
		KeepaliveMs: ms(keepalive), DeadtimeMs: ms(deadtime), InitdeadMs: ms(initdead)}
}

// Profiles are the three settings. Initdead is the lab's, not
// Heartbeat's derived 12 s, which would only slow every restart down.
var Profiles = []Profile{
	NewProfile("k1s_d3s", time.Second, 3*time.Second, 3*time.Second),
	NewProfile("k100ms_d500ms", 100*time.Millisecond, 500*time.Millisecond, time.Second),
	NewProfile("k10ms_d30ms", 10*time.Millisecond, 30*time.Millisecond, time.Second),
}

// Trial is one kill of the active node. Times are milliseconds from the
// kill; a trial with Error set has no measurements.
type Trial struct {
	Kill time.Time `json:"kill"`
	// FormedMs is node1's start → the pair stable (VIP on node1, both
	// nodes report the other active, node2 done with its join
	// negotiation).
	FormedMs float64 `json:"formed_ms"`
	// VIPMs is kill → the VIP added on node2 (netlink subscription,
	// stamped on receipt).
	VIPMs float64 `json:"vip_ms"`
	// GARPMs is kill → the first ARP announcing the VIP from node2's MAC
	// on the LAN bridge (AF_PACKET kernel timestamp).
	GARPMs float64 `json:"garp_ms"`
	// LastHBMs is node1's last heartbeat datagram → kill (its switch
	// port, AF_PACKET kernel timestamp): where in the keepalive cycle the
	// kill fell.
	LastHBMs float64 `json:"last_hb_before_kill_ms"`
	Error    string  `json:"error,omitempty"`
}

// Set is every trial of one implementation at one profile, with the
// summaries of the successful ones. Each summary is of the time minus
// the deadtime, so 0 is "exactly deadtime".
type Set struct {
	Impl    string  `json:"impl"`
	Profile Profile `json:"profile"`
	Trials  []Trial `json:"trials"`
	Errors  int     `json:"errors"`
	// VIP is kill → VIP on node2, minus deadtime.
	VIP Summary `json:"kill_to_vip_minus_deadtime"`
	// GARP is kill → first GARP from node2, minus deadtime.
	GARP Summary `json:"kill_to_garp_minus_deadtime"`
	// Reaction is node1's last heartbeat → VIP on node2, minus deadtime:
	// the failover with the phase of the kill taken out (what the
	// implementation adds to an exact deadtime).
	Reaction Summary `json:"last_hb_to_vip_minus_deadtime"`
	Note     string  `json:"note,omitempty"`
	// LoadAvg is /proc/loadavg before and after the set: the host is
	// shared, and its load shows in the numbers.
	LoadAvg [2]string `json:"loadavg_before_after"`
}

// Summarize fills the set's summaries and error count from its trials.
func (s *Set) Summarize() {
	var vip, garp, react []time.Duration
	s.Errors = 0
	dt := s.Profile.Deadtime
	for _, t := range s.Trials {
		if t.Error != "" {
			s.Errors++
			continue
		}
		vip = append(vip, fromMs(t.VIPMs)-dt)
		garp = append(garp, fromMs(t.GARPMs)-dt)
		react = append(react, fromMs(t.VIPMs+t.LastHBMs)-dt)
	}
	s.VIP, s.GARP, s.Reaction = Summarize(vip), Summarize(garp), Summarize(react)
}

func fromMs(v float64) time.Duration { return time.Duration(math.Round(v * 1e6)) }

// Ratio compares hbd with Heartbeat at one profile: the p50 failover
// (kill → VIP and kill → GARP, deadtime included) and the p50 of the part
// beyond deadtime. A ratio of a negative part (a failover shorter than
// deadtime, see Set) or by a non-positive one is omitted (null): it has
// no meaning as a ratio.
type Ratio struct {
	Profile string `json:"profile"`
	// VIP and GARP are hbd p50 / Heartbeat p50 of the whole failover.
	VIP  *float64 `json:"kill_to_vip_p50"`
	GARP *float64 `json:"kill_to_garp_p50"`
	// VIPExcess is hbd / Heartbeat of (kill → VIP − deadtime) at p50;
	// ReactionExcess the same for last heartbeat → VIP − deadtime.
	VIPExcess      *float64 `json:"kill_to_vip_minus_deadtime_p50"`
	ReactionExcess *float64 `json:"last_hb_to_vip_minus_deadtime_p50"`
}

// Ratios pairs the hbd and heartbeat sets of each profile, in the order
// of the hbd sets; a profile missing either side or with no successful
// trial on either side is left out.
func Ratios(sets []Set) []Ratio {
	var out []Ratio
	for _, h := range sets {
		if h.Impl != "hbd" || h.VIP.N == 0 {
			continue
		}
		for _, r := range sets {
			if r.Impl != "heartbeat" || r.Profile.Name != h.Profile.Name || r.VIP.N == 0 {
				continue
			}
			dt := h.Profile.DeadtimeMs
			out = append(out, Ratio{
				Profile:        h.Profile.Name,
				VIP:            quot(h.VIP.P50+dt, r.VIP.P50+dt),
				GARP:           quot(h.GARP.P50+dt, r.GARP.P50+dt),
				VIPExcess:      quot(h.VIP.P50, r.VIP.P50),
				ReactionExcess: quot(h.Reaction.P50, r.Reaction.P50),
			})
		}
	}
	return out
}

// quot is a/b rounded to 4 decimals, nil unless a >= 0 and b > 0.
func quot(a, b float64) *float64 {
	if a < 0 || b <= 0 {
		return nil
	}
	q := math.Round(a/b*1e4) / 1e4
	return &q
}

// LoadRun is one implementation's pair at a profile, left running first
// for an idle window, then for a window while busy loops keep every CPU
// busy.
type LoadRun struct {
	Impl    string  `json:"impl"`
	Profile Profile `json:"profile"`
	// Busy is the number of busy-loop processes in the loaded window.
	Busy   int    `json:"busy_loops"`
	Idle   Counts `json:"idle"`
	Loaded Counts `json:"loaded"`
	Error  string `json:"error,omitempty"`
}

// Counts is what happened in one window of a LoadRun: log lines and
// address events inside the window.
type Counts struct {
	WindowS float64 `json:"window_s"`
	// FalseFailovers counts VIP additions on node2 (node1 never died).
	FalseFailovers int `json:"false_failovers"`
	// Lines counts, per pattern of LoadPatterns, the lines both nodes'
	// log files gained in the window.
	Lines map[string]int `json:"log_lines"`
	// Gaps is, per node, the distribution of the intervals between the
	// heartbeat datagrams it sent on its LAN link (kernel timestamps on
	// its switch port), window edges included.
	Gaps map[string]Summary `json:"heartbeat_gaps"`
	// Pressure is /proc/pressure/cpu's "some" line at the window's end:
	// the host is shared.
	Pressure string `json:"cpu_pressure"`
}

// LoadPatterns are the log texts the load test counts (Heartbeat's words,
// which hbd keeps: internal/heartbeat/member/messages.go). "dead." is the
// link line "Link node1:eth0 dead."; "is dead" the node line.
var LoadPatterns = []string{"Late heartbeat", "is dead", "dead.", "Resources being acquired", "took too long"}
