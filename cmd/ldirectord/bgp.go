package main

// Route health injection in the daemon: the BGP announcer of the current
// bgp_* directives, restarted when a reload changes them, and its state
// for status and metrics.

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// routeHealth is the director's RouteAnnouncer for the life of the daemon:
// it forwards each route set to the announcer of the current bgp_*
// directives (none while they are off) and hands the latest set to a new
// one when a reload changes them, so the director never sees a restart.
//
// Concurrency: SetRoutes (the director's goroutine) and status (control
// socket, scrapes) from any goroutine; apply and stop from the daemon's
// loop goroutine only.
type routeHealth struct {
	newSpeaker func(ldcf.BGP, *slog.Logger) bgp.Speaker
	log        *slog.Logger

	mu       sync.Mutex
	routes   []netip.Prefix // the director's latest set
	cfg      ldcf.BGP       // the running announcer's directives
	possible []netip.Prefix // what cfg's virtuals can announce (metrics)
	ann      *bgp.Announcer // nil while BGP is off
	stopAnn  context.CancelFunc
	annDone  chan struct{}
	holding  bool // the first announcements wait (hold)
}

var _ director.RouteAnnouncer = (*routeHealth)(nil)

// SetRoutes implements director.RouteAnnouncer; it never blocks.
func (r *routeHealth) SetRoutes(routes []netip.Prefix) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes = slices.Clone(routes)
	if r.ann != nil && !r.holding {
		r.ann.SetRoutes(r.routes)
	}
}

// hold keeps the routes from the announcer for d, then gives it the
// latest set. With ipvs_sync, a director that starts (or comes back)
// thus learns the established connections from the others' masters
// before the router sends it any: each is re-sent at its first packet a
// second after its last sync (sync_refresh_period 1) and reaches the
// backup within the master's 2 s flush (IPVS_SYNC_FLUSH_TIME).
func (r *routeHealth) hold(d time.Duration) {
	r.mu.Lock()
	r.holding = true
	r.mu.Unlock()
	r.log.Info(fmt.Sprintf("holding the BGP announcements for %v: the sync backup learns the other directors' connections first", d))
	time.AfterFunc(d, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.holding = false
		if r.ann != nil {
			r.ann.SetRoutes(r.routes)
		}
	})
}

// apply runs the announcer cfg's bgp_* directives ask for: it starts one
// when BGP is turned on, stops it when turned off, and replaces it when
// they changed (its sessions then reset: the router sends the VIP's
// traffic to the other directors meanwhile). Unchanged directives (line
// numbers aside) keep the running sessions.
func (r *routeHealth) apply(cfg *ldcf.Config) {
	b := cfg.Global.BGP
	r.mu.Lock()
	r.possible = director.Routes(cfg, director.AllUp{})
	running, same := r.ann != nil, sameBGP(r.cfg, b)
	r.mu.Unlock()
	if running && same {
		return
	}
	if running {
		what := "bgp_* directives changed: restarting the BGP speaker (its sessions reset)"
		if !b.Enabled() {
			what = "bgp_* directives removed: stopping the BGP speaker"
		}
		r.log.Warn(what)
		r.stop()
	}
	if !b.Enabled() {
		return
	}
	ann := bgp.NewAnnouncer(bgp.Config{Speaker: r.newSpeaker(b, r.log), Logger: r.log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ann.Run(ctx); close(done) }()
	r.mu.Lock()
	if !running {
		// BGP was off: the director published nothing meanwhile, and
		// its next full pass (this reload's) gives the set that is up.
		r.routes = nil
	}
	r.cfg, r.ann, r.stopAnn, r.annDone = b, ann, cancel, done
	if !r.holding {
		ann.SetRoutes(r.routes)
	}
	r.mu.Unlock()
}

// stop withdraws every route and closes the sessions (bounded by the
// announcer's StopTimeout), then forgets the announcer.
func (r *routeHealth) stop() {
	r.mu.Lock()
	cancel, done := r.stopAnn, r.annDone
	r.ann, r.stopAnn, r.annDone, r.cfg = nil, nil, nil, ldcf.BGP{}
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// status is the announcer's state with the directives it runs; nil while
// BGP is off.
func (r *routeHealth) status() *bgpStatus {
	r.mu.Lock()
	ann, cfg, possible := r.ann, r.cfg, slices.Clone(r.possible)
	r.mu.Unlock()
	if ann == nil {
		return nil
	}
	return &bgpStatus{ASN: cfg.ASN, RouterID: cfg.RouterID, Status: ann.Status(), Possible: possible}
}

// sameBGP compares two bgp_* configurations, ignoring their line numbers.
func sameBGP(a, b ldcf.BGP) bool {
	strip := func(x ldcf.BGP) string {
		x.Line = 0
		x.Peers = slices.Clone(x.Peers)
		for i := range x.Peers {
			x.Peers[i].Line = 0
		}
		return fmt.Sprintf("%+v", x)
	}
	return strip(a) == strip(b)
}

// bgpStatus is the "bgp" object of `status --json`.
type bgpStatus struct {
	ASN      uint32     `json:"asn"`
	RouterID netip.Addr `json:"router_id"`
	bgp.Status
	// Possible are the routes the configuration can announce (each while
	// its virtual has a real up).
	Possible []netip.Prefix `json:"possible"`
}

// daemonStatus is the daemon's answer to "status": the director's state
// and, with bgp_*, route health injection's.
type daemonStatus struct {
	director.Status
	BGP *bgpStatus `json:"bgp,omitempty"`
}

// formatBGPStatus renders the status table's BGP lines: the routes
// announced, then one line per session.
func formatBGPStatus(b *bgpStatus, now time.Time) string {
	if b == nil {
		return ""
	}
	var s strings.Builder
	routes := "nothing"
	if len(b.Announced) > 0 {
		var rs []string
		for _, p := range b.Announced {
			rs = append(rs, p.String())
		}
		routes = strings.Join(rs, " ")
	}
	fmt.Fprintf(&s, "BGP: asn %d, router id %s, announcing %s\n", b.ASN, b.RouterID, routes)
	if !b.Started {
		s.WriteString("  speaker not started (see the log; retrying)\n")
	}
	for _, ss := range b.Sessions {
		fmt.Fprintf(&s, "  peer %s asn %d: %s", ss.Peer, ss.ASN, ss.State)
		if !ss.Since.IsZero() {
			fmt.Fprintf(&s, " for %s", now.Sub(ss.Since).Round(time.Second))
		}
		s.WriteString("\n")
	}
	return s.String()
}
