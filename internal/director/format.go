package director

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// ipvsadmHeader is the heading of ipvsadm -Ln.
const ipvsadmHeader = "IP Virtual Server version 1.2.1 (size=4096)\n" +
	"Prot LocalAddress:Port Scheduler Flags\n" +
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"

// FormatTable renders t as ipvsadm -Ln prints a table (services in key
// order, reals in address order; Pending reals are not shown). Non-zero
// connection thresholds, which ipvsadm shows only with --thresholds, are
// appended as ldirectord writes them, "u:N l:N".
func FormatTable(t Table) string {
	var b strings.Builder
	b.WriteString(ipvsadmHeader)
	for _, key := range sortedKeys(t) {
		ds := t[key]
		b.WriteString(serviceLine(ds.Service) + "\n")
		for _, a := range sortedAddrs(ds.Reals) {
			b.WriteString(realLine(ds.Reals[a]) + "\n")
		}
	}
	return b.String()
}

func serviceLine(s ipvs.Service) string {
	line := s.Key.String() + " " + s.Scheduler
	if s.Flags&ipvs.FlagPersistent != 0 {
		line += fmt.Sprintf(" persistent %d", s.Timeout)
		if s.Key.Is6() && s.NetmaskBits != 128 {
			line += fmt.Sprintf(" mask %d", s.NetmaskBits)
		} else if !s.Key.Is6() && s.NetmaskBits != 32 {
			line += " mask " + v4Mask(s.NetmaskBits)
		}
	}
	if s.Flags&ipvs.FlagOnePacket != 0 {
		line += " ops"
	}
	if f := schedFlagsText(s.Scheduler, s.Flags); f != "" {
		line += " " + f
	}
	return line
}

func realLine(r ipvs.Real) string {
	line := fmt.Sprintf("  -> %-28s %-7s %-6d %-10d %d", r.Addr, r.Forward, r.Weight, r.Active, r.Inactive)
	if r.Upper != 0 || r.Lower != 0 {
		line += fmt.Sprintf(" u:%d l:%d", r.Upper, r.Lower)
	}
	return line
}

func v4Mask(bits uint8) string {
	var v uint32
	if bits > 0 {
		v = ^uint32(0) << (32 - uint(min(bits, 32)))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// schedFlagsText renders scheduler flags as ipvsadm -b names.
func schedFlagsText(sched string, flags uint32) string {
	names := [3]string{"flag-1", "flag-2", "flag-3"}
	if sched == "sh" || sched == "mh" {
		names[0], names[1] = sched+"-fallback", sched+"-port"
	}
	var out []string
	for i, f := range []uint32{ipvs.FlagSched1, ipvs.FlagSched2, ipvs.FlagSched3} {
		if flags&f != 0 {
			out = append(out, names[i])
		}
	}
	return strings.Join(out, ",")
}
