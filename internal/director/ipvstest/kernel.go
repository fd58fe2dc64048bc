// Package ipvstest holds a strict in-memory fake of ipvs.Kernel for tests:
// it fails like the kernel does (EEXIST, ESRCH, ENOENT, EINVAL), applies
// ipvsadm's Gate/IPIP port rewrite like the netlink adapter, keeps an
// ipvsadm-like log of every change and can fail the next call on demand;
// and SyncDaemons (sync.go), a strict fake of the kernel's connection-sync
// daemons and IPVS sysctls, shared by hbd's LVSSyncDaemonSwap tests and
// ldirectord's ipvs_sync tests.
package ipvstest

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// Kernel is a strict fake IPVS table. The zero value is an empty table ready
// to use. It is safe for concurrent use.
type Kernel struct {
	mu       sync.Mutex
	services map[ipvs.ServiceKey]*service
	ops      []string
	failNext error
	calls    int
}

type service struct {
	svc   ipvs.Service
	reals []ipvs.Real // newest first, like the kernel's list (list_add in __ip_vs_update_dest)
}

var _ ipvs.Kernel = (*Kernel)(nil)

// FailNext makes the next call of any method (listing or change) return err,
// wrapped like a kernel error, without doing anything.
func (k *Kernel) FailNext(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failNext = err
}

// Ops returns the log of successful changes in ipvsadm words, e.g.
// "-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1".
func (k *Kernel) Ops() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.ops)
}

// ResetOps clears the op log.
func (k *Kernel) ResetOps() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ops = nil
}

// Calls returns how many methods were called, listings included.
func (k *Kernel) Calls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

// enter takes the lock and consumes an injected failure. The caller must
// unlock.
func (k *Kernel) enter(what string) error {
	k.mu.Lock()
	k.calls++
	if k.services == nil {
		k.services = map[ipvs.ServiceKey]*service{}
	}
	if err := k.failNext; err != nil {
		k.failNext = nil
		return fmt.Errorf("%s: injected: %w", what, err)
	}
	return nil
}

// Services lists the services in key order.
func (k *Kernel) Services() ([]ipvs.Service, error) {
	defer k.mu.Unlock()
	if err := k.enter("list services"); err != nil {
		return nil, err
	}
	out := make([]ipvs.Service, 0, len(k.services))
	for _, s := range k.services {
		out = append(out, s.svc)
	}
	slices.SortFunc(out, func(a, b ipvs.Service) int { return CompareKeys(a.Key, b.Key) })
	return out, nil
}

// Reals lists the reals of service key newest first, as the kernel does.
func (k *Kernel) Reals(key ipvs.ServiceKey) ([]ipvs.Real, error) {
	defer k.mu.Unlock()
	if err := k.enter("list reals"); err != nil {
		return nil, err
	}
	s, ok := k.services[key]
	if !ok {
		return nil, fmt.Errorf("list reals of %s: %w", key, syscall.ESRCH)
	}
	return slices.Clone(s.reals), nil
}

// AddService creates s; EEXIST if it exists, EINVAL if s is malformed.
func (k *Kernel) AddService(s ipvs.Service) error {
	defer k.mu.Unlock()
	if err := k.enter("add service"); err != nil {
		return err
	}
	if err := validService(s); err != nil {
		return fmt.Errorf("add service %s: %w", s.Key, err)
	}
	if _, ok := k.services[s.Key]; ok {
		return fmt.Errorf("add service %s: %w", s.Key, syscall.EEXIST)
	}
	s.Flags &^= ipvs.FlagHashed
	k.services[s.Key] = &service{svc: s}
	k.ops = append(k.ops, "-A "+serviceArgs(s))
	return nil
}

// UpdateService changes s; ESRCH if it is missing.
func (k *Kernel) UpdateService(s ipvs.Service) error {
	defer k.mu.Unlock()
	if err := k.enter("update service"); err != nil {
		return err
	}
	if err := validService(s); err != nil {
		return fmt.Errorf("update service %s: %w", s.Key, err)
	}
	cur, ok := k.services[s.Key]
	if !ok {
		return fmt.Errorf("update service %s: %w", s.Key, syscall.ESRCH)
	}
	s.Flags &^= ipvs.FlagHashed
	cur.svc = s
	k.ops = append(k.ops, "-E "+serviceArgs(s))
	return nil
}

// DelService deletes service key and its reals; ESRCH if it is missing.
func (k *Kernel) DelService(key ipvs.ServiceKey) error {
	defer k.mu.Unlock()
	if err := k.enter("delete service"); err != nil {
		return err
	}
	if _, ok := k.services[key]; !ok {
		return fmt.Errorf("delete service %s: %w", key, syscall.ESRCH)
	}
	delete(k.services, key)
	k.ops = append(k.ops, "-D "+keyArgs(key))
	return nil
}

// AddReal adds r to service key (Gate/IPIP reals of an address service take
// the service's port, as ipvsadm does); ESRCH for a missing service, EEXIST
// for an existing real, EINVAL for a bad weight or address.
func (k *Kernel) AddReal(key ipvs.ServiceKey, r ipvs.Real) error {
	defer k.mu.Unlock()
	if err := k.enter("add real"); err != nil {
		return err
	}
	r = RewritePort(key, r)
	s, err := k.realTarget("add real", key, r)
	if err != nil {
		return err
	}
	if s.find(r.Addr) >= 0 {
		return fmt.Errorf("add real %s to %s: %w", r.Addr, key, syscall.EEXIST)
	}
	r.Active, r.Inactive = 0, 0
	s.reals = slices.Insert(s.reals, 0, r)
	k.ops = append(k.ops, "-a "+realArgs(key, r))
	return nil
}

// UpdateReal changes r in service key (with the port rewrite); ESRCH for a
// missing service, ENOENT for a missing real.
func (k *Kernel) UpdateReal(key ipvs.ServiceKey, r ipvs.Real) error {
	defer k.mu.Unlock()
	if err := k.enter("update real"); err != nil {
		return err
	}
	r = RewritePort(key, r)
	s, err := k.realTarget("update real", key, r)
	if err != nil {
		return err
	}
	i := s.find(r.Addr)
	if i < 0 {
		return fmt.Errorf("update real %s in %s: %w", r.Addr, key, syscall.ENOENT)
	}
	r.Active, r.Inactive = s.reals[i].Active, s.reals[i].Inactive
	s.reals[i] = r
	k.ops = append(k.ops, "-e "+realArgs(key, r))
	return nil
}

// DelReal deletes real a from service key; ESRCH for a missing service,
// ENOENT for a missing real. Like the netlink adapter, a miss on a's port
// retries on the service port for a Gate or IPIP real.
func (k *Kernel) DelReal(key ipvs.ServiceKey, a netip.AddrPort) error {
	defer k.mu.Unlock()
	if err := k.enter("delete real"); err != nil {
		return err
	}
	s, ok := k.services[key]
	if !ok {
		return fmt.Errorf("delete real %s from %s: %w", a, key, syscall.ESRCH)
	}
	i := s.find(a)
	if i < 0 && !key.IsFWMark() {
		j := s.find(netip.AddrPortFrom(a.Addr(), key.Addr.Port()))
		if j >= 0 && (s.reals[j].Forward == ipvs.Gate || s.reals[j].Forward == ipvs.IPIP) {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("delete real %s from %s: %w", a, key, syscall.ENOENT)
	}
	addr := s.reals[i].Addr
	s.reals = slices.Delete(s.reals, i, i+1)
	k.ops = append(k.ops, fmt.Sprintf("-d %s -r %s", keyArgs(key), addr))
	return nil
}

func (k *Kernel) realTarget(what string, key ipvs.ServiceKey, r ipvs.Real) (*service, error) {
	s, ok := k.services[key]
	if !ok {
		return nil, fmt.Errorf("%s %s to %s: %w", what, r.Addr, key, syscall.ESRCH)
	}
	if err := validReal(key, r); err != nil {
		return nil, fmt.Errorf("%s %s to %s: %w", what, r.Addr, key, err)
	}
	return s, nil
}

func (s *service) find(a netip.AddrPort) int {
	return slices.IndexFunc(s.reals, func(r ipvs.Real) bool { return r.Addr == a })
}

// RewritePort applies ipvsadm's rule, which the netlink adapter copies: a
// Gate or IPIP real of an address (non-fwmark) service carries the
// service's port.
func RewritePort(key ipvs.ServiceKey, r ipvs.Real) ipvs.Real {
	if !key.IsFWMark() && (r.Forward == ipvs.Gate || r.Forward == ipvs.IPIP) {
		r.Addr = netip.AddrPortFrom(r.Addr.Addr(), key.Addr.Port())
	}
	return r
}

// KernelSchedulers are the schedulers of the kernel the fake stands for,
// Debian 12's 6.1 (the test VM's): its ip_vs_<name> modules. twos came
// with 6.2 (net/netfilter/ipvs/ip_vs_twos.c).
var KernelSchedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}

func validService(s ipvs.Service) error {
	switch {
	case s.Scheduler == "":
		return fmt.Errorf("empty scheduler: %w", syscall.EINVAL)
	case !slices.Contains(KernelSchedulers, s.Scheduler):
		// ip_vs_scheduler_get finds no module ip_vs_<name>.
		return fmt.Errorf("scheduler %q not found: %w", s.Scheduler, syscall.ENOENT)
	case !s.Key.IsFWMark() && !s.Key.Addr.Addr().IsValid():
		return fmt.Errorf("no address: %w", syscall.EINVAL)
	case !s.Key.IsFWMark() && s.Key.Proto == 0:
		return fmt.Errorf("no protocol: %w", syscall.EINVAL)
	case s.Key.Is6() && (s.NetmaskBits == 0 || s.NetmaskBits > 128):
		return fmt.Errorf("netmask /%d (want 1-128): %w", s.NetmaskBits, syscall.EINVAL)
	case !s.Key.Is6() && s.NetmaskBits > 32:
		return fmt.Errorf("netmask /%d (want 0-32): %w", s.NetmaskBits, syscall.EINVAL)
	}
	return nil
}

// validReal checks r as a real of service key with the errors of the
// netlink adapter over the 6.1 kernel (conformance.go): ERANGE for a
// negative weight or one above 65535 (the adapter's, as ipvsadm's) and for
// a lower threshold above the upper one (ip_vs_add_dest); EINVAL for a
// threshold above 2^31-1 (the kernel's attribute policy) and for a real of
// another address family than its service (the adapter's: moby/ipvs cannot
// send the real's family, the kernel would read its address in the
// service's).
func validReal(key ipvs.ServiceKey, r ipvs.Real) error {
	switch {
	case !r.Addr.Addr().IsValid():
		return fmt.Errorf("no address: %w", syscall.EINVAL)
	case r.Weight < 0 || r.Weight > 65535:
		return fmt.Errorf("weight %d (want 0-65535): %w", r.Weight, syscall.ERANGE)
	case r.Upper > math.MaxInt32 || r.Lower > math.MaxInt32:
		return fmt.Errorf("thresholds %d/%d (want at most 2^31-1): %w", r.Upper, r.Lower, syscall.EINVAL)
	case r.Lower > r.Upper:
		return fmt.Errorf("lower threshold %d above the upper %d: %w", r.Lower, r.Upper, syscall.ERANGE)
	case r.Forward > ipvs.Gate:
		return fmt.Errorf("forwarding %d: %w", r.Forward, syscall.EINVAL)
	case key.Is6() != ipvs.Is6(r.Addr.Addr()):
		return fmt.Errorf("real of another address family than its service: %w", syscall.EINVAL)
	}
	return nil
}

// CompareKeys orders service keys: address services by protocol, address
// and port, then fwmark services by family and mark.
func CompareKeys(a, b ipvs.ServiceKey) int {
	if a.IsFWMark() != b.IsFWMark() {
		if a.IsFWMark() {
			return 1
		}
		return -1
	}
	if c := a.Addr.Compare(b.Addr); c != 0 {
		return c
	}
	if a.Proto != b.Proto {
		return int(a.Proto) - int(b.Proto)
	}
	return int(a.FWMark) - int(b.FWMark)
}

// keyArgs renders the service option of ipvsadm: "-t 10.1.1.10:80",
// "-u [2001:db8::1]:53", "-f 80", "-f 80 -6".
func keyArgs(k ipvs.ServiceKey) string {
	if k.IsFWMark() {
		if k.Is6() {
			return fmt.Sprintf("-f %d -6", k.FWMark)
		}
		return fmt.Sprintf("-f %d", k.FWMark)
	}
	opt := map[ipvs.Proto]string{ipvs.TCP: "-t", ipvs.UDP: "-u", ipvs.SCTP: "--sctp-service"}[k.Proto]
	if opt == "" {
		opt = fmt.Sprintf("--proto-%d", k.Proto)
	}
	return opt + " " + k.Addr.String()
}

func serviceArgs(s ipvs.Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -s %s", keyArgs(s.Key), s.Scheduler)
	if s.Flags&ipvs.FlagPersistent != 0 {
		fmt.Fprintf(&b, " -p %d -M %s", s.Timeout, ipvs.MaskText(s.Key, s.NetmaskBits))
	}
	if f := ipvs.SchedFlagsText(s.Scheduler, s.Flags); f != "" {
		b.WriteString(" -b " + f)
	}
	if s.Flags&ipvs.FlagOnePacket != 0 {
		b.WriteString(" -o")
	}
	return b.String()
}

func realArgs(k ipvs.ServiceKey, r ipvs.Real) string {
	fwd := map[ipvs.Forward]string{ipvs.Masq: "-m", ipvs.Local: "-g", ipvs.IPIP: "-i", ipvs.Gate: "-g"}[r.Forward]
	s := fmt.Sprintf("%s -r %s %s -w %d", keyArgs(k), r.Addr, fwd, r.Weight)
	if r.Upper != 0 || r.Lower != 0 {
		s += fmt.Sprintf(" -x %d -y %d", r.Upper, r.Lower)
	}
	return s
}
