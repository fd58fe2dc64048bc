package e2e

// ParseIPVSStats is pure; Director.IPVSStats reads the file in the
// director's network namespace.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// IPVSStats are the totals of a network namespace's IPVS
// (/proc/net/ip_vs_stats): connections scheduled and packets handled since
// IPVS started there.
type IPVSStats struct {
	Conns, InPkts, OutPkts uint64
}

// ParseIPVSStats reads the totals from /proc/net/ip_vs_stats, as
// ip_vs_stats_show prints them (net/netfilter/ipvs/ip_vs_ctl.c): two
// header lines, then the totals in hex (%8LX %8LX %8LX %16LX %16LX).
func ParseIPVSStats(text string) (IPVSStats, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 3 {
		return IPVSStats{}, fmt.Errorf("ip_vs_stats: %d lines, want the totals on line 3", len(lines))
	}
	f := strings.Fields(lines[2])
	if len(f) != 5 {
		return IPVSStats{}, fmt.Errorf("ip_vs_stats:3: %q: want 5 hex numbers", lines[2])
	}
	var n [3]uint64
	for i := range n {
		v, err := strconv.ParseUint(f[i], 16, 64)
		if err != nil {
			return IPVSStats{}, fmt.Errorf("ip_vs_stats:3: field %d %q: want a hex number", i+1, f[i])
		}
		n[i] = v
	}
	return IPVSStats{Conns: n[0], InPkts: n[1], OutPkts: n[2]}, nil
}

// Sub is the difference s - before (counters only grow).
func (s IPVSStats) Sub(before IPVSStats) IPVSStats {
	return IPVSStats{Conns: s.Conns - before.Conns, InPkts: s.InPkts - before.InPkts, OutPkts: s.OutPkts - before.OutPkts}
}

// IPVSStats reads the director's IPVS totals (/proc/thread-self/net: a
// thread switched into the namespace sees its /proc/net there, while
// /proc/net follows the process's main thread).
func (d *Director) IPVSStats() (IPVSStats, error) {
	var text []byte
	err := d.NS.Do(func() error {
		var err error
		text, err = os.ReadFile("/proc/thread-self/net/ip_vs_stats")
		return err
	})
	if err != nil {
		return IPVSStats{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	st, err := ParseIPVSStats(string(text))
	if err != nil {
		return IPVSStats{}, fmt.Errorf("%s: %w", d.Name, err)
	}
	return st, nil
}
