package failover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompareCPU(t *testing.T) {
	run := func(impl, profile string, round int, n1, n2 float64, err string) CPURun {
		return CPURun{Impl: impl, Profile: profile, Round: round, WindowS: 15, MsPerS: [2]float64{n1, n2}, Error: err}
	}
	runs := []CPURun{
		run("hbd", "k10ms_d30ms", 1, 4, 2, ""), run("heartbeat", "k10ms_d30ms", 1, 12, 12, ""), // 3 vs 12: 0.25
		run("hbd", "k10ms_d30ms", 2, 5, 5, ""), run("heartbeat", "k10ms_d30ms", 2, 10, 10, ""), // 5 vs 10: 0.5
		run("hbd", "k10ms_d30ms", 3, 2, 2, ""), run("heartbeat", "k10ms_d30ms", 3, 16, 16, ""), // 2 vs 16: 0.125
		// At 100 ms hbd costs more in the one complete round; round 2 lost its Heartbeat run.
		run("hbd", "k100ms_d500ms", 1, 2, 2, ""), run("heartbeat", "k100ms_d500ms", 1, 1, 1, ""),
		run("hbd", "k100ms_d500ms", 2, 1, 1, ""), run("heartbeat", "k100ms_d500ms", 2, 0, 0, "node1 never took the VIP"),
	}
	got := CompareCPU(runs)
	sp := func(median, lo, hi float64, n int) Spread { return Spread{Median: median, Min: lo, Max: hi, N: n} }
	want := []CPUCompare{
		{Profile: "k10ms_d30ms", Rounds: 3, HBD: sp(3, 2, 5, 3), Heartbeat: sp(12, 10, 16, 3),
			Ratio: sp(0.25, 0.125, 0.5, 3), Met: true},
		{Profile: "k100ms_d500ms", Rounds: 1, HBD: sp(2, 2, 2, 1), Heartbeat: sp(1, 1, 1, 1), Ratio: sp(2, 2, 2, 1)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("CompareCPU (-want +got):\n%s", diff)
	}
	tg := cpuTargets(got)
	if len(tg) != 2 || !tg[0].Met || tg[1].Met {
		t.Fatalf("targets: want the 10 ms one met and the 100 ms one missed, got %+v", tg)
	}
	if want := "hbd 3.00 ms/s [2.00–5.00], Heartbeat 12.00 ms/s [10.00–16.00], ratio 0.25 [0.125–0.5], 3 rounds"; tg[0].Detail != want {
		t.Errorf("detail:\n got %q\nwant %q", tg[0].Detail, want)
	}
	// Fewer than MinCPURounds rounds never meet the goal, even when hbd is cheaper.
	if tg := cpuTargets(CompareCPU(runs[:2])); tg[0].Met || tg[1].Detail != "no round with both implementations" {
		t.Errorf("one round: %+v", tg)
	}
}
