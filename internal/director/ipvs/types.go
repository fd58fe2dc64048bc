package ipvs

import (
	"fmt"
	"net/netip"
)

// Proto is the transport protocol of a virtual service, using the IANA
// protocol numbers the kernel expects (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP).
// A firewall-mark service has Proto 0.
type Proto uint16

// Transport protocols understood by IPVS.
const (
	TCP  Proto = 6
	UDP  Proto = 17
	SCTP Proto = 132
)

// String returns the protocol as ipvsadm prints it ("TCP", "UDP", "SCTP", "FWM").
func (p Proto) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	case 0:
		return "FWM"
	}
	return fmt.Sprintf("proto(%d)", uint16(p))
}

// ServiceKey identifies one virtual service in the kernel table. It is a
// comparable value, usable as a map key.
//
// For an address service, Proto and Addr are set and FWMark is 0. For a
// firewall-mark service, FWMark is non-zero, Proto is 0, and Addr carries only
// the address family: netip.IPv4Unspecified() or netip.IPv6Unspecified()
// with port 0 (the kernel keys fwmark services by mark and family).
type ServiceKey struct {
	Proto  Proto
	Addr   netip.AddrPort
	FWMark uint32
}

// IsFWMark reports whether the key names a firewall-mark service.
func (k ServiceKey) IsFWMark() bool { return k.FWMark != 0 }

// Is6 reports whether the service is an IPv6 one.
func (k ServiceKey) Is6() bool { return Is6(k.Addr.Addr()) }

// Is6 reports whether a is an IPv6 address (an IPv4-mapped one counts as
// IPv4, as the kernel table holds it).
func Is6(a netip.Addr) bool { return a.Is6() && !a.Is4In6() }

// FullMaskBits is the prefix length of one address of k's family, 32 or
// 128: the persistence netmask that gives every client its own template.
func (k ServiceKey) FullMaskBits() uint8 {
	if k.Is6() {
		return 128
	}
	return 32
}

// String renders the key the way ipvsadm -Ln prints a service:
// "TCP  10.1.1.10:80", "UDP  [2001:db8::1]:53", "FWM  80".
func (k ServiceKey) String() string {
	if k.IsFWMark() {
		if k.Is6() {
			return fmt.Sprintf("FWM  %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM  %d", k.FWMark)
	}
	return fmt.Sprintf("%s  %s", k.Proto, k.Addr)
}

// FWMarkKey returns the key of firewall-mark service mark in the given family.
func FWMarkKey(mark uint32, ipv6 bool) ServiceKey {
	a := netip.IPv4Unspecified()
	if ipv6 {
		a = netip.IPv6Unspecified()
	}
	return ServiceKey{FWMark: mark, Addr: netip.AddrPortFrom(a, 0)}
}

// Service flags, as in the kernel's include/uapi/linux/ip_vs.h
// (IP_VS_SVC_F_*). moby/ipvs does not export them.
const (
	FlagPersistent uint32 = 0x0001 // IP_VS_SVC_F_PERSISTENT
	FlagHashed     uint32 = 0x0002 // IP_VS_SVC_F_HASHED: set by the kernel, never desired
	FlagOnePacket  uint32 = 0x0004 // IP_VS_SVC_F_ONEPACKET (ldirectord ops=yes)
	FlagSched1     uint32 = 0x0008 // IP_VS_SVC_F_SCHED1 (sh-fallback, mh-fallback)
	FlagSched2     uint32 = 0x0010 // IP_VS_SVC_F_SCHED2 (sh-port, mh-port)
	FlagSched3     uint32 = 0x0020 // IP_VS_SVC_F_SCHED3
)

// Service is the desired or observed configuration of one virtual service.
type Service struct {
	Key       ServiceKey
	Scheduler string // kernel scheduler name: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos
	Flags     uint32 // Flag* bits, never FlagHashed
	// Timeout is the persistence timeout in seconds; meaningful with FlagPersistent.
	Timeout uint32
	// NetmaskBits is the persistence granularity as a prefix length: 32 (or
	// 128 for IPv6) means one template per client address. Always set: the
	// kernel rejects 0 for IPv6 and a zero v4 mask puts every client on one
	// template (golibs.md §2.2).
	NetmaskBits uint8
}

// Forward is the packet-forwarding method of a real server, with the
// kernel's IP_VS_CONN_F_FWD_MASK values.
type Forward uint8

// Forwarding methods, named as ldirectord names them.
const (
	Masq  Forward = 0 // NAT, ipvsadm -m, ldirectord "masq"
	Local Forward = 1 // local node
	IPIP  Forward = 2 // tunnel, ipvsadm -i, ldirectord "ipip"
	Gate  Forward = 3 // direct routing, ipvsadm -g, ldirectord "gate"
)

// String returns the forwarding method as ipvsadm -Ln prints it.
func (f Forward) String() string {
	switch f {
	case Masq:
		return "Masq"
	case Local:
		return "Local"
	case IPIP:
		return "Tunnel"
	case Gate:
		return "Route"
	}
	return fmt.Sprintf("fwd(%d)", uint8(f))
}

// Real is the desired or observed configuration of one real server
// (destination) inside a virtual service. Within a service a real is
// identified by Addr.
type Real struct {
	Addr    netip.AddrPort
	Weight  int
	Forward Forward
	Upper   uint32 // upper connection threshold (ipvsadm -x), 0 = none
	Lower   uint32 // lower connection threshold (ipvsadm -y), 0 = none
	// Active and Inactive are connection counters read from the kernel; they
	// are ignored when comparing desired and observed state.
	Active, Inactive int
}

// SameConfig reports whether r and o have the same configuration (weight,
// forwarding, thresholds), ignoring counters.
func (r Real) SameConfig(o Real) bool {
	return r.Addr == o.Addr && r.Weight == o.Weight && r.Forward == o.Forward &&
		r.Upper == o.Upper && r.Lower == o.Lower
}

// SameConfig reports whether s and o have the same configuration.
func (s Service) SameConfig(o Service) bool {
	return s.Key == o.Key && s.Scheduler == o.Scheduler && s.Flags&^FlagHashed == o.Flags&^FlagHashed &&
		s.Timeout == o.Timeout && s.NetmaskBits == o.NetmaskBits
}

// Kernel is the IPVS table of one network namespace. It mirrors the kernel's
// generic-netlink API, so it has more methods than our usual interfaces.
//
// Implementations behave like the kernel: adding what exists fails with an
// error wrapping syscall.EEXIST, updating or deleting what is missing fails
// with one wrapping syscall.ENOENT (or ESRCH for a missing service). An empty
// table is an empty slice, not an error.
//
// Concurrency: implementations serialise their own calls; callers may use
// one Kernel from several goroutines, but the director uses it from one.
type Kernel interface {
	Services() ([]Service, error)
	Reals(ServiceKey) ([]Real, error)
	AddService(Service) error
	UpdateService(Service) error
	DelService(ServiceKey) error
	AddReal(ServiceKey, Real) error
	UpdateReal(ServiceKey, Real) error
	DelReal(ServiceKey, netip.AddrPort) error
}
