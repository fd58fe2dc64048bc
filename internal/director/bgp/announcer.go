package bgp

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Speaker originates host routes over BGP sessions. Its methods are called
// from the Announcer's goroutine only, one at a time; each returns within
// its context's deadline or soon after.
type Speaker interface {
	// Start starts the speaker and configures its peers. Sessions come up
	// on their own afterwards (an unreachable peer is no error here).
	Start(ctx context.Context) error
	// Announce originates p (a /32 or /128) to every peer.
	Announce(ctx context.Context, p netip.Prefix) error
	// Withdraw withdraws p.
	Withdraw(ctx context.Context, p netip.Prefix) error
	// Stop closes every session (a BGP Cease), so the peers drop what it
	// announced, and stops the speaker.
	Stop(ctx context.Context) error
	// Sessions returns the configured sessions' states, in configuration
	// order. Unlike the other methods it is called from any goroutine
	// (status, metrics) and must not block.
	Sessions() []Session
}

// Config configures an Announcer.
type Config struct {
	Speaker Speaker
	Logger  *slog.Logger // nil means slog.Default()
	// Retry is the delay before retrying a failed start or route change;
	// 0 means 5 s.
	Retry time.Duration
	// StopTimeout bounds the withdrawals and the stop on shutdown; 0
	// means 5 s.
	StopTimeout time.Duration
}

// Announcer keeps a Speaker's announcements equal to the latest set of
// routes it was given. Create it with NewAnnouncer; Run applies the sets.
type Announcer struct {
	c    Config
	mu   sync.Mutex
	want []netip.Prefix
	wake chan struct{}
	// shown is what Status reports: the speaker started, and the routes
	// it originates (both under mu, written by Run).
	started bool
	shown   []netip.Prefix
}

// NewAnnouncer returns an Announcer; it starts nothing (Run does).
func NewAnnouncer(c Config) *Announcer {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Logger = c.Logger.With("component", "bgp")
	if c.Retry <= 0 {
		c.Retry = 5 * time.Second
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 5 * time.Second
	}
	return &Announcer{c: c, wake: make(chan struct{}, 1)}
}

// SetRoutes records routes as the set to announce and wakes Run. It never
// blocks (director.RouteAnnouncer); safe from any goroutine.
func (a *Announcer) SetRoutes(routes []netip.Prefix) {
	a.mu.Lock()
	a.want = slices.Clone(routes)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Status returns whether the speaker runs, the routes it originates and
// its sessions. Safe from any goroutine.
func (a *Announcer) Status() Status {
	a.mu.Lock()
	st := Status{Started: a.started, Announced: slices.Clone(a.shown)}
	a.mu.Unlock()
	if st.Announced == nil {
		st.Announced = []netip.Prefix{}
	}
	st.Sessions = a.c.Speaker.Sessions()
	return st
}

// publish records what Status reports.
func (a *Announcer) publish(started bool, announced map[netip.Prefix]bool) {
	routes := make([]netip.Prefix, 0, len(announced))
	for p := range announced {
		routes = append(routes, p)
	}
	slices.SortFunc(routes, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	a.mu.Lock()
	a.started, a.shown = started, routes
	a.mu.Unlock()
}

func (a *Announcer) wanted() []netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.want)
}

// Run starts the speaker and applies every set given to SetRoutes until ctx
// is done; then it withdraws every route, stops the speaker and returns.
// A failed start or route change is logged and retried every Retry:
// health checking and IPVS never wait for BGP.
func (a *Announcer) Run(ctx context.Context) {
	log := a.c.Logger
	announced := map[netip.Prefix]bool{}
	started := false
	var retry <-chan time.Time
	for {
		if !started {
			if err := a.c.Speaker.Start(ctx); err != nil {
				log.Error("cannot start the BGP speaker; retrying", "err", err, "retry", a.c.Retry)
			} else {
				started = true
			}
		}
		if started && !a.sync(ctx, announced) {
			retry = time.After(a.c.Retry)
		}
		if !started {
			retry = time.After(a.c.Retry)
		}
		a.publish(started, announced)
		select {
		case <-ctx.Done():
			a.shutdown(started, announced)
			a.publish(false, nil)
			return
		case <-a.wake:
		case <-retry:
			retry = nil
		}
	}
}

// sync applies the wanted set; it reports whether every change succeeded.
func (a *Announcer) sync(ctx context.Context, announced map[netip.Prefix]bool) bool {
	want := a.wanted()
	ok := true
	for p := range announced {
		if slices.Contains(want, p) {
			continue
		}
		if err := a.c.Speaker.Withdraw(ctx, p); err != nil {
			a.c.Logger.Error("BGP withdraw failed; retrying", "route", p.String(), "err", err)
			ok = false
			continue
		}
		delete(announced, p)
		a.c.Logger.Info("BGP route withdrawn", "route", p.String())
	}
	for _, p := range want {
		if announced[p] {
			continue
		}
		if err := a.c.Speaker.Announce(ctx, p); err != nil {
			a.c.Logger.Error("BGP announce failed; retrying", "route", p.String(), "err", err)
			ok = false
			continue
		}
		announced[p] = true
		a.c.Logger.Info("BGP route announced", "route", p.String())
	}
	return ok
}

// shutdown withdraws every route, then stops the speaker (its Cease tells
// the peers to drop anything left), within StopTimeout.
func (a *Announcer) shutdown(started bool, announced map[netip.Prefix]bool) {
	if !started {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.c.StopTimeout)
	defer cancel()
	for p := range announced {
		if err := a.c.Speaker.Withdraw(ctx, p); err != nil {
			a.c.Logger.Error("BGP withdraw failed at stop; the session's close withdraws it", "route", p.String(), "err", err)
		}
	}
	if err := a.c.Speaker.Stop(ctx); err != nil {
		a.c.Logger.Error("stopping the BGP speaker", "err", err)
		return
	}
	a.c.Logger.Info("BGP speaker stopped: every route withdrawn")
}
