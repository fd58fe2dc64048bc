package daemon

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
)

// SwapHandler is a slog.Handler whose destination can be replaced while
// the loggers derived from it (With, WithGroup) keep working: hbd swaps
// its destinations when SIGHUP reloads ha.cf's log directives, ldirectord
// when a reload changes logfile=.
//
// Concurrency: safe for concurrent use; Swap takes effect for the next
// record of every derived handler.
type SwapHandler struct {
	cur  *atomic.Pointer[slog.Handler]
	wrap []func(slog.Handler) slog.Handler // the With/WithGroup calls, in order
}

var _ slog.Handler = (*SwapHandler)(nil)

// NewSwapHandler returns a SwapHandler that writes to h until Swap.
func NewSwapHandler(h slog.Handler) *SwapHandler {
	sw := &SwapHandler{cur: new(atomic.Pointer[slog.Handler])}
	sw.Swap(h)
	return sw
}

// Swap makes to the destination of h and of every handler derived from
// it.
func (h *SwapHandler) Swap(to slog.Handler) { h.cur.Store(&to) }

func (h *SwapHandler) inner() slog.Handler {
	x := *h.cur.Load()
	for _, w := range h.wrap {
		x = w(x)
	}
	return x
}

func (h *SwapHandler) with(w func(slog.Handler) slog.Handler) *SwapHandler {
	return &SwapHandler{cur: h.cur, wrap: append(slices.Clip(h.wrap), w)}
}

// Enabled implements slog.Handler.
func (h *SwapHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return (*h.cur.Load()).Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *SwapHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner().Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *SwapHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return h.with(func(x slog.Handler) slog.Handler { return x.WithAttrs(as) })
}

// WithGroup implements slog.Handler.
func (h *SwapHandler) WithGroup(name string) slog.Handler {
	return h.with(func(x slog.Handler) slog.Handler { return x.WithGroup(name) })
}
