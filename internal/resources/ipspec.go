package resources

// This file is pure: the arguments of the IPaddr and IPaddr2 resources, and
// the interface and broadcast choice of findif, as values.

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Names of the built-in agents.
const (
	AgentIPaddr     = "IPaddr"
	AgentIPaddr2    = "IPaddr2"
	AgentLdirectord = "ldirectord"
)

// maxIfNameLen is IFNAMSIZ-1: the longest interface name or address label
// the kernel stores.
const maxIfNameLen = 15

// IPSpec is what an IPaddr or IPaddr2 resource asks for.
type IPSpec struct {
	// Agent is AgentIPaddr or AgentIPaddr2.
	Agent string
	// IP is the IPv4 address to hold.
	IP netip.Addr
	// Bits is the prefix length, or -1 when findif must find it.
	Bits int
	// Iface is the base interface, or "" when findif must find it.
	Iface string
	// Label is an explicit address label (IPaddr2 "if:label" or iflabel=),
	// or "". IPaddr always picks a free "iface:N" label itself.
	Label string
	// Broadcast is the broadcast address; invalid means computed from the
	// prefix (none for /31 and /32).
	Broadcast netip.Addr
}

func ipAgentKind(name string) (string, bool) {
	switch name {
	case AgentIPaddr, AgentIPaddr2:
		return name, true
	}
	return "", false
}

// ParseIPSpec parses the arguments of an IPaddr or IPaddr2 resource. The
// positional form is one argument, as the resource.d wrappers take it:
//
//	IPaddr   ip[/bits[/iface[/broadcast]]]      (a third field starting with a digit is the broadcast)
//	IPaddr2  ip[/bits[/iface[:label][/broadcast]]]
//
// The OCF style, every argument NAME=VALUE with NAME in ip, cidr_netmask
// (or netmask), nic, broadcast, iflabel, is accepted too. bits may be a
// dotted-quad netmask, as findif allows.
func ParseIPSpec(agent string, args []string) (IPSpec, error) {
	s := IPSpec{Agent: agent, Bits: -1}
	want := "ip[/bits[/iface[/broadcast]]]"
	if agent == AgentIPaddr2 {
		want = "ip[/bits[/iface[:label][/broadcast]]]"
	}
	var ip, bits, iface, label, brd string
	switch {
	case len(args) == 0:
		return s, fmt.Errorf("%s: missing address (want %s::%s)", agent, agent, want)
	case strings.Contains(args[0], "="):
		m, err := parseKV(args)
		if err != nil {
			return s, fmt.Errorf("%s: %w", agent, err)
		}
		ip, bits, iface, brd, label = m["ip"], m["cidr_netmask"], m["nic"], m["broadcast"], m["iflabel"]
		if ip == "" {
			return s, fmt.Errorf("%s: missing ip= (want ip=ADDRESS)", agent)
		}
	case len(args) > 1:
		return s, fmt.Errorf("%s: %d arguments (want one: %s)", agent, len(args), want)
	default:
		f := strings.Split(args[0], "/")
		if len(f) > 4 {
			return s, fmt.Errorf("%s: too many '/' fields in %q (want %s)", agent, args[0], want)
		}
		f = append(f, "", "", "")
		ip, bits, iface, brd = f[0], f[1], f[2], f[3]
		if agent == AgentIPaddr && brd == "" && iface != "" && iface[0] >= '0' && iface[0] <= '9' {
			iface, brd = "", iface
		}
	}
	return s.fill(ip, bits, iface, label, brd, want)
}

func parseKV(args []string) (map[string]string, error) {
	m := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("argument %q is not NAME=VALUE (want ip=, cidr_netmask=, nic=, broadcast=, iflabel=)", a)
		}
		if k == "netmask" {
			k = "cidr_netmask"
		}
		switch k {
		case "ip", "cidr_netmask", "nic", "broadcast", "iflabel":
		default:
			return nil, fmt.Errorf("unknown parameter %q (want ip, cidr_netmask, nic, broadcast or iflabel)", k)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("parameter %q given twice", k)
		}
		m[k] = v
	}
	return m, nil
}

func (s IPSpec) fill(ip, bits, iface, label, brd, want string) (IPSpec, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() || a.IsUnspecified() {
		return s, fmt.Errorf("%s: bad address %q (want an IPv4 address, %s)", s.Agent, ip, want)
	}
	s.IP = a
	if bits != "" {
		if s.Bits, err = parseBits(bits); err != nil {
			return s, fmt.Errorf("%s: %w", s.Agent, err)
		}
	}
	if i, l, ok := strings.Cut(iface, ":"); ok {
		iface = i
		if s.Agent == AgentIPaddr2 {
			label = l // IPaddr drops an alias suffix, IPaddr2 keeps it as the label
		}
	}
	if iface != "" && !validIfName(iface) {
		return s, fmt.Errorf("%s: bad interface name %q (want up to %d characters, no '/', ':' or blanks)", s.Agent, iface, maxIfNameLen)
	}
	s.Iface = iface
	if label != "" {
		if iface == "" {
			return s, fmt.Errorf("%s: label %q without an interface (want iface:label)", s.Agent, label)
		}
		s.Label = iface + ":" + label
		if len(s.Label) > maxIfNameLen {
			return s, fmt.Errorf("%s: label %q is longer than %d characters", s.Agent, s.Label, maxIfNameLen)
		}
	}
	if brd != "" {
		b, err := netip.ParseAddr(brd)
		if err != nil || !b.Is4() {
			return s, fmt.Errorf("%s: bad broadcast %q (want an IPv4 address)", s.Agent, brd)
		}
		s.Broadcast = b
	}
	return s, nil
}

// parseBits parses a prefix length 1-32 or a contiguous dotted-quad netmask.
func parseBits(v string) (int, error) {
	if strings.Contains(v, ".") {
		m, err := netip.ParseAddr(v)
		if err == nil && m.Is4() {
			b := m.As4()
			n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			ones := 0
			for ones < 32 && n&(1<<(31-ones)) != 0 {
				ones++
			}
			if ones > 0 && (ones == 32 || n<<ones == 0) {
				return ones, nil
			}
		}
		return 0, fmt.Errorf("bad netmask %q (want a prefix length 1-32 or a contiguous netmask)", v)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 32 || strings.Trim(v, "0123456789") != "" {
		return 0, fmt.Errorf("bad prefix length %q (want 1-32)", v)
	}
	return n, nil
}

func validIfName(s string) bool {
	if s == "" || len(s) > maxIfNameLen || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/: \t\n\r")
}

// Route is a connected route, as findif reads `ip route list match IP scope link`.
type Route struct {
	Dst   netip.Prefix // the connected network, e.g. 10.1.1.0/24
	Iface string       // the interface it is reachable on
}

// ErrNoInterface is returned (wrapped) when findif finds no connected route
// for an address whose interface or prefix length was not given.
var ErrNoInterface = errors.New("unable to find nic or netmask")

// FindIf completes s from the connected routes as findif does: among the
// IPv4 routes whose network contains s.IP (and is no longer than s.Bits
// when given, and on s.Iface when given), the longest prefix wins, the last
// one on a tie. The missing interface and prefix length are taken from it;
// a missing broadcast is computed from the prefix. s is returned unchanged
// apart from that. It fails with ErrNoInterface when the interface or prefix
// length is missing and no route matches.
func FindIf(s IPSpec, routes []Route) (IPSpec, error) {
	if s.Iface == "" || s.Bits < 0 {
		best, found := Route{}, false
		for _, r := range routes {
			if !r.Dst.Addr().Is4() || !r.Dst.Contains(s.IP) {
				continue
			}
			if (s.Bits >= 0 && r.Dst.Bits() > s.Bits) || (s.Iface != "" && r.Iface != s.Iface) {
				continue
			}
			if !found || r.Dst.Bits() >= best.Dst.Bits() {
				best, found = r, true
			}
		}
		if !found {
			return s, fmt.Errorf("%s %s: %w (no connected route contains it)", s.Agent, s.IP, ErrNoInterface)
		}
		if s.Iface == "" {
			s.Iface = best.Iface
		}
		if s.Bits < 0 {
			s.Bits = best.Dst.Bits()
		}
	}
	if !s.Broadcast.IsValid() {
		s.Broadcast = BroadcastOf(netip.PrefixFrom(s.IP, s.Bits))
	}
	return s, nil
}

// BroadcastOf is the broadcast address of an IPv4 prefix: the network with
// every host bit set. /31 and /32 have none (the invalid Addr), as the
// kernel does for `ip addr add ... brd +`.
func BroadcastOf(p netip.Prefix) netip.Addr {
	if !p.Addr().Is4() || p.Bits() >= 31 || p.Bits() < 0 {
		return netip.Addr{}
	}
	b := p.Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= ^uint32(0) >> p.Bits()
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}
