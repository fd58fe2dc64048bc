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
// It answers exactly what DesiredVirtual and fallbackStatus answer (the
// property test in index_test.go holds it to that), for the addresses
// asked. It is pure: health comes in as a HealthView.
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

// addrWant is what one real address gets from the lines that share it.
type addrWant struct {
	real    ipvs.Real
	present bool // in the table at real.Weight
	pending bool // health not known yet: left as it is
}

// newVirtualIndex indexes v, counting health, and returns with it the
// lines each check drives (the caller keeps that map: one map from check
// to lines for every virtual, as CheckKeys are large).
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

// state is line i's state: checktype on is up (unless in maintenance), off
// always down.
func (x *virtualIndex) state(i int, health HealthView) State {
	switch x.v.CheckType {
	case ldcf.CheckOn:
		return onState(health.State(x.lines[i].key))
	case ldcf.CheckOff:
		return Down
	}
	return health.State(x.lines[i].key)
}

func (x *virtualIndex) count(s State, n int) {
	switch s {
	case Up:
		x.up += n
	case Unknown:
		x.unknown += n
	}
}

// compute is DesiredVirtual's rule for one address: the last up line wins
// at its weight; else the first down line at weight 0 with quiescent; an
// unknown line leaves the address pending unless another line placed it.
func (x *virtualIndex) compute(a netip.AddrPort, health HealthView) addrWant {
	var w addrWant
	for _, i := range x.byAddr[a] {
		switch x.state(i, health) {
		case Up:
			w = addrWant{real: x.lines[i].real, present: true}
		case Unknown:
			if !w.present {
				w.pending = true
			}
		case Down:
			if x.v.Quiescent && x.v.CheckType != ldcf.CheckOff {
				if !w.present {
					w.real, w.present = x.lines[i].real, true
					w.real.Weight = 0
				}
				w.pending = false
			}
		}
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
	ds := DesiredService{
		Service: x.svc,
		Reals:   map[netip.AddrPort]ipvs.Real{},
		Pending: map[netip.AddrPort]bool{},
		Roles:   map[netip.AddrPort]Role{},
	}
	for _, a := range addrs {
		w, ok := x.want[a]
		if !ok {
			continue
		}
		ds.Roles[a] = RoleReal
		if w.present {
			ds.Reals[a] = w.real
		}
		if w.pending {
			ds.Pending[a] = true
		}
	}
	if fb := x.fallback; fb != nil && containsAddr(addrs, fb.Addr) {
		ds.Roles[fb.Addr] = RoleFallback
		if x.fallbackActive() {
			ds.Reals[fb.Addr] = *fb
			delete(ds.Pending, fb.Addr)
		}
	}
	return ds
}

// fallbackActive: every line is known and none is up (DesiredVirtual).
func (x *virtualIndex) fallbackActive() bool {
	return x.up == 0 && x.unknown == 0 && x.v.CheckType != ldcf.CheckOff
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
