package director

import (
	"net/netip"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Role says what a configured address is inside a virtual service.
type Role uint8

// Roles of configured addresses.
const (
	RoleReal     Role = iota + 1 // a real= server
	RoleFallback                 // the fallback= (sorry) server
)

// DesiredService is one virtual service with the reals the kernel should
// hold. The same type describes the kernel's table (Pending and Roles nil).
type DesiredService struct {
	Service ipvs.Service
	// Reals are the reals the kernel should hold, keyed by kernel address
	// (after the port defaulting and the Gate/IPIP port rewrite).
	Reals map[netip.AddrPort]ipvs.Real
	// Pending are reals whose health is not known yet: a diff neither adds,
	// changes nor deletes them, so a restart does not drop reals that the
	// previous instance left serving, and nothing unchecked is added.
	Pending map[netip.AddrPort]bool
	// Placeholders are Pending reals of an mh virtual that a full diff adds
	// at weight 0 when the kernel lacks them: Maglev builds its table from
	// the order of the real list, so every director must add the reals in
	// one order (address order, at start), not in the order their first
	// checks happen to pass. A health event then only changes the weight.
	Placeholders map[netip.AddrPort]ipvs.Real
	// Roles names every configured address (reals and the fallback,
	// whatever their state), for log wording: an address without a role
	// inside a managed service is purged.
	Roles map[netip.AddrPort]Role
}

// Table is a set of virtual services: the desired table, the kernel's, or
// what the director applied.
type Table map[ipvs.ServiceKey]DesiredService

// Desired returns the table cfg asks for given the health of the reals
// (ldirectord semantics, anchors.md §2.6-2.7):
//   - an up real is present at its configured weight;
//   - a down real is present at weight 0 with quiescent=yes, absent otherwise;
//   - an unknown real is Pending (see DesiredService.Pending);
//   - checktype=on: every real is up; checktype=off: no reals and no fallback;
//   - the fallback is present (weight 1) when every real is known and none is up.
func Desired(cfg *ldcf.Config, health HealthView) Table {
	t := Table{}
	for _, v := range cfg.Virtuals {
		ds := DesiredVirtual(v, health)
		t[ds.Service.Key] = ds
	}
	return t
}

// Plan is the table `ldirectord check` prints: Desired with every real
// assumed up, so it shows every service and real that can ever be applied
// (reals of checktype=off excluded, fallbacks only when a virtual has no
// real).
func Plan(cfg *ldcf.Config) Table { return Desired(cfg, AllUp{}) }

// DesiredVirtual is Desired for one virtual. It and the per-result index
// (index.go) share one rule set: lineState for each real= line,
// addrWant.next folded over the lines of one kernel address, fallbackActive for the fallback, and
// DesiredService.place for how either lands in the table.
func DesiredVirtual(v *ldcf.Virtual, health HealthView) DesiredService {
	ds := newDesiredService(ServiceFor(v))
	up, unknown := 0, 0
	for _, r := range v.Reals {
		real := RealFor(v, r)
		st := lineState(v, CheckKeyFor(v, r), health)
		up += boolInt(st == Up)
		unknown += boolInt(st == Unknown)
		ds.place(real.Addr, ds.want(real.Addr).next(v, st, real))
	}
	if fb, ok := FallbackFor(v); ok {
		ds.placeFallback(fb, fallbackActive(v, up, unknown))
	}
	if v.Scheduler == "mh" && v.CheckType != ldcf.CheckOff {
		ds.placeholders(v)
	}
	return ds
}

// placeholders fills ds.Placeholders with v's pending reals at weight 0.
func (ds *DesiredService) placeholders(v *ldcf.Virtual) {
	for _, r := range v.Reals {
		real := RealFor(v, r)
		if !ds.Pending[real.Addr] {
			continue
		}
		if ds.Placeholders == nil {
			ds.Placeholders = map[netip.AddrPort]ipvs.Real{}
		}
		real.Weight = 0
		ds.Placeholders[real.Addr] = real
	}
}

func newDesiredService(svc ipvs.Service) DesiredService {
	return DesiredService{
		Service: svc,
		Reals:   map[netip.AddrPort]ipvs.Real{},
		Pending: map[netip.AddrPort]bool{},
		Roles:   map[netip.AddrPort]Role{},
	}
}

// addrWant is what one real address gets from the lines that share it.
type addrWant struct {
	real    ipvs.Real
	present bool // in the table at real.Weight
	pending bool // health not known yet: left as it is
}

// next is the rule for one kernel address, folded over its lines in
// configuration order (the zero addrWant before the first): the last up
// line wins at its weight; else, with quiescent, the first down line at
// weight 0; an unknown line leaves the address pending unless another line
// placed it.
func (w addrWant) next(v *ldcf.Virtual, st State, real ipvs.Real) addrWant {
	switch st {
	case Up:
		return addrWant{real: real, present: true}
	case Unknown:
		if !w.present {
			w.pending = true
		}
	case Down:
		if v.Quiescent && v.CheckType != ldcf.CheckOff {
			if !w.present {
				w.real, w.present = real, true
				w.real.Weight = 0
			}
			w.pending = false
		}
	}
	return w
}

// fallbackActive is the fallback rule: every line is known and none is up
// (up and unknown count lines), and the virtual is checked at all.
func fallbackActive(v *ldcf.Virtual, up, unknown int) bool {
	return up == 0 && unknown == 0 && v.CheckType != ldcf.CheckOff
}

// place records what real address a gets, replacing what it had.
func (ds DesiredService) place(a netip.AddrPort, w addrWant) {
	ds.Roles[a] = RoleReal
	if w.present {
		ds.Reals[a] = w.real
	} else {
		delete(ds.Reals, a)
	}
	if w.pending {
		ds.Pending[a] = true
	} else {
		delete(ds.Pending, a)
	}
}

// want is what place last recorded for real address a (the zero addrWant
// before).
func (ds DesiredService) want(a netip.AddrPort) addrWant {
	r, present := ds.Reals[a]
	return addrWant{real: r, present: present, pending: ds.Pending[a]}
}

// placeFallback records the fallback, present when active; it takes the
// place of a real of the same address.
func (ds DesiredService) placeFallback(fb ipvs.Real, active bool) {
	ds.Roles[fb.Addr] = RoleFallback
	if active {
		ds.Reals[fb.Addr] = fb
		delete(ds.Pending, fb.Addr)
	}
}

// lineState is the state of the real= line checked as key in v: checktype
// on is up unless a maintenance file forced it down, off always down,
// anything else what the health table says.
func lineState(v *ldcf.Virtual, key CheckKey, health HealthView) State {
	switch v.CheckType {
	case ldcf.CheckOn:
		return onState(health.State(key))
	case ldcf.CheckOff:
		return Down
	}
	return health.State(key)
}

// ServiceFor returns the kernel service of virtual v.
func ServiceFor(v *ldcf.Virtual) ipvs.Service {
	s := ipvs.Service{Scheduler: v.Scheduler, NetmaskBits: v.NetmaskBits}
	if v.FWMark != 0 {
		s.Key = ipvs.FWMarkKey(v.FWMark, v.IPv6)
	} else {
		proto := ipvs.TCP
		if v.Protocol == "udp" {
			proto = ipvs.UDP
		}
		s.Key = ipvs.ServiceKey{Proto: proto, Addr: v.Addr}
	}
	if s.Scheduler == "" {
		s.Scheduler = "wrr"
	}
	full := s.Key.FullMaskBits()
	if s.NetmaskBits == 0 || s.NetmaskBits > full {
		s.NetmaskBits = full
	}
	if v.Persistent > 0 {
		s.Flags |= ipvs.FlagPersistent
		s.Timeout = v.Persistent
	}
	if v.OPS {
		s.Flags |= ipvs.FlagOnePacket
	}
	flags, _ := SchedFlags(v.SchedFlags)
	s.Flags |= flags
	return s
}

// SchedFlags maps schedflags= (ipvsadm -b) names to service flags:
// sh-fallback/mh-fallback/flag-1 = SCHED1, sh-port/mh-port/flag-2 = SCHED2,
// flag-3 = SCHED3. Unknown names are returned as an error naming them; the
// known ones are still mapped.
func SchedFlags(s string) (uint32, error) {
	var flags uint32
	var bad []string
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '|' }) {
		switch name {
		case "sh-fallback", "mh-fallback", "flag-1":
			flags |= ipvs.FlagSched1
		case "sh-port", "mh-port", "flag-2":
			flags |= ipvs.FlagSched2
		case "flag-3":
			flags |= ipvs.FlagSched3
		default:
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		return flags, &schedFlagsError{names: bad}
	}
	return flags, nil
}

type schedFlagsError struct{ names []string }

func (e *schedFlagsError) Error() string {
	return "unknown schedflags " + strings.Join(e.names, ",") +
		" (want sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3)"
}

// RealFor returns the kernel real of r in v at its configured weight: a
// port of 0 in an address service takes the virtual's port, and a Gate or
// IPIP real of an address service carries the virtual's port (ipvsadm).
func RealFor(v *ldcf.Virtual, r ldcf.Real) ipvs.Real {
	return ipvs.Real{
		Addr:    kernelAddr(v, r.Addr, forward(r.Forward)),
		Weight:  r.Weight,
		Forward: forward(r.Forward),
		Upper:   r.Upper,
		Lower:   r.Lower,
	}
}

// FallbackFor returns v's fallback real (weight 1), if v has one.
func FallbackFor(v *ldcf.Virtual) (ipvs.Real, bool) {
	if v.Fallback == nil {
		return ipvs.Real{}, false
	}
	fwd := forward(v.Fallback.Forward)
	return ipvs.Real{Addr: kernelAddr(v, v.Fallback.Addr, fwd), Weight: 1, Forward: fwd}, true
}

func kernelAddr(v *ldcf.Virtual, a netip.AddrPort, fwd ipvs.Forward) netip.AddrPort {
	if v.FWMark != 0 {
		return a
	}
	if a.Port() == 0 || fwd == ipvs.Gate || fwd == ipvs.IPIP {
		return netip.AddrPortFrom(a.Addr(), v.Addr.Port())
	}
	return a
}

func forward(f ldcf.Forward) ipvs.Forward {
	switch f {
	case ldcf.Masq:
		return ipvs.Masq
	case ldcf.IPIP:
		return ipvs.IPIP
	}
	return ipvs.Gate
}

// onState is the state of a real of a checktype=on virtual whose check key
// has health h: up, unless maintenancedir forced it down (ldirectord's
// _check_real looks for the maintenance file before it looks at the check
// type). Such keys are never checked, so Down is only ever forced.
func onState(h State) State {
	if h == Down {
		return Down
	}
	return Up
}
