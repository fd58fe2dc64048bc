package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
)

// IPVSSync is the ipvs_sync directive (issue 15, not in ldirectord 4.12):
// ldirectord runs the kernel's connection-sync daemons itself in the
// scale-out mode, where every director is active (docs/scale-out.md):
//
//	ipvs_sync = all-to-all INTERFACE [syncid N] [group ADDRESS] [port N] [ttl N] [maxlen N]
//
// all-to-all is a master and a backup daemon on the same interface and
// sync id, so every director holds every other's connections. A pair
// keeps hbd's LVSSyncDaemonSwap (one role at a time) instead.
type IPVSSync struct {
	Line      int    // line of ipvs_sync; 0 = not configured
	Interface string // multicast interface (ipvsadm --mcast-interface)
	SyncID    uint8  // default 255, as ipvsadm --syncid
	// Group, Port, TTL and MaxLen are ipvsadm's --mcast-group,
	// --mcast-port, --mcast-ttl and --sync-maxlen; zero leaves each to the
	// kernel's default (224.0.0.81, 8848, 1, 1472).
	Group  netip.Addr
	Port   uint16
	TTL    uint8
	MaxLen uint16
}

// Enabled reports whether the file configures ipvs_sync.
func (s IPVSSync) Enabled() bool { return s.Line != 0 }

// syncWant is the shape of ipvs_sync, for error messages.
const syncWant = "all-to-all INTERFACE [syncid N] [group ADDRESS] [port N] [ttl N] [maxlen N]"

// maxIfName is the longest interface name the kernel takes (IFNAMSIZ less
// the NUL).
const maxIfName = 15

func globalIPVSSync(p *parser, line int, v string) string {
	s, msg := parseIPVSSync(v)
	if msg != "" {
		return msg
	}
	s.Line = line
	p.g().IPVSSync = s
	return ""
}

func parseIPVSSync(v string) (IPVSSync, string) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return IPVSSync{}, badValue("ipvs_sync", v, syncWant)
	}
	if f[0] != "all-to-all" {
		return IPVSSync{}, fmt.Sprintf("ipvs_sync: unknown mode %q (want %s; a pair uses hbd's LVSSyncDaemonSwap)", f[0], syncWant)
	}
	ifn := f[1]
	if len(ifn) > maxIfName || ifn == "." || ifn == ".." || strings.ContainsAny(ifn, "/:") {
		return IPVSSync{}, badValue("ipvs_sync: interface", ifn, fmt.Sprintf("an interface name of at most %d bytes, without '/' or ':'", maxIfName))
	}
	s := IPVSSync{Interface: ifn, SyncID: 255}
	for i := 2; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return IPVSSync{}, fmt.Sprintf("ipvs_sync: %q without a value (want %s)", f[i], syncWant)
		}
		if msg := s.option(f[i], f[i+1]); msg != "" {
			return IPVSSync{}, msg
		}
	}
	return s, ""
}

// option applies one "word value" pair of an ipvs_sync line.
func (s *IPVSSync) option(word, val string) string {
	switch word {
	case "syncid":
		n, msg := parseUint("ipvs_sync: syncid", val, 0, 255, "0-255")
		s.SyncID = uint8(n)
		return msg
	case "group":
		a, err := netip.ParseAddr(val)
		if err != nil || a.Zone() != "" || !a.Unmap().IsMulticast() {
			return badValue("ipvs_sync: group", val, "an IPv4 or IPv6 multicast address; the kernel has no unicast sync")
		}
		s.Group = a.Unmap()
		return ""
	case "port":
		n, msg := parseUint("ipvs_sync: port", val, 1, 65535, "a UDP port 1-65535")
		s.Port = uint16(n)
		return msg
	case "ttl":
		n, msg := parseUint("ipvs_sync: ttl", val, 1, 255, "1-255")
		s.TTL = uint8(n)
		return msg
	case "maxlen":
		// The kernel clamps a master's maxlen to 65535 less the IP and UDP
		// headers (start_sync_thread); 1024 is the least a backup takes.
		n, msg := parseUint("ipvs_sync: maxlen", val, 1024, 65507, "1024-65507 bytes")
		s.MaxLen = uint16(n)
		return msg
	}
	return fmt.Sprintf("ipvs_sync: unknown option %q (want %s)", word, syncWant)
}
