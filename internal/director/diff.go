package director

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// OpKind is the kind of one kernel change.
type OpKind uint8

// Kinds of ops, in the order Diff emits them for one service.
const (
	AddService OpKind = iota + 1
	UpdateService
	AddReal
	UpdateReal
	DelReal
	DelService
)

// String names the kind like ipvsadm's option: "-A", "-E", "-a", "-e", "-d", "-D".
func (k OpKind) String() string {
	switch k {
	case AddService:
		return "-A"
	case UpdateService:
		return "-E"
	case AddReal:
		return "-a"
	case UpdateReal:
		return "-e"
	case DelReal:
		return "-d"
	case DelService:
		return "-D"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one change to the kernel table, with the reason for it.
type Op struct {
	Kind    OpKind
	Service ipvs.Service // complete for AddService/UpdateService; Key for the others
	Real    ipvs.Real    // the real to add or update; Addr for DelReal
	Role    Role         // the real's configured role; 0 = not configured (purge)
	Reason  string
}

// String renders op compactly for logs and test failures.
func (op Op) String() string {
	switch op.Kind {
	case AddService, UpdateService, DelService:
		return fmt.Sprintf("%s %s (%s)", op.Kind, op.Service.Key, op.Reason)
	case DelReal:
		return fmt.Sprintf("%s %s -r %s (%s)", op.Kind, op.Service.Key, op.Real.Addr, op.Reason)
	}
	return fmt.Sprintf("%s %s -r %s %s w%d (%s)", op.Kind, op.Service.Key, op.Real.Addr, op.Real.Forward, op.Real.Weight, op.Reason)
}

// Owned is what this director manages: the services it created or adopted
// (a configured service found in the kernel), and per service the last
// config it wrote for each real.
type Owned map[ipvs.ServiceKey]OwnedService

// OwnedService is one managed service.
type OwnedService struct {
	Created bool                         // AddService was ours
	Reals   map[netip.AddrPort]ipvs.Real // last config we wrote, per real
}

// Diff returns the ops that turn kernel into desired, touching only
// services that are desired or owned; every other (foreign) service is left
// alone. It never deletes a service or real that stays desired: a
// difference is an update. Rules:
//   - a desired service missing from the kernel is added with its reals; a
//     different one is updated;
//   - in a desired service, missing reals are added, different ones updated,
//     and reals that are neither desired nor Pending are deleted
//     (ldirectord purges untracked reals, purge_untracked_service);
//   - a placeholder (DesiredService.Placeholders: a pending real of an mh
//     virtual) missing from the kernel is added at weight 0, in address
//     order with the other adds;
//   - an owned service no longer desired is deleted (its reals with it);
//   - a manual weight change is kept (ldirectord PR #125): a real whose
//     kernel config differs from the desired one only in weight, while
//     what we last wrote equals the desired one, is left alone. The next
//     health transition writes the weight again.
//
// Ops are ordered: per service (in key order) the service op, then adds,
// updates and deletes of reals (in address order); deleted services last.
func Diff(desired, kernel Table, owned Owned) []Op {
	var ops []Op
	for _, key := range sortedKeys(desired) {
		want := desired[key]
		have, exists := kernel[key]
		switch {
		case !exists:
			ops = append(ops, Op{Kind: AddService, Service: want.Service, Reason: "service not in the kernel"})
		case !want.Service.SameConfig(have.Service):
			ops = append(ops, Op{Kind: UpdateService, Service: want.Service, Reason: serviceChange(have.Service, want.Service)})
		}
		ops = append(ops, diffReals(want, have.Reals, owned[key].Reals)...)
	}
	for _, key := range sortedKeys(owned) {
		if _, ok := desired[key]; ok {
			continue
		}
		if have, ok := kernel[key]; ok {
			ops = append(ops, Op{Kind: DelService, Service: have.Service, Reason: "virtual no longer configured"})
		}
	}
	return ops
}

func diffReals(want DesiredService, have, applied map[netip.AddrPort]ipvs.Real) []Op {
	var adds, updates, dels []Op
	key := want.Service.Key
	for _, a := range sortedUnion(want.Reals, want.Placeholders) {
		w, wanted := want.Reals[a]
		h, ok := have[a]
		switch {
		case !wanted:
			if p := want.Placeholders[a]; !ok && want.Pending[a] {
				adds = append(adds, Op{Kind: AddReal, Service: ipvs.Service{Key: key}, Real: p, Role: want.Roles[a],
					Reason: "placeholder at weight 0 until checked: mh needs one real order on every director"})
			}
		case !ok:
			adds = append(adds, Op{Kind: AddReal, Service: ipvs.Service{Key: key}, Real: w, Role: want.Roles[a], Reason: "real not in the kernel"})
		case w.SameConfig(h):
		case manualWeight(w, h, applied):
		default:
			updates = append(updates, Op{Kind: UpdateReal, Service: ipvs.Service{Key: key}, Real: w, Role: want.Roles[a], Reason: realChange(h, w)})
		}
	}
	for _, a := range sortedAddrs(have) {
		if _, ok := want.Reals[a]; ok || want.Pending[a] {
			continue
		}
		reason := "real not configured"
		if want.Roles[a] != 0 {
			reason = "real not wanted in its state"
		}
		dels = append(dels, Op{Kind: DelReal, Service: ipvs.Service{Key: key}, Real: ipvs.Real{Addr: a}, Role: want.Roles[a], Reason: reason})
	}
	return slices.Concat(adds, updates, dels)
}

// manualWeight reports whether kernel real h differs from desired w only by
// a weight someone else set after we wrote w.
func manualWeight(w, h ipvs.Real, applied map[netip.AddrPort]ipvs.Real) bool {
	last, ok := applied[w.Addr]
	if !ok || !last.SameConfig(w) {
		return false
	}
	h.Weight = w.Weight
	return h.SameConfig(w)
}

// DiffReal is the single-real diff of a health event: the one op that turns
// have (the real as last applied; nil = absent) into want (nil = absent),
// with no table rescan. ok is false when nothing needs doing.
func DiffReal(svc ipvs.ServiceKey, want, have *ipvs.Real, role Role, reason string) (op Op, ok bool) {
	op = Op{Service: ipvs.Service{Key: svc}, Role: role, Reason: reason}
	switch {
	case want == nil && have == nil:
		return Op{}, false
	case want == nil:
		op.Kind, op.Real = DelReal, ipvs.Real{Addr: have.Addr}
	case have == nil:
		op.Kind, op.Real = AddReal, *want
	case want.SameConfig(*have):
		return Op{}, false
	default:
		op.Kind, op.Real = UpdateReal, *want
	}
	return op, true
}

// Apply records op's effect in t, as the kernel would apply it. It is how
// the director keeps its model of the kernel between full reads.
func (t Table) Apply(op Op) {
	key := op.Service.Key
	switch op.Kind {
	case AddService, UpdateService:
		ds := t[key]
		ds.Service = op.Service
		if ds.Reals == nil {
			ds.Reals = map[netip.AddrPort]ipvs.Real{}
		}
		t[key] = ds
	case DelService:
		delete(t, key)
	case AddReal, UpdateReal:
		if ds, ok := t[key]; ok {
			ds.Reals[op.Real.Addr] = op.Real
		}
	case DelReal:
		if ds, ok := t[key]; ok {
			delete(ds.Reals, op.Real.Addr)
		}
	}
}

// Clone returns a deep copy of t.
func (t Table) Clone() Table {
	out := make(Table, len(t))
	for k, ds := range t {
		ds.Reals = maps.Clone(ds.Reals)
		ds.Pending = maps.Clone(ds.Pending)
		ds.Roles = maps.Clone(ds.Roles)
		out[k] = ds
	}
	return out
}

func serviceChange(have, want ipvs.Service) string {
	switch {
	case have.Scheduler != want.Scheduler:
		return fmt.Sprintf("scheduler %s, want %s", have.Scheduler, want.Scheduler)
	case have.Timeout != want.Timeout || (have.Flags^want.Flags)&ipvs.FlagPersistent != 0:
		return fmt.Sprintf("persistence %d s, want %d s", have.Timeout, want.Timeout)
	case have.NetmaskBits != want.NetmaskBits:
		return fmt.Sprintf("netmask /%d, want /%d", have.NetmaskBits, want.NetmaskBits)
	}
	return fmt.Sprintf("flags %#x, want %#x", have.Flags&^ipvs.FlagHashed, want.Flags)
}

func realChange(have, want ipvs.Real) string {
	switch {
	case have.Forward != want.Forward:
		return fmt.Sprintf("forwarding %s, want %s", have.Forward, want.Forward)
	case have.Weight != want.Weight:
		return fmt.Sprintf("weight %d, want %d", have.Weight, want.Weight)
	}
	return fmt.Sprintf("thresholds u:%d l:%d, want u:%d l:%d", have.Upper, have.Lower, want.Upper, want.Lower)
}

// CompareKeys orders service keys: address services by address, port and
// protocol, then fwmark services by family and mark.
func CompareKeys(a, b ipvs.ServiceKey) int {
	if a.IsFWMark() != b.IsFWMark() {
		if a.IsFWMark() {
			return 1
		}
		return -1
	}
	return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.FWMark, b.FWMark))
}

func sortedKeys[V any](m map[ipvs.ServiceKey]V) []ipvs.ServiceKey {
	return slices.SortedFunc(maps.Keys(m), CompareKeys)
}

func sortedAddrs[V any](m map[netip.AddrPort]V) []netip.AddrPort {
	return slices.SortedFunc(maps.Keys(m), netip.AddrPort.Compare)
}

// sortedUnion is the sorted keys of a and b, without duplicates.
func sortedUnion(a, b map[netip.AddrPort]ipvs.Real) []netip.AddrPort {
	keys := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	return slices.Compact(slices.SortedFunc(slices.Values(keys), netip.AddrPort.Compare))
}

// RepairOps filters a full diff for the periodic drift repair, which fixes
// what went missing or wrong but, like ldirectord between reloads, does not
// remove what someone else added or re-add a quiescent real: it drops
// deletes of reals that are neither configured nor written by us, and,
// without readdquiescent, adds of weight-0 reals.
func RepairOps(ops []Op, owned Owned, readdQuiescent bool) []Op {
	return slices.DeleteFunc(slices.Clone(ops), func(op Op) bool {
		switch op.Kind {
		case DelReal:
			_, ours := owned[op.Service.Key].Reals[op.Real.Addr]
			return op.Role == 0 && !ours
		case AddReal:
			return op.Real.Weight == 0 && op.Role == RoleReal && !readdQuiescent
		}
		return false
	})
}
