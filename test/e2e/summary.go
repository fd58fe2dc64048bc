package e2e

import (
	"fmt"
	"strings"
	"time"
)

// FormatSummary renders the rows as the demo's closing table.
func FormatSummary(rows []Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %8s %7s %8s %6s %11s  %s\n", "step", "at", "took", "requests", "failed", "longest gap", "result")
	fmt.Fprintf(&b, "%s\n", strings.Repeat("-", 100))
	for _, r := range rows {
		fmt.Fprintf(&b, "%-28s %7.1fs %6.1fs %8d %6d %10.2fs  %s\n", r.Step, secs(r.At), secs(r.Took), r.Requests, r.Failed, secs(r.LongestGap), r.Result)
	}
	b.WriteString("at: when the step began; requests: client GETs started during the step; failed: got no\n" +
		"answer within 1 s; longest gap: the longest time between two answers during the step.\n")
	return b.String()
}

func secs(d time.Duration) float64 { return d.Seconds() }
