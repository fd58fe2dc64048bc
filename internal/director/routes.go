package director

import (
	"net/netip"
	"slices"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// RouteAnnouncer announces this director's VIP routes to its upstream
// router (route health injection, issue 15): cmd/ldirectord gives the
// director a BGP speaker (package bgp). The director calls SetRoutes from
// its reconcile goroutine with the complete set, sorted, each time the set
// changes (an empty set on stop); SetRoutes must not block: the speaker
// applies the latest set on a goroutine of its own.
type RouteAnnouncer interface {
	SetRoutes(routes []netip.Prefix)
}

// Routes returns the routes this director should announce given the health
// of the reals: the address of every address virtual with a real up, as a
// /32 or /128, sorted. An address shared by several virtuals (ports 80 and
// 443) is announced while any of them has a real up: withdrawing it would
// take the healthy services away with the failed one. A fallback server
// does not count (it serves a sorry page, and the other directors may
// still have reals); fwmark virtuals have no address to announce.
func Routes(cfg *ldcf.Config, health HealthView) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range cfg.Virtuals {
		if v.FWMark != 0 {
			continue
		}
		p := HostRoute(v.Addr.Addr())
		if slices.Contains(out, p) {
			continue
		}
		for _, r := range v.Reals {
			if lineState(v, CheckKeyFor(v, r), health) == Up {
				out = append(out, p)
				break
			}
		}
	}
	slices.SortFunc(out, comparePrefix)
	return out
}

// HostRoute is a's host route: a /32 for IPv4 (an IPv4-mapped IPv6 address
// is taken as IPv4), a /128 for IPv6.
func HostRoute(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen())
}

// RouteChanges returns the routes to announce and to withdraw to go from
// the set old to the set next (both without duplicates), each sorted.
func RouteChanges(old, next []netip.Prefix) (announce, withdraw []netip.Prefix) {
	for _, p := range next {
		if !slices.Contains(old, p) {
			announce = append(announce, p)
		}
	}
	for _, p := range old {
		if !slices.Contains(next, p) {
			withdraw = append(withdraw, p)
		}
	}
	slices.SortFunc(announce, comparePrefix)
	slices.SortFunc(withdraw, comparePrefix)
	return announce, withdraw
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
