//go:build vm

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// newScenario builds the pair and its scenario, narrating through say (the
// test log when nil), and dumps the directors' logs when the test fails.
func newScenario(t *testing.T, ctx context.Context, webs int, say func(string)) *Scenario {
	t.Helper()
	return newScenarioMode(t, ctx, ModeStock, webs, say)
}

// newScenarioMode is newScenario for a pair in mode m.
func newScenarioMode(t *testing.T, ctx context.Context, m Mode, webs int, say func(string)) *Scenario {
	t.Helper()
	p := NewPairConfig(t, PairConfig{Webs: webs, Timers: DefaultTimers, Mode: m})
	if say == nil {
		say = func(line string) { t.Log(line) }
	}
	s := NewScenario(p, say)
	t.Cleanup(func() {
		s.StopClient()
		if t.Failed() {
			p.DumpLogs(t, 60)
		}
	})
	return s
}

type step struct {
	name string
	run  func() error
}

func runSteps(t *testing.T, steps []step) {
	t.Helper()
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
}

// TestPair is seeds.md S1 end to end with real hbd, ldirectord and IPVS:
// the client is answered throughout except for one bounded gap per
// failover; a failed real is drained and comes back; a reload that adds a
// real breaks no connection; after failback one director holds each VIP
// and the table; hbd stop releases in reverse haresources order.
func TestPair(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	s := newScenario(t, ctx, 4, nil)
	if err := s.Pair.WriteLdirectordCf(3); err != nil {
		t.Fatal(err)
	}
	d1 := s.Pair.Directors[0]
	runSteps(t, []step{
		{"up", func() error { return s.Up(ctx) }},
		{"status", func() error { return s.ShowStatus(ctx, "status") }},
		{"web check fails", func() error { return s.BreakWeb(ctx, 0) }},
		{"reload", func() error { return s.Reload(ctx) }},
		{"failover", func() error { return s.FailActive(ctx) }},
		{"status after failover", func() error { return s.ShowStatus(ctx, "status after failover") }},
		{"failback", func() error { return s.Failback(ctx, d1) }},
		{"hbd stop", func() error { return s.StopActive(ctx) }},
	})
	s.StopClient()
	if out := s.FailuresOutsideGaps(); len(out) > 0 {
		t.Errorf("%d failed requests outside the failover gaps %v; first at +%v: %s", len(out), s.Gaps, out[0].Start.Sub(s.T0), out[0].Err)
	}
	t.Logf("bounds: failover gap %v, failback gap %v, steady %v\n%s",
		s.Bounds.FailoverGap, s.Bounds.FailbackGap, s.Bounds.Steady, FormatSummary(s.Rows))
}

// TestLdirectordDeath: ldirectord killed on the active node is restarted
// there by hbd (the pair's choice), with no failover and no client loss.
func TestLdirectordDeath(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s := newScenario(t, ctx, 3, nil)
	runSteps(t, []step{
		{"up", func() error { return s.Up(ctx) }},
		{"kill ldirectord", func() error { return s.KillLdirectord(ctx) }},
		{"still one holder", func() error { return s.oneHolder(ctx, "after ldirectord died", s.Pair.Directors[0]) }},
	})
}

// TestDemo is `make demo`: the narrated S1 scenario. It runs only when
// selected by name (-test.run=TestDemo), so make test-vm skips it. Its
// narration goes to stdout as "DEMO| " lines, which make demo keeps; a
// failed step is narrated and fails the test (make demo exits non-zero).
// SIGINT and SIGTERM end the scenario early; t.Cleanup removes everything.
func TestDemo(t *testing.T) {
	if f := flag.Lookup("test.run"); f == nil || f.Value.String() != "TestDemo" {
		t.Skip("the narrated demo runs with make demo (-test.run=TestDemo)")
	}
	ctx, cancel := signal.NotifyContext(t.Context(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	defer cancelT()
	say := func(line string) { fmt.Println("DEMO| " + line) }
	s := newScenarioMode(t, ctx, ModeSync, 3, say)
	d1 := s.Pair.Directors[0]
	say("Ultra Monkey pair, seeds.md S1: two directors running hbd + ldirectord in front of three web servers (IPVS NAT),")
	say("in the mode that keeps established connections: ldirectord on both directors (a warm standby) and")
	say("LVSSyncDaemonSwap in haresources (the kernel's connection sync, master on the active director).")
	say(fmt.Sprintf("Timers: keepalive %v, deadtime %v, checkinterval %v, checktimeout %v. Every line: [seconds since start].",
		s.Pair.Timers.Keepalive, s.Pair.Timers.Deadtime, s.Pair.Timers.CheckInterval, s.Pair.Timers.CheckTimeout))
	steps := []step{
		{"start", func() error { return s.Up(ctx) }},
		{"status", func() error { return s.ShowStatus(ctx, "status") }},
		{"web server check fails", func() error { return s.BreakWeb(ctx, 0) }},
		{"active director dies", func() error {
			return s.WithDownloads(ctx, DemoDownload, SyncSettle, true, "download through the crash", func() error { return s.FailActive(ctx) })
		}},
		{"status after takeover", func() error { return s.ShowStatus(ctx, "status after takeover") }},
		{"director comes back", func() error {
			return s.WithDownloads(ctx, DemoLongDownload, 0, true, "download through the failback", func() error { return s.Failback(ctx, d1) })
		}},
		{"status after failback", func() error { return s.ShowStatus(ctx, "status after failback") }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			s.Sayf("FAILED: %v", err)
			say("Summary (so far):")
			s.Block(FormatSummary(s.Rows))
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	s.StopClient()
	all := Summarize(s.Client.Samples(), s.T0, time.Now())
	outside := s.FailuresOutsideGaps()
	s.Sayf("done: the client sent %d requests; %d got no answer, %d of them outside the %d failover gaps",
		all.OK+len(all.Failed), len(all.Failed), len(outside), len(s.Gaps))
	say("Summary:")
	s.Block(FormatSummary(s.Rows))
	if len(outside) > 0 {
		t.Fatalf("%d failed requests outside the failover gaps; first: %s", len(outside), outside[0].Err)
	}
	say("Cleaning up: every process, namespace and address made by the demo is removed.")
}
