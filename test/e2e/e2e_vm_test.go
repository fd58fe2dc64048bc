//go:build vm

package e2e

import (
	"context"
	"testing"
	"time"
)

// newScenario builds the pair and its scenario, narrating into the test
// log, and dumps the directors' logs when the test fails.
func newScenario(t *testing.T, webs int) (*Scenario, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	t.Cleanup(cancel)
	p := NewPair(t, webs, DefaultTimers)
	s := NewScenario(p, func(line string) { t.Log(line) })
	t.Cleanup(func() {
		s.StopClient()
		if t.Failed() {
			p.DumpLogs(t, 60)
		}
	})
	return s, ctx
}

// TestPair is seeds.md S1 end to end with real hbd, ldirectord and IPVS.
func TestPair(t *testing.T) {
	s, ctx := newScenario(t, 4)
	steps := []struct {
		name string
		run  func() error
	}{
		{"up", func() error { return s.Up(ctx) }},
		{"status", func() error { return s.ShowStatus(ctx, "status") }},
		{"web check fails", func() error { return s.BreakWeb(ctx, 0) }},
		{"failover", func() error { return s.FailActive(ctx) }},
		{"failback", func() error { return s.Failback(ctx, s.Pair.Directors[0]) }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	for _, r := range s.Rows {
		t.Logf("%+v", r)
	}
}
