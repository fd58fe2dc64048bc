package failover

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleReport() Report {
	p := NewProfile("k100ms_d500ms", 100*time.Millisecond, 500*time.Millisecond, time.Second)
	hbd := Set{Impl: "hbd", Profile: p, Trials: []Trial{{VIPMs: 450, GARPMs: 450.5, LastHBMs: 52}, {VIPMs: 470, GARPMs: 470.2, LastHBMs: 31}}}
	hb := Set{Impl: "heartbeat", Profile: p, Trials: []Trial{{VIPMs: 740, GARPMs: 743, LastHBMs: 50}, {Error: "no VIP on node2"}}}
	hbd.Summarize()
	hb.Summarize()
	hbd.LoadAvg = [2]string{"0.52 0.40 0.31 1/200 999", "0.61 0.42 0.31 1/200 1200"}
	k10 := NewProfile("k10ms_d30ms", 10*time.Millisecond, 30*time.Millisecond, time.Second)
	r := Report{
		Date: "2026-11-24T12:00:00Z", Host: Host{Kernel: "6.1.0", CPUs: 2, Go: "go1.26"}, HBD: "abc1234", Heartbeat: "1:3.0.6-13+b2",
		Sets:   []Set{hbd, hb},
		Ratios: Ratios([]Set{hbd, hb}),
		Load: []LoadRun{
			{Impl: "hbd", Profile: k10, Busy: 4,
				Idle: Counts{WindowS: 15, Lines: map[string]int{"Late heartbeat": 0}, Gaps: map[string]Summary{"node1": {P50: 10, P90: 10.2, Max: 10.5}, "node2": {P50: 10, P90: 10.1, Max: 10.2}}},
				Loaded: Counts{WindowS: 60, FalseFailovers: 1,
					Lines: map[string]int{"Late heartbeat": 3, "is dead": 1, "dead.": 2},
					Gaps:  map[string]Summary{"node1": {P50: 10.1, P90: 12, Max: 35.5}, "node2": {P50: 10, P90: 11, Max: 12}}}},
			{Impl: "heartbeat", Profile: k10, Busy: 4, Error: "node1 never took the VIP"},
		},
	}
	r.Targets = Targets(r, "k10ms_d30ms")
	return r
}

func TestMarkdown(t *testing.T) {
	want := `Failover after kill -9 of the active node, minus deadtime, in ms: p50 / p90 / p99 / min (nearest rank: p99 is the max below 100 trials; n = successful trials; load = 1-minute load average before the set).

| profile | impl | n (failed) | kill → VIP − deadtime | kill → GARP − deadtime | last heartbeat → VIP − deadtime | load |
|---|---|---|---|---|---|---|
| k100ms_d500ms | hbd | 2 (0) | -50.0 / -30.0 / -30.0 / -50.0 | -49.5 / -29.8 / -29.8 / -49.5 | +1.0 / +2.0 / +2.0 / +1.0 | 0.52 |
| k100ms_d500ms | heartbeat | 1 (1) | +240.0 / +240.0 / +240.0 / +240.0 | +243.0 / +243.0 / +243.0 / +243.0 | +290.0 / +290.0 / +290.0 / +290.0 |  |

hbd ÷ Heartbeat at p50 (whole failover, and the part beyond deadtime; – where either part is negative):

| profile | kill → VIP | kill → GARP | kill → VIP − deadtime | last heartbeat → VIP − deadtime |
|---|---|---|---|---|
| k100ms_d500ms | 0.608 | 0.606 | – | 0.0034 |

No-failover test: the pair left running idle, then with every CPU busy (busy loops at normal priority).

| profile | impl | window | false failovers | Late heartbeat | is dead | Link … dead. | heartbeat gaps node1; node2 (p50 / p90 / max ms) |
|---|---|---|---|---|---|---|---|
| k10ms_d30ms | hbd | 15 s idle | 0 | 0 | 0 | 0 | 10.0 / 10.2 / 10.5; 10.0 / 10.1 / 10.2 |
| k10ms_d30ms | hbd | 60 s 4 busy loops | 1 | 3 | 1 | 2 | 10.1 / 12.0 / 35.5; 10.0 / 11.0 / 12.0 |
| k10ms_d30ms | heartbeat | | error: node1 never took the VIP | | | | |

Targets (issue 5):

- **missed**: k1s_d3s: hbd kill → VIP and kill → GARP − deadtime ≤ 5 ms at p50 — no successful hbd trial
- met: k100ms_d500ms: hbd kill → VIP and kill → GARP − deadtime ≤ 5 ms at p50 — hbd -50.0 / -49.5 ms (last heartbeat → VIP +1.0); Heartbeat +240.0 / +243.0 ms (+290.0)
- **missed**: k10ms_d30ms: hbd kill → VIP and kill → GARP − deadtime ≤ 5 ms at p50 — no successful hbd trial
- **missed**: ≥ 10 successful trials per profile for hbd and Heartbeat — short: k1s_d3s hbd: 0, k1s_d3s heartbeat: 0, k100ms_d500ms hbd: 2, k100ms_d500ms heartbeat: 1, k10ms_d30ms hbd: 0, k10ms_d30ms heartbeat: 0
- **missed**: hbd: no false failover in 60 s at k10ms_d30ms with every CPU busy — hbd 1 false failovers, 1 "is dead", 3 "Late heartbeat" in 60 s, 4 busy loops

hbd abc1234, Heartbeat 1:3.0.6-13+b2, 2 CPUs, kernel 6.1.0, 2026-11-24T12:00:00Z.
`
	if diff := cmp.Diff(want, sampleReport().Markdown()); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
}

func TestJSONKeepsRawTrials(t *testing.T) {
	data, err := sampleReport().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	var got []float64
	for _, s := range back.Sets {
		for _, tr := range s.Trials {
			got = append(got, tr.VIPMs)
		}
	}
	if diff := cmp.Diff([]float64{450, 470, 740, 0}, got); diff != "" {
		t.Errorf("trial kill→VIP after a JSON round trip (-want +got):\n%s", diff)
	}
	for _, key := range []string{`"deadtime_ms": 500`, `"kill_to_vip_minus_deadtime"`, `"error": "no VIP on node2"`, `"ratios_hbd_over_heartbeat"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
}
