package failover

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadTarget(t *testing.T) {
	k10 := Profiles[2]
	run := func(ff int, window float64, err string) LoadRun {
		return LoadRun{Impl: "hbd", Profile: k10, Busy: 4, Error: err,
			Loaded: Counts{WindowS: window, FalseFailovers: ff, Lines: map[string]int{"Late heartbeat": 2}}}
	}
	for _, tc := range []struct {
		name string
		load []LoadRun
		want Target
	}{
		{name: "none in 60 s: met", load: []LoadRun{run(0, 60, "")},
			want: Target{Met: true, Detail: `hbd 0 false failovers, 0 "is dead", 2 "Late heartbeat" in 60 s, 4 busy loops`}},
		{name: "one false failover", load: []LoadRun{run(1, 60, "")},
			want: Target{Detail: `hbd 1 false failovers, 0 "is dead", 2 "Late heartbeat" in 60 s, 4 busy loops`}},
		{name: "window shorter than 60 s (QUICK)", load: []LoadRun{run(0, 15, "")},
			want: Target{Detail: `hbd 0 false failovers, 0 "is dead", 2 "Late heartbeat" in 15 s, 4 busy loops`}},
		{name: "pair never formed", load: []LoadRun{run(0, 0, "node1 never took the VIP")},
			want: Target{Detail: "error: node1 never took the VIP"}},
		{name: "not run, Heartbeat alone", load: []LoadRun{func() LoadRun { l := run(3, 60, ""); l.Impl = "heartbeat"; return l }()},
			want: Target{Detail: `not run; Heartbeat 3 false failovers, 0 "is dead", 2 "Late heartbeat" in 60 s, 4 busy loops`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loadTarget(Report{Load: tc.load}, k10.Name)
			tc.want.Goal = "hbd: no false failover in 60 s at k10ms_d30ms with every CPU busy"
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("loadTarget (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailoverTargets(t *testing.T) {
	set := func(impl string, p Profile, vipMs, garpMs float64, n int) Set {
		s := Set{Impl: impl, Profile: p}
		for range n {
			s.Trials = append(s.Trials, Trial{VIPMs: vipMs, GARPMs: garpMs, LastHBMs: 1})
		}
		s.Summarize()
		return s
	}
	var sets []Set
	for _, p := range Profiles {
		dt := p.DeadtimeMs
		sets = append(sets, set("hbd", p, dt+2, dt+3, 10), set("heartbeat", p, dt+157, dt+158, 10))
	}
	// At 10 ms/30 ms hbd's GARP comes 6 ms after deadtime: missed.
	sets[4] = set("hbd", Profiles[2], 32, 36, 10)
	got := Targets(Report{Sets: sets}, "k10ms_d30ms")
	var met []bool
	for _, tg := range got {
		met = append(met, tg.Met)
	}
	// k1s_d3s, k100ms_d500ms, k10ms_d30ms, trials, load (not run)
	if diff := cmp.Diff([]bool{true, true, false, true, false}, met); diff != "" {
		t.Errorf("targets met (-want +got):\n%s\n%+v", diff, got)
	}
	if want := "hbd +2.0 / +6.0 ms (last heartbeat → VIP +3.0); Heartbeat +157.0 / +158.0 ms (+158.0)"; got[2].Detail != want {
		t.Errorf("k10ms_d30ms detail %q, want %q", got[2].Detail, want)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# bench\n\n" + SectionBegin + "\nold table\n" + SectionEnd + "\n\ntail\n"
	for _, tc := range []struct {
		name, doc, body, want string
		err                   error
	}{
		{name: "replaced, outside kept", doc: doc, body: "| new |\n",
			want: "# bench\n\n" + SectionBegin + "\n\n| new |\n\n" + SectionEnd + "\n\ntail\n"},
		{name: "idempotent", doc: "a\n" + SectionBegin + "\n\nx\n\n" + SectionEnd + "\n", body: "x",
			want: "a\n" + SectionBegin + "\n\nx\n\n" + SectionEnd + "\n"},
		{name: "no markers", doc: "# bench\n", body: "x", err: ErrNoSection},
		{name: "end before begin", doc: SectionEnd + "\n" + SectionBegin, body: "x", err: ErrNoSection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReplaceSection(tc.doc, tc.body)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReplaceSection (-want +got):\n%s", diff)
			}
		})
	}
}
