package failover

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func msd(v ...float64) []time.Duration {
	var ds []time.Duration
	for _, x := range v {
		ds = append(ds, fromMs(x))
	}
	return ds
}

func hundred() []time.Duration {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, fromMs(float64(i)))
	}
	return ds
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want Summary
	}{
		{"none", nil, Summary{}},
		{"one", msd(5), Summary{N: 1, Min: 5, P50: 5, P90: 5, P99: 5, Max: 5}},
		{"two: p50 is the lower", msd(9, 1), Summary{N: 2, Min: 1, P50: 1, P90: 9, P99: 9, Max: 9}},
		{"ten, unsorted: p90 is the 9th", msd(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), Summary{N: 10, Min: 1, P50: 5, P90: 9, P99: 10, Max: 10}},
		{"eleven: p50 is the 6th, p90 the 10th", msd(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), Summary{N: 11, Min: 1, P50: 6, P90: 10, P99: 11, Max: 11}},
		{"a hundred: p99 is the 99th", hundred(), Summary{N: 100, Min: 1, P50: 50, P90: 90, P99: 99, Max: 100}},
		{"negative and sub-millisecond", msd(-77.0125, 0.0004, -3.5), Summary{N: 3, Min: -77.013, P50: -3.5, P90: 0, P99: 0, Max: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Summarize(tt.in)); diff != "" {
				t.Errorf("Summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetSummarize(t *testing.T) {
	p := NewProfile("k100ms_d500ms", 100*time.Millisecond, 500*time.Millisecond, time.Second)
	s := Set{Impl: "hbd", Profile: p, Trials: []Trial{
		{VIPMs: 450, GARPMs: 451, LastHBMs: 52},
		{Error: "node1 never took the VIP"},
		{VIPMs: 420, GARPMs: 421.5, LastHBMs: 81},
		{VIPMs: 470, GARPMs: 470, LastHBMs: 31.5},
	}}
	s.Summarize()
	want := struct {
		Errors              int
		VIP, GARP, Reaction Summary
	}{
		Errors: 1,
		// minus deadtime 500
		VIP:  Summary{N: 3, Min: -80, P50: -50, P90: -30, P99: -30, Max: -30},
		GARP: Summary{N: 3, Min: -78.5, P50: -49, P90: -30, P99: -30, Max: -30},
		// VIP + last heartbeat before the kill - deadtime: 2, 1, 1.5
		Reaction: Summary{N: 3, Min: 1, P50: 1.5, P90: 2, P99: 2, Max: 2},
	}
	got := want
	got.Errors, got.VIP, got.GARP, got.Reaction = s.Errors, s.VIP, s.GARP, s.Reaction
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Set.Summarize (-want +got):\n%s", diff)
	}
}

func f(v float64) *float64 { return &v }

func TestRatios(t *testing.T) {
	k1 := NewProfile("k1s_d3s", time.Second, 3*time.Second, 3*time.Second)
	k100 := NewProfile("k100ms_d500ms", 100*time.Millisecond, 500*time.Millisecond, time.Second)
	set := func(impl string, p Profile, vip, garp, react float64) Set {
		return Set{Impl: impl, Profile: p, VIP: Summary{N: 10, P50: vip}, GARP: Summary{N: 10, P50: garp}, Reaction: Summary{N: 10, P50: react}}
	}
	tests := []struct {
		name string
		sets []Set
		want []Ratio
	}{
		{
			name: "excess ratio of positive parts",
			sets: []Set{set("hbd", k100, 10, 12, 2), set("heartbeat", k100, 240, 243, 300)},
			// 510/740, 512/743, 10/240, 2/300
			want: []Ratio{{Profile: "k100ms_d500ms", VIP: f(0.6892), GARP: f(0.6891), VIPExcess: f(0.0417), ReactionExcess: f(0.0067)}},
		},
		{
			name: "negative hbd excess and negative heartbeat excess have no ratio",
			sets: []Set{set("heartbeat", k1, -24, -19, 646), set("hbd", k1, -546, -546, 1)},
			// 2454/2976, 2454/2981, 1/646
			want: []Ratio{{Profile: "k1s_d3s", VIP: f(0.8246), GARP: f(0.8232), ReactionExcess: f(0.0015)}},
		},
		{
			name: "profile missing one side, or with no successful heartbeat trial",
			sets: []Set{set("hbd", k1, 1, 1, 1), set("hbd", k100, 1, 1, 1), {Impl: "heartbeat", Profile: k100}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Ratios(tt.sets)); diff != "" {
				t.Errorf("Ratios (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var ts []time.Time
		for _, m := range ms {
			ts = append(ts, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	tests := []struct {
		name     string
		at       []time.Time
		from, to int
		want     []time.Duration
	}{
		{"edges count", at(10, 20, 45), 0, 50, msd(10, 10, 25, 5)},
		{"times outside the window are ignored", at(-5, 10, 20, 60), 0, 50, msd(10, 10, 30)},
		{"silent window is one interval", at(-5, 60), 0, 50, msd(50)},
		{"a time on each edge", at(0, 50), 0, 50, msd(0, 50, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := t0.Add(time.Duration(tt.from)*time.Millisecond), t0.Add(time.Duration(tt.to)*time.Millisecond)
			if diff := cmp.Diff(tt.want, Intervals(tt.at, from, to)); diff != "" {
				t.Errorf("Intervals (-want +got):\n%s", diff)
			}
		})
	}
}
