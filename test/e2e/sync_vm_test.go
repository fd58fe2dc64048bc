//go:build vm

package e2e

import (
	"context"
	"testing"
	"time"
)

// newModeScenario builds a pair in mode m and its scenario narrated in
// the test log; at the end (pass or fail) it logs the download steps'
// table and one FIGURE line per step (bench/README.md's figures).
func newModeScenario(t *testing.T, m Mode, webs int) *Scenario {
	t.Helper()
	p := NewPairConfig(t, PairConfig{Webs: webs, Timers: SlackTimers, Mode: m})
	s := NewScenario(p, func(line string) { t.Log(line) })
	t.Cleanup(func() {
		s.StopClient()
		if len(s.DownloadSteps) > 0 {
			t.Logf("%s, %d slow downloads per step:\n%s", m, ShortDownloads.K, FormatDownloadSteps(s.DownloadSteps))
			for _, ds := range s.DownloadSteps {
				t.Log(ds.Figure(m))
			}
		}
		if t.Failed() {
			p.DumpLogs(t, 60)
		}
	})
	return s
}

// stepRec runs a download step as a runSteps step.
func stepRec(f func() (DownloadStep, error)) func() error {
	return func() error { _, err := f(); return err }
}

// TestPairSync is issue 11's S1 proof: the NAT pair with
// LVSSyncDaemonSwap and a warm standby keeps every one of 20 slow
// downloads through a crash of the active director (and answers a new
// connection within deadtime + 1 s), through the crashed node's return
// (auto_failback), through a kill -9 and restart of the active
// ldirectord, and through `hbd standby`.
func TestPairSync(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	s := newModeScenario(t, ModeSync, 3)
	d1 := s.Pair.Directors[0]
	runSteps(t, []step{
		{"up", func() error { return s.UpWarm(ctx, true) }},
		{"crash", stepRec(func() (DownloadStep, error) { return s.CrashDuringDownloads(ctx, ShortDownloads, true) })},
		{"failback", stepRec(func() (DownloadStep, error) { return s.FailbackDuringDownloads(ctx, d1, LongDownloads, true) })},
		{"ldirectord kill", stepRec(func() (DownloadStep, error) { return s.KillLdirectordDuringDownloads(ctx, ShortDownloads) })},
		{"hbd standby", stepRec(func() (DownloadStep, error) { return s.StandbyDuringDownloads(ctx, MediumDownloads) })},
	})
	s.StopClient()
	t.Logf("summary:\n%s", FormatSummary(s.Rows))
}

// TestPairStock is the control: the same crash and failback with the
// stock Ultra Monkey configuration (ldirectord in haresources, no
// connection sync). Losing downloads is the weakness it measures, not a
// failure; only a broken scenario fails it.
func TestPairStock(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s := newModeScenario(t, ModeStock, 3)
	d1 := s.Pair.Directors[0]
	var crash, back DownloadStep
	runSteps(t, []step{
		{"up", func() error { return s.Up(ctx) }},
		{"crash", func() (err error) { crash, err = s.CrashDuringDownloads(ctx, ShortDownloads, false); return err }},
		{"failback", func() (err error) { back, err = s.FailbackDuringDownloads(ctx, d1, LongDownloads, false); return err }},
	})
	t.Logf("CONTROL stock Ultra Monkey pair: downloads lost at the crash %d/%d, at the failback %d/%d",
		crash.Summary.Total-crash.Summary.Kept, crash.Summary.Total, back.Summary.Total-back.Summary.Kept, back.Summary.Total)
}

// TestColocatedDR is seed S2 (issue 11): the two directors are also the
// two real servers, DR forwarding, IPaddrDR + LVSSyncDaemonSwap, warm
// ldirectord on both. Requests alternate between the two servers, each
// served once, through the active director's IPVS only (no loop through
// the standby's); the standby never answers ARP for the VIP; after `hbd
// standby` the roles swap and the same holds; a crash of the active keeps
// every download its surviving peer serves. (`hbd standby` under
// downloads: TestColocatedDRStandbyDownloads.)
func TestColocatedDR(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	s := newModeScenario(t, ModeColocatedDR, 0)
	d1, d2 := s.Pair.Directors[0], s.Pair.Directors[1]
	w := s.WatchVIPARP(t, ctx)
	var upAt, movedAt time.Time
	runSteps(t, []step{
		{"up", func() error { return s.UpWarm(ctx, false) }},
		{"standby holds the VIP on lo", func() error { upAt = time.Now(); return s.CheckStandbyVIP(d2) }},
		{"alternation", func() error { return s.Alternation(ctx, "a", 10) }},
		{"client", func() error { s.StartClient(ctx); return observe(ctx, time.Second) }},
		{"ARP while test2.com is standby", func() error { return s.CheckStandbySilent(w, d1, d2, upAt, time.Now()) }},
		{"hbd standby", func() error {
			err := s.Standby(ctx)
			movedAt = time.Now()
			return err
		}},
		{"roles swapped: test1.com holds the VIP on lo", func() error { return s.CheckStandbyVIP(d1) }},
		{"alternation after the move", func() error {
			s.StopClient()
			return s.Alternation(ctx, "b", 10)
		}},
		{"client again", func() error { s.StartClient(ctx); return observe(ctx, time.Second) }},
		{"ARP while test1.com is standby", func() error { return s.CheckStandbySilent(w, d2, d1, movedAt, time.Now()) }},
		{"crash", stepRec(func() (DownloadStep, error) { return s.CrashDRDuringDownloads(ctx, ShortDownloads) })},
	})
	s.StopClient()
	t.Logf("summary:\n%s", FormatSummary(s.Rows))
}
