package ipvs

// This file talks to the kernel's IPVS table (services and reals) over
// generic netlink through github.com/moby/ipvs, with the guard layer that
// golibs.md §2 asks for (family check, one mutex, explicit netmask, masked
// flags, errno-preserving errors, no logrus noise).
// moby's GetConfig, which panics on a kernel without IPVS, is never called.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/netip"
	"sync"
	"syscall"

	mobyipvs "github.com/moby/ipvs"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// ErrNoIPVS is returned (wrapped) by OpenNetlink when the running kernel has
// no IPVS: the generic-netlink family "IPVS" is not registered, so the ip_vs
// module is not loaded or not built.
var ErrNoIPVS = errors.New("kernel has no IPVS (generic netlink family IPVS missing): load ip_vs")

// Netlink is the Kernel of the network namespace it was opened in, spoken
// over generic netlink. It is safe for concurrent use: a mutex serialises
// every call, because the underlying moby/ipvs handle matches replies by
// sequence number and is not goroutine-safe (golibs.md §2.3 item 3).
//
// Port rewrite: like ipvsadm (ipvsadm.c, "The destination port must be
// equal to the service port if the IP_VS_CONN_F_TUNNEL or
// IP_VS_CONN_F_DROUTE is set"), AddReal and UpdateReal store a Gate or IPIP
// real of a non-fwmark service with the virtual service's port, whatever
// port the Real names. Reals therefore reads such a real back with the
// virtual port. DelReal accepts either port (see DelReal).
type Netlink struct {
	mu sync.Mutex
	h  *mobyipvs.Handle
}

var _ Kernel = (*Netlink)(nil)

var silenceLogrus sync.Once

// OpenNetlink opens the IPVS table of the network namespace of the calling
// OS thread. It first checks that the kernel has the "IPVS" generic-netlink
// family and, if not, returns an error wrapping ErrNoIPVS: moby/ipvs would
// otherwise "succeed" at everything and do nothing (moby/ipvs#27).
//
// moby/ipvs runs "modprobe -va ip_vs" once per process and logs through the
// global logrus logger; OpenNetlink discards logrus output (only moby/ipvs
// uses it in this module).
func OpenNetlink() (*Netlink, error) {
	silenceLogrus.Do(func() { logrus.SetOutput(io.Discard) })
	if _, err := ipvsFamily(); err != nil {
		return nil, fmt.Errorf("open ipvs: %w", err)
	}
	h, err := mobyipvs.New("")
	if err != nil {
		return nil, fmt.Errorf("open ipvs: %w", err)
	}
	return &Netlink{h: h}, nil
}

// ipvsFamily returns the id of the "IPVS" generic-netlink family, asking
// from the calling thread's network namespace. A kernel without the family
// gives an error wrapping ErrNoIPVS.
func ipvsFamily() (uint16, error) {
	f, err := netlink.GenlFamilyGet("IPVS")
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return 0, fmt.Errorf("%w (%v)", ErrNoIPVS, err)
		}
		return 0, fmt.Errorf("look up generic netlink family IPVS: %w", err)
	}
	return f.ID, nil
}

// Close releases the netlink socket. The Netlink must not be used after.
func (n *Netlink) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.h != nil {
		n.h.Close()
		n.h = nil
	}
	return nil
}

var errClosed = errors.New("ipvs netlink handle is closed")

// lock takes the mutex and reports whether the handle is still open.
func (n *Netlink) lock() error {
	n.mu.Lock()
	if n.h == nil {
		n.mu.Unlock()
		return errClosed
	}
	return nil
}

// Services lists every virtual service of the table; an empty table is an
// empty, non-nil slice.
func (n *Netlink) Services() ([]Service, error) {
	if err := n.lock(); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer n.mu.Unlock()
	ms, err := n.h.GetServices()
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	out := make([]Service, 0, len(ms))
	for _, m := range ms {
		s, err := fromMobyService(m)
		if err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Reals lists the real servers of service k. A missing service is an error
// wrapping syscall.ESRCH (the kernel's answer to a GET_SERVICE for it; its
// GET_DEST dump alone would return nothing). No reals is an empty slice.
func (n *Netlink) Reals(k ServiceKey) ([]Real, error) {
	ms, err := toMobyKey(k)
	if err != nil {
		return nil, fmt.Errorf("list reals of %s: %w", keyName(k), err)
	}
	if err := n.lock(); err != nil {
		return nil, fmt.Errorf("list reals of %s: %w", keyName(k), err)
	}
	defer n.mu.Unlock()
	if _, err := n.h.GetService(ms); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil, fmt.Errorf("list reals of %s: %w", keyName(k), err)
		}
		return nil, fmt.Errorf("list reals of %s: look up service: %w", keyName(k), err)
	}
	ds, err := n.h.GetDestinations(ms)
	if err != nil {
		return nil, fmt.Errorf("list reals of %s: %w", keyName(k), err)
	}
	out := make([]Real, 0, len(ds))
	for _, d := range ds {
		r, err := fromMobyDest(d)
		if err != nil {
			return nil, fmt.Errorf("list reals of %s: %w", keyName(k), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// AddService creates virtual service s; an existing one gives an error
// wrapping syscall.EEXIST.
func (n *Netlink) AddService(s Service) error {
	return n.svcOp("add service", s, (*mobyipvs.Handle).NewService)
}

// UpdateService changes scheduler, flags, timeout and netmask of the existing
// service s.Key; a missing one gives an error wrapping syscall.ESRCH.
func (n *Netlink) UpdateService(s Service) error {
	return n.svcOp("update service", s, (*mobyipvs.Handle).UpdateService)
}

func (n *Netlink) svcOp(what string, s Service, op func(*mobyipvs.Handle, *mobyipvs.Service) error) error {
	ms, err := toMobyService(s)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, keyName(s.Key), err)
	}
	if err := n.lock(); err != nil {
		return fmt.Errorf("%s %s: %w", what, keyName(s.Key), err)
	}
	defer n.mu.Unlock()
	if err := op(n.h, ms); err != nil {
		return fmt.Errorf("%s %s: %w", what, keyName(s.Key), err)
	}
	return nil
}

// DelService deletes service k and its reals; a missing one gives an error
// wrapping syscall.ESRCH.
func (n *Netlink) DelService(k ServiceKey) error {
	ms, err := toMobyKey(k)
	if err != nil {
		return fmt.Errorf("delete service %s: %w", keyName(k), err)
	}
	if err := n.lock(); err != nil {
		return fmt.Errorf("delete service %s: %w", keyName(k), err)
	}
	defer n.mu.Unlock()
	if err := n.h.DelService(ms); err != nil {
		return fmt.Errorf("delete service %s: %w", keyName(k), err)
	}
	return nil
}

// AddReal adds real r to service k, with ipvsadm's port rewrite for Gate and
// IPIP. An existing real gives an error wrapping syscall.EEXIST, a missing
// service one wrapping syscall.ESRCH.
func (n *Netlink) AddReal(k ServiceKey, r Real) error {
	return n.realOp("add real", "to", k, r, (*mobyipvs.Handle).NewDestination)
}

// UpdateReal changes weight, forwarding and thresholds of real r in service
// k, with ipvsadm's port rewrite for Gate and IPIP. A missing real gives an
// error wrapping syscall.ENOENT, a missing service one wrapping ESRCH.
func (n *Netlink) UpdateReal(k ServiceKey, r Real) error {
	return n.realOp("update real", "in", k, r, (*mobyipvs.Handle).UpdateDestination)
}

func (n *Netlink) realOp(what, prep string, k ServiceKey, r Real,
	op func(*mobyipvs.Handle, *mobyipvs.Service, *mobyipvs.Destination) error) error {
	r = rewritePort(k, r)
	fail := func(err error) error {
		return fmt.Errorf("%s %s %s %s: %w", what, r.Addr, prep, keyName(k), err)
	}
	if Is6(r.Addr.Addr()) != k.Is6() {
		// moby/ipvs sends no IPVS_DEST_ATTR_ADDR_FAMILY: the kernel would
		// read the address in the service's family and store another real
		// (2001:db8::1 under a v4 service became 32.1.13.184, found by
		// ipvstest's conformance table in the VM).
		return fail(fmt.Errorf("real of another address family than its service: %w", syscall.EINVAL))
	}
	ms, err := toMobyKey(k)
	if err != nil {
		return fail(err)
	}
	md, err := toMobyDest(r)
	if err != nil {
		return fail(err)
	}
	if err := n.lock(); err != nil {
		return fail(err)
	}
	defer n.mu.Unlock()
	if err := op(n.h, ms, md); err != nil {
		return fail(err)
	}
	return nil
}

// DelReal deletes real a from service k. A missing real gives an error
// wrapping syscall.ENOENT, a missing service one wrapping syscall.ESRCH.
//
// Because AddReal stored a Gate or IPIP real with the virtual port, a
// DelReal naming the real's configured port (say rip:8080 under vip:80) that
// finds nothing retries with the virtual port, but only deletes that entry
// if it is a Gate or IPIP real: a Masq real on the virtual port is a
// different real server.
func (n *Netlink) DelReal(k ServiceKey, a netip.AddrPort) error {
	fail := func(err error) error {
		return fmt.Errorf("delete real %s from %s: %w", a, keyName(k), err)
	}
	ms, err := toMobyKey(k)
	if err != nil {
		return fail(err)
	}
	if !a.Addr().IsValid() {
		return fail(errors.New("real has no address"))
	}
	if err := n.lock(); err != nil {
		return fail(err)
	}
	defer n.mu.Unlock()
	err = n.h.DelDestination(ms, &mobyipvs.Destination{Address: ipOf(a.Addr()), Port: a.Port()})
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.ENOENT) || k.IsFWMark() || a.Port() == k.Addr.Port() {
		return fail(err)
	}
	if d := n.rewrittenReal(ms, k, a.Addr()); d != nil {
		if derr := n.h.DelDestination(ms, d); derr != nil {
			return fail(derr)
		}
		return nil
	}
	return fail(err)
}

// rewrittenReal finds the Gate or IPIP real at address a that AddReal stored
// under the virtual port of k, or nil. Called with the mutex held.
func (n *Netlink) rewrittenReal(ms *mobyipvs.Service, k ServiceKey, a netip.Addr) *mobyipvs.Destination {
	ds, err := n.h.GetDestinations(ms)
	if err != nil {
		return nil
	}
	for _, d := range ds {
		fwd := Forward(d.ConnectionFlags & mobyipvs.ConnectionFlagFwdMask)
		if d.Port == k.Addr.Port() && (fwd == Gate || fwd == IPIP) && addrOf(d.Address) == a.Unmap() {
			return d
		}
	}
	return nil
}

// rewritePort applies ipvsadm's rule: a Gate or IPIP real of a non-fwmark
// service carries the virtual service's port (the kernel cannot change the
// port when it does not rewrite the packet).
func rewritePort(k ServiceKey, r Real) Real {
	if !k.IsFWMark() && (r.Forward == Gate || r.Forward == IPIP) {
		r.Addr = netip.AddrPortFrom(r.Addr.Addr(), k.Addr.Port())
	}
	return r
}

// keyName renders k for error messages: "TCP 10.1.1.10:80", "FWM 80",
// "FWM 80 IPv6".
func keyName(k ServiceKey) string {
	if k.IsFWMark() {
		if k.Is6() {
			return fmt.Sprintf("FWM %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM %d", k.FWMark)
	}
	return fmt.Sprintf("%s %s", k.Proto, k.Addr)
}

// family returns the AF_* of an address, treating 4-in-6 as IPv4.
func family(a netip.Addr) uint16 {
	if Is6(a) {
		return syscall.AF_INET6
	}
	return syscall.AF_INET
}

func ipOf(a netip.Addr) net.IP { return net.IP(a.Unmap().AsSlice()) }

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// toMobyKey fills the identity fields (and AddressFamily, which moby/ipvs
// requires and does not infer) of a moby service.
func toMobyKey(k ServiceKey) (*mobyipvs.Service, error) {
	if k.IsFWMark() {
		af := uint16(syscall.AF_INET)
		if k.Is6() {
			af = syscall.AF_INET6
		}
		return &mobyipvs.Service{FWMark: k.FWMark, AddressFamily: af}, nil
	}
	if !k.Addr.Addr().IsValid() {
		return nil, errors.New("service has no address")
	}
	if k.Proto == 0 {
		return nil, errors.New("service has no protocol")
	}
	return &mobyipvs.Service{
		Address:       ipOf(k.Addr.Addr()),
		Port:          k.Addr.Port(),
		Protocol:      uint16(k.Proto),
		AddressFamily: family(k.Addr.Addr()),
	}, nil
}

// toMobyService converts a full service. The persistence netmask is always
// sent explicitly: for IPv4 as the 4 mask bytes read in native order,
// because moby/ipvs encodes Netmask in native order while the kernel reads
// the attribute as __be32; for IPv6 as the prefix length, which is what
// the kernel expects there (ip_vs_add_service checks 1..128).
func toMobyService(s Service) (*mobyipvs.Service, error) {
	ms, err := toMobyKey(s.Key)
	if err != nil {
		return nil, err
	}
	if s.Scheduler == "" {
		return nil, errors.New("service has no scheduler")
	}
	ms.SchedName = s.Scheduler
	ms.Flags = s.Flags &^ FlagHashed
	ms.Timeout = s.Timeout
	if ms.AddressFamily == syscall.AF_INET6 {
		if s.NetmaskBits > 128 {
			return nil, fmt.Errorf("netmask /%d out of range for IPv6 (want 1-128)", s.NetmaskBits)
		}
		ms.Netmask = uint32(s.NetmaskBits)
		return ms, nil
	}
	if s.NetmaskBits > 32 {
		return nil, fmt.Errorf("netmask /%d out of range for IPv4 (want 0-32)", s.NetmaskBits)
	}
	var mask [4]byte
	binary.BigEndian.PutUint32(mask[:], ^uint32(0)<<(32-uint(s.NetmaskBits))) // /0: shift by 32 gives 0
	ms.Netmask = binary.NativeEndian.Uint32(mask[:])
	return ms, nil
}

// fromMobyService converts a service read from the kernel, dropping the
// kernel-owned FlagHashed and turning the netmask back into a prefix length
// (for IPv4 the leading one bits of the mask; a non-contiguous mask set by
// another tool is reported by its leading ones).
func fromMobyService(m *mobyipvs.Service) (Service, error) {
	var s Service
	switch {
	case m.FWMark != 0:
		s.Key = FWMarkKey(m.FWMark, m.AddressFamily == syscall.AF_INET6)
	default:
		a, ok := netip.AddrFromSlice(m.Address)
		if !ok {
			return Service{}, fmt.Errorf("kernel service has a bad address %v", m.Address)
		}
		if m.AddressFamily == syscall.AF_INET {
			a = a.Unmap()
		}
		s.Key = ServiceKey{Proto: Proto(m.Protocol), Addr: netip.AddrPortFrom(a, m.Port)}
	}
	s.Scheduler = m.SchedName
	s.Flags = m.Flags &^ FlagHashed
	s.Timeout = m.Timeout
	if m.AddressFamily == syscall.AF_INET6 {
		s.NetmaskBits = uint8(min(m.Netmask, 128))
	} else {
		var mask [4]byte
		binary.NativeEndian.PutUint32(mask[:], m.Netmask)
		s.NetmaskBits = uint8(bits.LeadingZeros32(^binary.BigEndian.Uint32(mask[:])))
	}
	return s, nil
}

func toMobyDest(r Real) (*mobyipvs.Destination, error) {
	if !r.Addr.Addr().IsValid() {
		return nil, errors.New("real has no address")
	}
	if r.Weight < 0 || r.Weight > 65535 {
		// ipvsadm's limit; the kernel takes more but says ERANGE for a
		// negative weight, which the netlink u32 would make of 2^31 and up.
		return nil, fmt.Errorf("weight %d out of range (want 0-65535): %w", r.Weight, syscall.ERANGE)
	}
	if r.Forward > Gate {
		return nil, fmt.Errorf("unknown forwarding method %d", r.Forward)
	}
	return &mobyipvs.Destination{
		Address:         ipOf(r.Addr.Addr()),
		Port:            r.Addr.Port(),
		Weight:          r.Weight,
		ConnectionFlags: uint32(r.Forward),
		AddressFamily:   family(r.Addr.Addr()),
		UpperThreshold:  r.Upper,
		LowerThreshold:  r.Lower,
	}, nil
}

func fromMobyDest(d *mobyipvs.Destination) (Real, error) {
	a, ok := netip.AddrFromSlice(d.Address)
	if !ok {
		return Real{}, fmt.Errorf("kernel real has a bad address %v", d.Address)
	}
	if d.AddressFamily == syscall.AF_INET {
		a = a.Unmap()
	}
	return Real{
		Addr:     netip.AddrPortFrom(a, d.Port),
		Weight:   d.Weight,
		Forward:  Forward(d.ConnectionFlags & mobyipvs.ConnectionFlagFwdMask),
		Upper:    d.UpperThreshold,
		Lower:    d.LowerThreshold,
		Active:   d.ActiveConnections,
		Inactive: d.InactiveConnections,
	}, nil
}
