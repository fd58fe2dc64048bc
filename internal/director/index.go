package director

import (
	"net/netip"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// virtualIndex is one virtual with its reals arranged for the per-result
// path: which real= lines each check drives, which lines share a kernel
// address, and running counts of their health. With it, one check result
// costs work in proportion to the lines that check drives, not to the
// size of the virtual: DesiredVirtual walks every real, which at 10000
// reals, once per result, is the whole CPU budget.
//
// It applies DesiredVirtual's rules (desired.go: lineState, addrWant.next,
// fallbackActive, place) and keeps only the bookkeeping of its own: which
// lines to recompute and the running counts. The property test in
// index_test.go holds that bookkeeping to DesiredVirtual and
// fallbackStatus computed from scratch, for the addresses asked. It is
// pure: health comes in as a HealthView.
type virtualIndex struct {
	v        *ldcf.Virtual
	svc      ipvs.Service
	lines    []realEntry                 // v.Reals, in order
	byAddr   map[netip.AddrPort][]int    // lines sharing each kernel address
	want     map[netip.AddrPort]addrWant // what each real address gets, as last computed
	fallback *ipvs.Real                  // v's fallback, if any

	up, unknown      int // lines Up, lines Unknown
	serving, pending int // real addresses (not the fallback's) at a weight above 0; pending addresses
}

// realEntry is one real= line: its check and its kernel real.
type realEntry struct {
	key  CheckKey
	real ipvs.Real
}

// newVirtualIndex indexes v, counting health, and returns with it the
// lines each check drives (the caller merges them into one map from check
// to its uses in every virtual).
func newVirtualIndex(v *ldcf.Virtual, health HealthView) (*virtualIndex, map[CheckKey][]int) {
	x := &virtualIndex{
		v: v, svc: ServiceFor(v), lines: make([]realEntry, len(v.Reals)),
		byAddr: map[netip.AddrPort][]int{}, want: map[netip.AddrPort]addrWant{},
	}
	byKey := map[CheckKey][]int{}
	for i, r := range v.Reals {
		l := realEntry{key: CheckKeyFor(v, r), real: RealFor(v, r)}
		x.lines[i] = l
		byKey[l.key] = append(byKey[l.key], i)
		x.byAddr[l.real.Addr] = append(x.byAddr[l.real.Addr], i)
		x.count(x.state(i, health), 1)
	}
	if fb, ok := FallbackFor(v); ok {
		x.fallback = &fb
	}
	for a := range x.byAddr {
		x.setWant(a, x.compute(a, health))
	}
	return x, byKey
}

// state is line i's state (lineState).
func (x *virtualIndex) state(i int, health HealthView) State {
	return lineState(x.v, x.lines[i].key, health)
}

func (x *virtualIndex) count(s State, n int) {
	switch s {
	case Up:
		x.up += n
	case Unknown:
		x.unknown += n
	}
}

// compute folds addrWant.next over a's lines, with their states now.
func (x *virtualIndex) compute(a netip.AddrPort, health HealthView) addrWant {
	var w addrWant
	for _, i := range x.byAddr[a] {
		w = w.next(x.v, x.state(i, health), x.lines[i].real)
	}
	return w
}

// setWant records a's new want and keeps serving and pending counted.
func (x *virtualIndex) setWant(a netip.AddrPort, w addrWant) {
	old, had := x.want[a]
	if had {
		x.serving -= boolInt(x.serves(a, old))
		x.pending -= boolInt(old.pending)
	}
	x.want[a] = w
	x.serving += boolInt(x.serves(a, w))
	x.pending += boolInt(w.pending)
}

func (x *virtualIndex) serves(a netip.AddrPort, w addrWant) bool {
	return w.present && w.real.Weight > 0 && (x.fallback == nil || x.fallback.Addr != a)
}

// observe takes the transition tr of the check that drives lines (health
// already holds its new state) and returns the addresses whose wants may
// have changed: those of the lines, then the fallback's.
func (x *virtualIndex) observe(lines []int, tr Transition, health HealthView) []netip.AddrPort {
	var addrs []netip.AddrPort
	for _, i := range lines {
		x.count(tr.From, -1)
		x.count(tr.To, 1)
		if a := x.lines[i].real.Addr; !containsAddr(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		x.setWant(a, x.compute(a, health))
	}
	if x.fallback != nil && !containsAddr(addrs, x.fallback.Addr) {
		addrs = append(addrs, x.fallback.Addr)
	}
	return addrs
}

func containsAddr(as []netip.AddrPort, a netip.AddrPort) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

// desired is DesiredVirtual restricted to addrs.
func (x *virtualIndex) desired(addrs []netip.AddrPort) DesiredService {
	ds := newDesiredService(x.svc)
	for _, a := range addrs {
		if w, ok := x.want[a]; ok {
			ds.place(a, w)
		}
	}
	if fb := x.fallback; fb != nil && containsAddr(addrs, fb.Addr) {
		ds.placeFallback(*fb, fallbackActive(x.v, x.up, x.unknown))
	}
	return ds
}

// fallbackStatus is fallbackStatus(v, DesiredVirtual(v, health)).
func (x *virtualIndex) fallbackStatus() string {
	switch {
	case x.v.CheckType == ldcf.CheckOff:
		return ""
	case x.serving > 0:
		return "stop"
	case x.pending > 0:
		return ""
	}
	return "start"
}
