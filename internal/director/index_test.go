package director

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// randomVirtual builds a small virtual with the cases that make the
// per-address rule subtle: the same address on several lines (with
// different weights, some 0), lines sharing one check, a fallback on a
// real's own address, quiescent on and off, failurecount above 1.
func randomVirtual(rng *rand.Rand) *ldcf.Virtual {
	n := 1 + rng.IntN(6)
	var reals []ldcf.Real
	for range n {
		addr := fmt.Sprintf("10.0.0.%d:80", 1+rng.IntN(4)) // few addresses: collisions are likely
		reals = append(reals, rl(addr, rng.IntN(3), []ldcf.Forward{ldcf.Gate, ldcf.Masq}[rng.IntN(2)]))
		if rng.IntN(4) == 0 { // a per-real request: its own check
			reals[len(reals)-1].Request = fmt.Sprintf("/r%d", rng.IntN(2))
		}
	}
	return virt("10.9.9.9:80", reals, func(v *ldcf.Virtual) {
		v.Quiescent = rng.IntN(2) == 0
		v.FailureCount = 1 + rng.IntN(2)
		v.CheckType = []ldcf.CheckType{ldcf.CheckConnect, ldcf.CheckConnect, ldcf.CheckOff, ldcf.CheckOn}[rng.IntN(4)]
		switch rng.IntN(3) {
		case 0:
			v.Fallback = &ldcf.Fallback{Addr: netip.MustParseAddrPort("10.0.0.99:80"), Forward: ldcf.Masq}
		case 1:
			v.Fallback = &ldcf.Fallback{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Forward: ldcf.Masq}
		}
	})
}

// TestVirtualIndexMatchesDesiredVirtual drives random virtuals through
// random check results and maintenance files (the only thing that
// changes a checktype=on real) and holds the index, after every transition, to
// DesiredVirtual and fallbackStatus computed from scratch.
func TestVirtualIndexMatchesDesiredVirtual(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(0, 0)
	for trial := range 400 {
		v := randomVirtual(rng)
		health := NewHealthTable()
		x, lines := newVirtualIndex(v, health)
		var keys []CheckKey // in line order: the random walk is reproducible
		for _, r := range v.Reals {
			if k := CheckKeyFor(v, r); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		all := slices.Collect(func(yield func(netip.AddrPort) bool) {
			for a := range x.byAddr {
				if !yield(a) {
					return
				}
			}
			if x.fallback != nil {
				yield(x.fallback.Addr)
			}
		})
		for step := range 12 {
			key := keys[rng.IntN(len(keys))]
			var tr Transition
			switch {
			case v.CheckType != ldcf.CheckOn && rng.IntN(4) > 0:
				tr = health.Observe(key, check.Result{Up: rng.IntN(2) == 0, Err: "refused"}, now)
			case rng.IntN(2) == 0: // maintenancedir: a file appears
				tr = forceMaintenance(health, key, v.CheckType == ldcf.CheckOn, "maintenance", now)
			case v.CheckType == ldcf.CheckOn: // its file goes
				tr = releaseOn(health, key)
			default: // a checked real's file goes: it stays down until a check
				health.Relabel(key, "out of maintenance")
			}
			got := x.desired(x.observe(lines[key], tr, health))
			want := DesiredVirtual(v, health)
			if diff := cmp.Diff(restrict(want, got), got, dsOpts); diff != "" {
				t.Fatalf("trial %d step %d: index desired (-DesiredVirtual +index):\n%s", trial, step, diff)
			}
			if full := x.desired(all); !cmp.Equal(want, full, dsOpts) {
				t.Fatalf("trial %d step %d: index over every address (-DesiredVirtual +index):\n%s",
					trial, step, cmp.Diff(want, full, dsOpts))
			}
			if w, g := fallbackStatus(v, want), x.fallbackStatus(); w != g {
				t.Fatalf("trial %d step %d: fallbackStatus %q, index %q", trial, step, w, g)
			}
		}
	}
}

// dsOpts compares DesiredServices: addresses by value, nil maps as empty.
var dsOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.AddrPort{}, netip.Addr{})}

// restrict keeps the addresses of ds that sub names.
func restrict(ds, sub DesiredService) DesiredService {
	out := DesiredService{Service: ds.Service, Reals: map[netip.AddrPort]ipvs.Real{}, Pending: map[netip.AddrPort]bool{}, Roles: map[netip.AddrPort]Role{}}
	for a := range sub.Roles {
		if r, ok := ds.Reals[a]; ok {
			out.Reals[a] = r
		}
		if ds.Pending[a] {
			out.Pending[a] = true
		}
		if r, ok := ds.Roles[a]; ok {
			out.Roles[a] = r
		}
	}
	return out
}
