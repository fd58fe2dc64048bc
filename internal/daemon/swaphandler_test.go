package daemon

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestSwapHandler: a logger derived before a swap (With, WithGroup) keeps
// its attributes and groups and writes to the new destination.
func TestSwapHandler(t *testing.T) {
	var a, b bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, x slog.Attr) slog.Attr {
		if x.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return x
	}}
	sw := NewSwapHandler(slog.NewTextHandler(&a, opts))
	log := slog.New(sw).With("component", "engine").WithGroup("g")
	log.Info("one", "k", 1)
	sw.Swap(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: opts.ReplaceAttr}))
	log.Info("dropped by the new level")
	log.Warn("two", "k", 2)
	if got, want := a.String(), "level=INFO msg=one component=engine g.k=1\n"; got != want {
		t.Errorf("before the swap: %q, want %q", got, want)
	}
	if got, want := b.String(), "level=WARN msg=two component=engine g.k=2\n"; got != want {
		t.Errorf("after the swap: %q, want %q", got, want)
	}
	if strings.Contains(a.String(), "two") {
		t.Error("the old destination got a record after the swap")
	}
}
