package director

import (
	"net/netip"
	"slices"
)

// The engine's side of route health injection: it keeps the routes it last
// gave the RouteAnnouncer and tells it the new set when a transition or a
// full diff changes it. Routes (routes.go) is the rule; the per-transition
// path answers the same from the virtual indexes of one address, so a
// check result costs no walk of every real (TestRoutesFollowHealth holds
// the two to the same answers).

// publishRoutes gives the announcer next if it differs from what it was
// last given, and logs each route announced or withdrawn with its reason.
//
// Without bgp_* in the running configuration it publishes and logs
// nothing (a 4.12 file gets no route lines in its log) and forgets what it
// gave, so a reload that adds bgp_* starts from the empty set and its full
// pass announces everything that is up.
func (e *engine) publishRoutes(next []netip.Prefix, reason string) {
	if e.c.Routes == nil {
		return
	}
	if !e.cfg.Global.BGP.Enabled() {
		e.routes = nil
		return
	}
	announce, withdraw := RouteChanges(e.routes, next)
	if len(announce) == 0 && len(withdraw) == 0 {
		return
	}
	for _, p := range announce {
		e.log.Info("announcing route "+p.String(), "reason", reason)
	}
	for _, p := range withdraw {
		e.log.Info("withdrawing route "+p.String(), "reason", reason)
	}
	e.routes = slices.Clone(next)
	e.c.Routes.SetRoutes(slices.Clone(next))
}

// publishAddress updates the route of x's address after a transition in x.
func (e *engine) publishAddress(x *virtualIndex) {
	if e.c.Routes == nil || x.v.FWMark != 0 || !e.cfg.Global.BGP.Enabled() {
		return
	}
	p := HostRoute(x.v.Addr.Addr())
	up := slices.ContainsFunc(e.vips[p.Addr()], func(y *virtualIndex) bool { return y.up > 0 })
	next := slices.DeleteFunc(slices.Clone(e.routes), func(q netip.Prefix) bool { return q == p })
	reason := "no real server up behind " + p.Addr().String()
	if up {
		next = append(next, p)
		slices.SortFunc(next, comparePrefix)
		reason = "a real server is up behind " + p.Addr().String()
	}
	e.publishRoutes(next, reason)
}
