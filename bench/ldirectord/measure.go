package ldbench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// Startup is the time from starting the subject to a complete table.
type Startup struct {
	TableS      float64 `json:"table_s"`       // every real in the table at weight > 0
	FirstRealS  float64 `json:"first_real_s"`  // the first real in the table at weight > 0
	AllCheckedS float64 `json:"all_checked_s"` // the farm saw a check of every real
	CompleteS   float64 `json:"complete_checked_s"`
	Reached     bool    `json:"reached"`
	Note        string  `json:"note,omitempty"`
}

// waitComplete waits (bounded by StartBound) for the table to hold every
// real and for the farm to have seen a check of every real.
func (r *run) waitComplete(ctx context.Context) (Startup, error) {
	want := r.c.reals()
	var st Startup
	var tableAt, checkedAt time.Time
	deadline := r.start.Add(r.c.StartBound)
	lastFarm := time.Time{}
	for time.Now().Before(deadline) {
		r.ops.Poll()
		if tableAt.IsZero() {
			if at, ok := TableComplete(r.ops.Events(), want); ok {
				tableAt = at
			}
		}
		if checkedAt.IsZero() && time.Since(lastFarm) > 250*time.Millisecond {
			lastFarm = time.Now()
			stats, err := r.fc.Stats()
			if err != nil {
				return st, err
			}
			if at, ok := allHit(stats); ok {
				checkedAt = at
			}
		}
		if !tableAt.IsZero() && !checkedAt.IsZero() {
			st.TableS = tableAt.Sub(r.start).Seconds()
			if at, ok := firstRealUp(r.ops.Events(), want); ok {
				st.FirstRealS = at.Sub(r.start).Seconds()
			}
			st.AllCheckedS = checkedAt.Sub(r.start).Seconds()
			st.CompleteS = math.Max(st.TableS, st.AllCheckedS)
			st.Reached = true
			return st, nil
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return st, err
		}
	}
	evs := r.ops.Events()
	st.Note = fmt.Sprintf("no complete table within %s: %d table changes logged, table complete=%v, all checked=%v",
		r.c.StartBound, len(evs), !tableAt.IsZero(), !checkedAt.IsZero())
	return st, nil
}

// allHit reports the time by which every real had been hit at least once.
func allHit(stats []RealStats) (time.Time, bool) {
	var last int64
	for _, s := range stats {
		if s.First == 0 {
			return time.Time{}, false
		}
		last = max(last, s.First)
	}
	return time.Unix(0, last), true
}

// Steady is the cost of the subject in a steady window.
type Steady struct {
	WindowS       float64 `json:"window_s"`
	Checks        int64   `json:"checks"` // counted by the farm
	ChecksPerS    float64 `json:"checks_per_s"`
	CPUms         float64 `json:"cpu_ms"`
	CPUmsPerCheck float64 `json:"cpu_ms_per_check"`
	CPUPctCore    float64 `json:"cpu_pct_of_one_core"`
	UserShare     float64 `json:"user_share"`
	ChildCPUms    float64 `json:"children_cpu_ms,omitempty"` // forked helpers (Perl: none expected in steady state)
	// FarmCPUmsPerCheck is what the farm (the reals' stand-in, one process)
	// spent per check answered: in the VM it shares the vCPUs with the
	// subject, so its cost bounds the rate the subject can reach.
	FarmCPUmsPerCheck float64 `json:"farm_cpu_ms_per_check,omitempty"`
	// HostBusyPct is how busy the whole machine was (all CPUs, 100 = all
	// busy), subject, farm and anything else included: contention shows here.
	HostBusyPct float64 `json:"host_busy_pct"`
	RSSMB       float64 `json:"rss_mb"`
	HWMMB       float64 `json:"hwm_mb"`
	PeriodMeanS float64 `json:"period_mean_s"` // per-real mean check period, averaged
	PeriodP99S  float64 `json:"period_p99_s"`  // p99 over reals of the per-real mean period
	periods     map[string]float64
}

// steady resets the farm, waits Window and reports CPU, RSS, checks and the
// per-real periods of the reals not in skip.
func (r *run) steady(ctx context.Context, skip map[string]bool) (Steady, error) {
	if err := r.fc.Reset(); err != nil {
		return Steady{}, err
	}
	c0, err := netlab.ReadCPU(r.pid)
	if err != nil {
		return Steady{}, err
	}
	f0, ferr := r.farmCPU()
	t0 := time.Now()
	hb0, ht0 := hostTicks()
	var rssMax int64
	for end := t0.Add(r.c.Window); time.Now().Before(end); {
		if err := sleepCtx(ctx, min(time.Second, time.Until(end))); err != nil {
			return Steady{}, err
		}
		rss, _ := ReadMem(r.pid)
		rssMax = max(rssMax, rss)
	}
	c1, err := netlab.ReadCPU(r.pid)
	if err != nil {
		return Steady{}, err
	}
	el := time.Since(t0)
	hb1, ht1 := hostTicks()
	f1, ferr1 := r.farmCPU()
	stats, err := r.fc.Stats()
	if err != nil {
		return Steady{}, err
	}
	_, hwm := ReadMem(r.pid)
	s := Steady{WindowS: el.Seconds(), periods: map[string]float64{}}
	if ht1 > ht0 {
		s.HostBusyPct = 100 * float64(hb1-hb0) / float64(ht1-ht0)
	}
	for _, st := range stats {
		s.Checks += st.Hits
		if !skip[st.Addr] && st.Hits >= 2 {
			s.periods[st.Addr] = float64(st.Last-st.First) / 1e9 / float64(st.Hits-1)
		}
	}
	cpu := c1.Total() - c0.Total()
	s.CPUms = float64(cpu) / 1e6
	s.ChildCPUms = float64(c1.Children-c0.Children) / 1e6
	s.ChecksPerS = float64(s.Checks) / el.Seconds()
	if s.Checks > 0 {
		s.CPUmsPerCheck = s.CPUms / float64(s.Checks)
		if ferr == nil && ferr1 == nil {
			s.FarmCPUmsPerCheck = float64(f1-f0) / 1e6 / float64(s.Checks)
		}
	}
	s.CPUPctCore = 100 * float64(cpu) / float64(el)
	if cpu > 0 {
		s.UserShare = float64(c1.User-c0.User) / float64(cpu)
	}
	s.RSSMB, s.HWMMB = float64(rssMax)/(1<<20), float64(hwm)/(1<<20)
	ps := valuesOf(s.periods)
	s.PeriodMeanS, s.PeriodP99S = mean(ps), quantile(ps, 0.99)
	return s, nil
}

// farmCPU is the farm process's CPU time so far, ns.
func (r *run) farmCPU() (time.Duration, error) {
	if r.farm == nil || r.farm.Process == nil {
		return 0, errors.New("no farm process")
	}
	c, err := netlab.ReadCPU(r.farm.Process.Pid)
	if err != nil {
		return 0, err
	}
	return c.Total(), nil
}

func valuesOf(m map[string]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quantile is the nearest-rank q-quantile of xs.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// pickReals returns k distinct random reals.
func (r *run) pickReals(k int) []netip.Addr {
	idx := rand.Perm(r.c.N)[:min(k, r.c.N)]
	out := make([]netip.Addr, len(idx))
	for i, j := range idx {
		out[i] = RealAddr(r.c.Base, j)
	}
	return out
}
