package ipvs

import (
	"fmt"
	"net/netip"
	"strings"
)

// The ipvsadm -Ln text of the table's parts. The director's status and the
// ipvstest fake kernel print the same lines, so users compare either with
// `ipvsadm -Ln` directly.

// ServiceLine renders one service line: "TCP  10.1.1.10:80 wrr persistent 300".
func ServiceLine(s Service) string {
	line := s.Key.String() + " " + s.Scheduler
	if s.Flags&FlagPersistent != 0 {
		line += fmt.Sprintf(" persistent %d", s.Timeout)
		if s.NetmaskBits != s.Key.FullMaskBits() {
			line += " mask " + MaskText(s.Key, s.NetmaskBits)
		}
	}
	if s.Flags&FlagOnePacket != 0 {
		line += " ops"
	}
	if f := SchedFlagsText(s.Scheduler, s.Flags); f != "" {
		line += " " + f
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
