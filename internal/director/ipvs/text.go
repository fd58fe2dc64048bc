package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The ipvsadm -Ln text of the table, written and read: the one
// implementation the director's status and `ldirectord check`, the
// ipvstest fake kernel, the VM tests and e2e use, so users compare any of
// them with `ipvsadm -Ln` directly. It is pure.

// Header is the three-line heading of ipvsadm -Ln.
const Header = "IP Virtual Server version 1.2.1 (size=4096)\n" +
	"Prot LocalAddress:Port Scheduler Flags\n" +
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"

// Entry is one service with its reals, in the order they are listed.
type Entry struct {
	Service Service
	Reals   []Real
}

// FormatText renders entries in ipvsadm -Ln's body layout (no header), in
// the given order. Non-zero connection thresholds, which ipvsadm shows only
// with --thresholds, are appended as ldirectord's "u:N l:N".
func FormatText(entries []Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(ServiceLine(e.Service) + "\n")
		for _, r := range e.Reals {
			b.WriteString(RealLine(r) + "\n")
		}
	}
	return b.String()
}

// ServiceLine renders one service line as ipvsadm -Ln does: "TCP
// 10.1.1.10:80 wrr persistent 300", scheduler flags in parentheses right
// after the scheduler ("sh (sh-fallback) persistent 1800", as ipvsadm
// 1.31 prints them over the VM's kernel).
func ServiceLine(s Service) string {
	line := s.Key.String() + " " + s.Scheduler
	if f := SchedFlagsText(s.Scheduler, s.Flags); f != "" {
		line += " (" + f + ")"
	}
	if s.Flags&FlagPersistent != 0 {
		line += fmt.Sprintf(" persistent %d", s.Timeout)
		if s.NetmaskBits != s.Key.FullMaskBits() {
			line += " mask " + MaskText(s.Key, s.NetmaskBits)
		}
	}
	if s.Flags&FlagOnePacket != 0 {
		line += " ops"
	}
	return line
}

// RealLine renders one real line: "  -> 10.0.0.2:80   Route   1      0          0".
func RealLine(r Real) string {
	line := fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %d", r.Addr, r.Forward, r.Weight, r.Active, r.Inactive)
	if r.Upper != 0 || r.Lower != 0 {
		line += fmt.Sprintf(" u:%d l:%d", r.Upper, r.Lower)
	}
	return line
}

// MaskText renders a persistence netmask as ipvsadm prints and takes it: a
// dotted quad for IPv4, a prefix length for IPv6.
func MaskText(k ServiceKey, bits uint8) string {
	if k.Is6() {
		return fmt.Sprint(bits)
	}
	var v uint32
	if bits > 0 {
		v = ^uint32(0) << (32 - uint(min(bits, 32)))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// SchedFlagsText renders scheduler flags as ipvsadm -b names: sh-/mh-
// specific names for those schedulers, flag-N otherwise.
func SchedFlagsText(sched string, flags uint32) string {
	names := [3]string{"flag-1", "flag-2", "flag-3"}
	if sched == "sh" || sched == "mh" {
		names[0], names[1] = sched+"-fallback", sched+"-port"
	}
	var out []string
	for i, f := range []uint32{FlagSched1, FlagSched2, FlagSched3} {
		if flags&f != 0 {
			out = append(out, names[i])
		}
	}
	return strings.Join(out, ",")
}

// ParseText reads ipvsadm -Ln text, or the layout FormatText writes
// (header lines optional, connection counters optional, blank lines and
// "#" comments ignored), e.g.
//
//	TCP  10.1.1.10:80 wrr persistent 300 mask 255.255.255.0
//	  -> 10.0.0.2:80 Route 1
//	FWM  80 rr
//	  -> 10.0.0.3:0 Masq 0 u:100 l:10
//
// Errors name the line.
func ParseText(text string) ([]Entry, error) {
	var out []Entry
	seen := map[ServiceKey]bool{}
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || f[0] == "IP" || f[0] == "Prot" ||
			(f[0] == "->" && len(f) > 1 && f[1] == "RemoteAddress:Port") {
			continue
		}
		if f[0] == "->" {
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: real before any service", n+1)
			}
			r, err := parseReal(f[1:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			e := &out[len(out)-1]
			if slices.ContainsFunc(e.Reals, func(o Real) bool { return o.Addr == r.Addr }) {
				return nil, fmt.Errorf("line %d: duplicate real %s", n+1, r.Addr)
			}
			e.Reals = append(e.Reals, r)
			continue
		}
		s, err := parseService(f)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if seen[s.Key] {
			return nil, fmt.Errorf("line %d: duplicate service %s", n+1, s.Key)
		}
		seen[s.Key] = true
		out = append(out, Entry{Service: s})
	}
	return out, nil
}

func parseService(f []string) (Service, error) {
	var s Service
	if len(f) < 3 {
		return s, fmt.Errorf("service line %q: want PROTO ADDR SCHEDULER [flags]", strings.Join(f, " "))
	}
	rest := f[2:]
	if f[0] == "FWM" {
		mark, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil || mark == 0 {
			return s, fmt.Errorf("bad fwmark %q", f[1])
		}
		v6 := rest[0] == "IPv6"
		if v6 {
			rest = rest[1:]
		}
		s.Key = FWMarkKey(uint32(mark), v6)
	} else {
		proto, ok := map[string]Proto{"TCP": TCP, "UDP": UDP, "SCTP": SCTP}[f[0]]
		if !ok {
			return s, fmt.Errorf("unknown protocol %q (want TCP, UDP, SCTP or FWM)", f[0])
		}
		ap, err := netip.ParseAddrPort(f[1])
		if err != nil {
			return s, fmt.Errorf("bad service address %q: %w", f[1], err)
		}
		s.Key = ServiceKey{Proto: proto, Addr: ap}
	}
	if len(rest) == 0 {
		return s, fmt.Errorf("service %s: no scheduler", s.Key)
	}
	s.Scheduler, rest = rest[0], rest[1:]
	s.NetmaskBits = s.Key.FullMaskBits()
	return s, parseServiceFlags(&s, rest)
}

func parseServiceFlags(s *Service, f []string) error {
	for i := 0; i < len(f); i++ {
		switch tok := f[i]; tok {
		case "persistent", "mask":
			if i+1 == len(f) {
				return fmt.Errorf("%s without a value", tok)
			}
			i++
			if tok == "persistent" {
				t, err := strconv.ParseUint(f[i], 10, 32)
				if err != nil {
					return fmt.Errorf("bad persistent %q", f[i])
				}
				s.Flags |= FlagPersistent
				s.Timeout = uint32(t)
				continue
			}
			bits, err := parseMask(s.Key, f[i])
			if err != nil {
				return err
			}
			s.NetmaskBits = bits
		case "ops":
			s.Flags |= FlagOnePacket
		default:
			// ipvsadm -Ln and FormatText print scheduler flags in
			// parentheses, "mh (mh-fallback,mh-port)"; hand-written
			// tables may leave them out.
			if strings.HasPrefix(tok, "(") && strings.HasSuffix(tok, ")") {
				tok = tok[1 : len(tok)-1]
			}
			for _, name := range strings.Split(tok, ",") {
				fl, ok := map[string]uint32{"flag-1": FlagSched1, "flag-2": FlagSched2, "flag-3": FlagSched3,
					"sh-fallback": FlagSched1, "sh-port": FlagSched2,
					"mh-fallback": FlagSched1, "mh-port": FlagSched2}[name]
				if !ok {
					return fmt.Errorf("unknown service flag %q", name)
				}
				s.Flags |= fl
			}
		}
	}
	return nil
}

func parseMask(k ServiceKey, text string) (uint8, error) {
	if k.Is6() {
		n, err := strconv.ParseUint(text, 10, 8)
		if err != nil || n > 128 {
			return 0, fmt.Errorf("bad IPv6 mask %q", text)
		}
		return uint8(n), nil
	}
	a, err := netip.ParseAddr(text)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("bad mask %q", text)
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := uint8(0)
	for v&0x80000000 != 0 {
		ones++
		v <<= 1
	}
	if v != 0 {
		return 0, fmt.Errorf("non-contiguous mask %q", text)
	}
	return ones, nil
}

func parseReal(f []string) (Real, error) {
	var r Real
	if len(f) < 3 {
		return r, fmt.Errorf("real line: want -> ADDR:PORT FORWARD WEIGHT [ACTIVE INACTIVE] [u:N l:N]")
	}
	ap, err := netip.ParseAddrPort(f[0])
	if err != nil {
		return r, fmt.Errorf("bad real address %q: %w", f[0], err)
	}
	r.Addr = ap
	fwd, ok := map[string]Forward{"Masq": Masq, "Local": Local, "Tunnel": IPIP, "Route": Gate}[f[1]]
	if !ok {
		return r, fmt.Errorf("unknown forwarding %q (want Masq, Local, Tunnel or Route)", f[1])
	}
	r.Forward = fwd
	if r.Weight, err = strconv.Atoi(f[2]); err != nil {
		return r, fmt.Errorf("bad weight %q", f[2])
	}
	counters := 0
	for _, tok := range f[3:] {
		var dst *uint32
		switch {
		case strings.HasPrefix(tok, "u:"):
			dst = &r.Upper
		case strings.HasPrefix(tok, "l:"):
			dst = &r.Lower
		default:
			n, err := strconv.Atoi(tok)
			if err != nil || counters == 2 {
				return r, fmt.Errorf("unexpected %q on real line", tok)
			}
			if counters == 0 {
				r.Active = n
			} else {
				r.Inactive = n
			}
			counters++
			continue
		}
		n, err := strconv.ParseUint(tok[2:], 10, 32)
		if err != nil {
			return r, fmt.Errorf("bad threshold %q", tok)
		}
		*dst = uint32(n)
	}
	return r, nil
}
