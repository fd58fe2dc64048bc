package ldbench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PointResult is everything measured at one point.
type PointResult struct {
	Impl       Impl        `json:"impl"`
	Run        int         `json:"run,omitempty"` // repetition (VM: 1..bench-repeat, one boot)
	Env        []string    `json:"env,omitempty"` // the Go engine's extra environment
	Kernel     string      `json:"kernel"`        // "ipvstest fake", "ipvsadm stand-in", "real IPVS (VM)"
	N          int         `json:"n"`
	IntervalS  float64     `json:"checkinterval_s"`
	TimeoutS   float64     `json:"timeout_s"`
	Startup    Startup     `json:"startup"`
	Steady     *Steady     `json:"steady,omitempty"`
	Detection  []Detection `json:"detection,omitempty"`
	Stretch    []Stretch   `json:"stretch,omitempty"`
	OpsAtStop  int         `json:"table_changes_logged"`
	Error      string      `json:"error,omitempty"`
	DurationS  float64     `json:"bench_duration_s"`
	RSSEndMB   float64     `json:"rss_end_mb"`
	HWMEndMB   float64     `json:"hwm_end_mb"`
	configured PointConfig
}

func kernelName(c PointConfig) string {
	switch {
	case c.Impl == ImplPerl:
		return "ipvsadm stand-in (host)"
	case c.Impl == ImplKeepalived || c.Netlink:
		return "real IPVS (VM)"
	}
	return "ipvstest fake (host)"
}

// RunPoint measures one point; logf receives progress lines. A failure
// after start-up is recorded in the result rather than returned.
func RunPoint(ctx context.Context, c PointConfig, logf func(string, ...any)) (PointResult, error) {
	t0 := time.Now()
	res := PointResult{Impl: c.Impl, Kernel: kernelName(c), N: c.N, IntervalS: c.Interval.Seconds(), TimeoutS: c.Timeout.Seconds(), Env: c.EngineEnv}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return res, err
	}
	pctx, cancel := context.WithCancel(ctx)
	r := &run{c: c, cancel: cancel, pollCtx: pctx, log: logf}
	defer r.stop()
	if err := r.startFarm(ctx); err != nil {
		return res, err
	}
	if err := r.startSubject(ctx); err != nil {
		return res, err
	}
	logf("%s N=%d: started (pid %d), waiting for a complete table (bound %s)", c.Impl, c.N, r.pid, c.StartBound)
	st, err := r.waitComplete(ctx)
	res.Startup = st
	if err == nil && st.Reached {
		logf("%s N=%d: table %.2fs, all checked %.2fs", c.Impl, c.N, st.TableS, st.AllCheckedS)
		err = r.measure(ctx, &res)
	} else if err == nil {
		// Still measure the cost of the state it is stuck in.
		logf("%s N=%d: %s; measuring the steady window anyway", c.Impl, c.N, st.Note)
		var s Steady
		if s, err = r.steady(ctx, nil); err == nil {
			res.Steady = &s
			logf("%s N=%d: %.0f checks/s, %.3f ms CPU/check (farm %.3f), %.1f%% core, RSS %.1f MB", c.Impl, c.N, s.ChecksPerS, s.CPUmsPerCheck, s.FarmCPUmsPerCheck, s.CPUPctCore, s.RSSMB)
		}
	}
	if err != nil {
		res.Error = err.Error()
	}
	r.ops.Poll()
	res.OpsAtStop = len(r.ops.Events())
	rss, hwm := ReadMem(r.pid)
	res.RSSEndMB, res.HWMEndMB = float64(rss)/(1<<20), float64(hwm)/(1<<20)
	res.DurationS = time.Since(t0).Seconds()
	if c.Impl == ImplPerl {
		os.Remove(filepath.Join("/var/run", fmt.Sprintf("ldirectord.bench%d.pid", c.N)))
	}
	return res, nil
}

// measure runs the steady window, the detection trials and the stretch
// windows.
func (r *run) measure(ctx context.Context, res *PointResult) error {
	c := r.c
	if err := sleepCtx(ctx, c.Settle); err != nil {
		return err
	}
	base, err := r.steady(ctx, nil)
	if err != nil {
		return err
	}
	res.Steady = &base
	r.log("%s N=%d: steady %.0f checks/s, %.3f ms CPU/check, %.1f%% core, RSS %.1f MB, period %.2fs",
		c.Impl, c.N, base.ChecksPerS, base.CPUmsPerCheck, base.CPUPctCore, base.RSSMB, base.PeriodMeanS)
	period := time.Duration(base.PeriodMeanS * float64(time.Second))
	for _, kind := range c.DetectKinds {
		k := c.PerRound
		if kind == ModeHang {
			k = c.HangPerRound
		}
		d, err := r.detect(ctx, kind, min(k, c.N/4+1), period)
		if err != nil {
			return err
		}
		res.Detection = append(res.Detection, d)
		r.log("%s N=%d: detect %s: n=%d p50 %.0f ms p99 %.0f ms missed %d", c.Impl, c.N, kind, len(d.Samples), d.P50ms, d.P99ms, d.Missed)
	}
	for _, k := range c.StretchK {
		s, err := r.stretch(ctx, k, base, r.detectBound(period, k))
		if err != nil {
			return err
		}
		res.Stretch = append(res.Stretch, s)
		r.log("%s N=%d: %d hanging: others' period %.3fs (base %.3fs, %+.1f%%, p99 |change| %.1f%%)",
			c.Impl, c.N, k, s.PeriodS, s.BasePeriodS, s.MeanStretchPct, s.P99AbsChangePct)
	}
	return nil
}
