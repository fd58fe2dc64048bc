package ldbench

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Detection is the latency from a real's failure (the farm's switch) to
// its removal from the table, for one kind of failure.
type Detection struct {
	Kind    Mode      `json:"kind"`
	Samples []float64 `json:"samples_ms"`
	P50ms   float64   `json:"p50_ms"`
	P99ms   float64   `json:"p99_ms"`
	MaxMs   float64   `json:"max_ms"`
	Missed  int       `json:"missed"` // not removed within the bound
	BoundS  float64   `json:"bound_s"`
}

// detectBound is how long a failure may take to show in the table before
// it counts as missed: three periods plus the check timeout per failed real
// (a serial checker waits for each).
func (r *run) detectBound(period time.Duration, failed int) time.Duration {
	return 3*max(period, r.c.Interval) + time.Duration(failed)*r.c.Timeout + 5*time.Second
}

// detect runs Rounds rounds: per round, k random reals fail with kind at
// random offsets within one check interval; each removal is timed; then
// every real is restored and re-added before the next round.
func (r *run) detect(ctx context.Context, kind Mode, k int, period time.Duration) (Detection, error) {
	d := Detection{Kind: kind}
	bound := r.detectBound(period, k)
	if kind != ModeHang {
		bound = r.detectBound(period, 0)
	}
	d.BoundS = bound.Seconds()
	for range r.c.Rounds {
		reals := r.pickReals(k)
		switched := make(map[netip.Addr]time.Time, len(reals))
		for _, a := range reals {
			if err := sleepCtx(ctx, rand.N(r.c.Interval/time.Duration(len(reals)))); err != nil {
				return d, err
			}
			at, err := r.fc.SetMode(a, kind)
			if err != nil {
				return d, err
			}
			switched[a] = at
		}
		lat, missed := r.waitOps(ctx, switched, true, bound)
		d.Samples = append(d.Samples, lat...)
		d.Missed += missed
		if err := r.restore(ctx, reals, bound); err != nil {
			return d, err
		}
	}
	d.P50ms, d.P99ms = quantile(d.Samples, 0.5), quantile(d.Samples, 0.99)
	for _, s := range d.Samples {
		d.MaxMs = max(d.MaxMs, s)
	}
	return d, nil
}

// waitOps waits until each real of since has a removal (or re-add) after
// its time, bounded, and returns the latencies in ms and the misses.
func (r *run) waitOps(ctx context.Context, since map[netip.Addr]time.Time, removal bool, bound time.Duration) ([]float64, int) {
	var first time.Time
	for _, t := range since {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	found := map[netip.Addr]float64{}
	for end := first.Add(bound); time.Now().Before(end) && len(found) < len(since); {
		r.ops.Poll()
		evs := r.ops.Events()
		for a, t := range since {
			if _, ok := found[a]; ok {
				continue
			}
			if at, ok := FirstAfter(evs, a.String(), t, removal); ok {
				found[a] = float64(at.Sub(t)) / 1e6
			}
		}
		if sleepCtx(ctx, 20*time.Millisecond) != nil {
			break
		}
	}
	out := make([]float64, 0, len(found))
	for _, v := range found {
		out = append(out, v)
	}
	return out, len(since) - len(found)
}

// restore switches reals back to ok and waits (bounded) for their re-add.
func (r *run) restore(ctx context.Context, reals []netip.Addr, bound time.Duration) error {
	since := make(map[netip.Addr]time.Time, len(reals))
	for _, a := range reals {
		at, err := r.fc.SetMode(a, ModeOK)
		if err != nil {
			return err
		}
		since[a] = at
	}
	r.waitOps(ctx, since, false, bound)
	return nil
}

// Stretch is how k hanging reals change the check period of the others.
type Stretch struct {
	K               int     `json:"k"`
	BasePeriodS     float64 `json:"base_period_mean_s"`
	PeriodS         float64 `json:"period_mean_s"`
	MeanStretchPct  float64 `json:"mean_stretch_pct"`
	P99AbsChangePct float64 `json:"p99_abs_change_pct"` // p99 over the other reals of |own period change|
	MaxAbsChangePct float64 `json:"max_abs_change_pct"`
	Steady          Steady  `json:"steady"`
}

// stretch makes k reals hang, waits for them to settle, measures the other
// reals' periods against base and restores the k reals.
func (r *run) stretch(ctx context.Context, k int, base Steady, bound time.Duration) (Stretch, error) {
	st := Stretch{K: k, BasePeriodS: base.PeriodMeanS}
	reals := r.pickReals(k)
	skip := map[string]bool{}
	for _, a := range reals {
		skip[a.String()] = true
		if _, err := r.fc.SetMode(a, ModeHang); err != nil {
			return st, err
		}
	}
	if err := sleepCtx(ctx, r.c.Settle+r.c.Timeout+r.c.Interval); err != nil {
		return st, err
	}
	s, err := r.steady(ctx, skip)
	if err != nil {
		return st, err
	}
	st.Steady, st.PeriodS = s, s.PeriodMeanS
	if base.PeriodMeanS > 0 {
		st.MeanStretchPct = 100 * (s.PeriodMeanS/base.PeriodMeanS - 1)
	}
	var changes []float64
	for a, p := range s.periods {
		if bp, ok := base.periods[a]; ok && bp > 0 {
			c := 100 * abs(p/bp-1)
			changes = append(changes, c)
			st.MaxAbsChangePct = max(st.MaxAbsChangePct, c)
		}
	}
	st.P99AbsChangePct = quantile(changes, 0.99)
	return st, r.restore(ctx, reals, bound)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
