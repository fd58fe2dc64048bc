package director

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// virt builds a virtual with ldirectord's defaults for a connect check.
func virt(addr string, reals []ldcf.Real, mods ...func(*ldcf.Virtual)) *ldcf.Virtual {
	v := &ldcf.Virtual{
		Text: addr, Addr: netip.MustParseAddrPort(addr), Protocol: "tcp", Reals: reals,
		CheckType: ldcf.CheckConnect, Scheduler: "wrr", NetmaskBits: 32, Request: "/", HTTPMethod: "GET",
		CheckTimeout: 5 * time.Second, NegotiateTimeout: 30 * time.Second, CheckInterval: 10 * time.Second,
		CheckCount: 1, FailureCount: 1, CleanStop: true,
	}
	for _, m := range mods {
		m(v)
	}
	return v
}

func rl(addr string, weight int, fwd ldcf.Forward) ldcf.Real {
	return ldcf.Real{Text: addr, Addr: netip.MustParseAddrPort(addr), Weight: weight, Forward: fwd}
}

func conf(vs ...*ldcf.Virtual) *ldcf.Config {
	return &ldcf.Config{File: "ldirectord.cf", Global: ldcf.Global{CleanStop: true, CheckInterval: 10 * time.Second}, Virtuals: vs}
}

// fakeChecker answers checks from a table keyed by the probed address.
// Unlisted addresses are down. A hanging address blocks until its context
// ends; while gate is open (non-nil, not closed) every check waits for it.
type fakeChecker struct {
	mu    sync.Mutex
	up    map[netip.AddrPort]bool
	hang  map[netip.AddrPort]bool
	gate  chan struct{}
	calls map[netip.AddrPort]int
}

func newFakeChecker() *fakeChecker {
	return &fakeChecker{up: map[netip.AddrPort]bool{}, hang: map[netip.AddrPort]bool{}, calls: map[netip.AddrPort]int{}}
}

func (f *fakeChecker) set(addr string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.up[netip.MustParseAddrPort(addr)] = up
}

func (f *fakeChecker) Check(ctx context.Context, t check.Target) check.Result {
	f.mu.Lock()
	f.calls[t.Addr()]++
	hang, gate, up := f.hang[t.Addr()], f.gate, f.up[t.Addr()]
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return check.Result{Err: "timeout"}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return check.Result{Err: "timeout"}
		}
	}
	if up {
		return check.Result{Up: true}
	}
	return check.Result{Err: "connection refused"}
}

func (f *fakeChecker) callCount(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[netip.MustParseAddrPort(addr)]
}

// logRecorder is a slog.Handler keeping every message.
type logRecorder struct {
	mu   *sync.Mutex
	msgs *[]string
}

func newLogRecorder() logRecorder { return logRecorder{mu: &sync.Mutex{}, msgs: &[]string{}} }

func (l logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.msgs = append(*l.msgs, r.Message)
	return nil
}
func (l logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logRecorder) WithGroup(string) slog.Handler      { return l }

// take returns the messages logged since the last take.
func (l logRecorder) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := *l.msgs
	*l.msgs = nil
	return out
}

// cmdRecorder records fallbackcommand argv.
type cmdRecorder struct {
	mu   sync.Mutex
	runs []string
}

func (c *cmdRecorder) run(_ context.Context, argv []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs = append(c.runs, strings.Join(argv, " "))
	return nil
}

func (c *cmdRecorder) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.runs
	c.runs = nil
	return out
}

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
