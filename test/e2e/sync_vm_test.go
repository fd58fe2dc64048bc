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

