package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// BGP is route health injection (issue 15): the global bgp_* directives,
// which ldirectord 4.12 does not have (a 4.12 file parses unchanged and
// leaves BGP off). With BGP on, the director announces every virtual's
// address as a /32 or /128 while that virtual has a real up.
type BGP struct {
	ASN      uint32     // bgp_asn: this director's AS number
	RouterID netip.Addr // bgp_router_id: an IPv4 address, unique per director
	Peers    []BGPPeer  // bgp_peer lines, in file order
	Line     int        // line of bgp_asn
}

// Enabled reports whether the file configures BGP.
func (b BGP) Enabled() bool { return b.ASN != 0 }

// BGPPeer is one bgp_peer line:
//
//	bgp_peer = ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive]
type BGPPeer struct {
	Line     int
	Addr     netip.Addr
	ASN      uint32
	HoldTime time.Duration // default DefaultBGPHoldTime; keepalives every third of it
	Port     uint16        // default 179
	Local    netip.Addr    // source address of the session; zero = the kernel's choice
	Passive  bool          // wait for the peer to connect
}

// DefaultBGPHoldTime is a peer's hold time when bgp_peer gives none: the
// time a dead director's routes stay at the router. BGP's usual 90 s would
// black-hole a third of the flows that long; 9 s (keepalive 3 s) is
// what GoBGP and BIRD accept as short and stable on a LAN.
const DefaultBGPHoldTime = 9 * time.Second

// bgpWant is the shape of bgp_peer, for error messages.
const bgpWant = "ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive]"

func globalBGPASN(p *parser, line int, v string) string {
	asn, msg := parseASN("bgp_asn", v)
	if msg != "" {
		return msg
	}
	p.g().BGP.ASN, p.g().BGP.Line = asn, line
	return ""
}

func globalBGPRouterID(p *parser, _ int, v string) string {
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return badValue("bgp_router_id", v, "an IPv4 address, unique to this director")
	}
	p.g().BGP.RouterID = a
	return ""
}

func globalBGPPeer(p *parser, line int, v string) string {
	peer, msg := parseBGPPeer(v)
	if msg != "" {
		return msg
	}
	peer.Line = line
	for _, q := range p.g().BGP.Peers {
		if q.Addr == peer.Addr {
			return fmt.Sprintf("bgp_peer: %s already configured at line %d (want one bgp_peer per address)", peer.Addr, q.Line)
		}
	}
	p.g().BGP.Peers = append(p.g().BGP.Peers, peer)
	return ""
}

// parseASN accepts an AS number in asplain (1-4294967295) or asdot
// ("1.10") notation; 0 and 23456 (AS_TRANS) are reserved (RFC 7607, 6793).
func parseASN(directive, v string) (uint32, string) {
	const want = "an AS number 1-4294967295 or asdot X.Y, not 0 or 23456"
	var n uint64
	if hi, lo, dot := strings.Cut(v, "."); dot {
		h, m1 := parseUint(directive, hi, 0, 65535, want)
		l, m2 := parseUint(directive, lo, 0, 65535, want)
		if m1 != "" || m2 != "" {
			return 0, badValue(directive, v, want)
		}
		n = h<<16 | l
	} else {
		var m string
		if n, m = parseUint(directive, v, 0, 1<<32-1, want); m != "" {
			return 0, m
		}
	}
	if n == 0 || n == 23456 {
		return 0, badValue(directive, v, want)
	}
	return uint32(n), ""
}

func parseBGPPeer(v string) (BGPPeer, string) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return BGPPeer{}, badValue("bgp_peer", v, bgpWant)
	}
	addr, err := netip.ParseAddr(f[0])
	if err != nil || addr.Zone() != "" || addr.IsUnspecified() || addr.IsMulticast() {
		return BGPPeer{}, fmt.Sprintf("bgp_peer: bad peer address %q (want an IPv4 or IPv6 address: %s)", f[0], bgpWant)
	}
	peer := BGPPeer{Addr: addr.Unmap(), HoldTime: DefaultBGPHoldTime, Port: 179}
	for i := 1; i < len(f); i++ {
		word := f[i]
		if word == "passive" {
			peer.Passive = true
			continue
		}
		if word == "bfd" {
			return BGPPeer{}, "bgp_peer: bfd: the GoBGP speaker offers no BFD (want a short holdtime instead, 3 s at least)"
		}
		if i+1 >= len(f) {
			return BGPPeer{}, fmt.Sprintf("bgp_peer: %q without a value (want %s)", word, bgpWant)
		}
		i++
		if msg := peer.option(word, f[i]); msg != "" {
			return BGPPeer{}, msg
		}
	}
	if peer.ASN == 0 {
		return BGPPeer{}, fmt.Sprintf("bgp_peer: no asn for %s (want %s)", addr, bgpWant)
	}
	return peer, ""
}

// option applies one "word value" pair of a bgp_peer line.
func (peer *BGPPeer) option(word, val string) string {
	switch word {
	case "asn":
		asn, msg := parseASN("bgp_peer: asn", val)
		peer.ASN = asn
		return msg
	case "holdtime":
		// RFC 4271 4.2: 0 (no keepalives) or at least 3 s. 0 is refused: a
		// dead director's routes would then never be withdrawn.
		n, msg := parseUint("bgp_peer: holdtime", val, 3, 65535, "seconds 3-65535")
		peer.HoldTime = time.Duration(n) * time.Second
		return msg
	case "port":
		n, msg := parseUint("bgp_peer: port", val, 1, 65535, "a TCP port 1-65535")
		peer.Port = uint16(n)
		return msg
	case "local":
		a, err := netip.ParseAddr(val)
		if err != nil || a.Zone() != "" || a.IsUnspecified() {
			return badValue("bgp_peer: local", val, "this director's IPv4 or IPv6 address")
		}
		peer.Local = a.Unmap()
		return ""
	}
	return fmt.Sprintf("bgp_peer: unknown option %q (want %s)", word, bgpWant)
}

// finishBGP checks the bgp_* directives together, once the file is read.
func (p *parser) finishBGP() *Error {
	b := &p.g().BGP
	switch {
	case b.ASN == 0 && len(b.Peers) > 0:
		return p.errf(b.Peers[0].Line, "bgp_peer: no bgp_asn (want bgp_asn = this director's AS number)")
	case b.ASN == 0 && b.RouterID.IsValid():
		return p.errf(p.g().Lines["bgp_router_id"], "bgp_router_id: no bgp_asn (want bgp_asn = this director's AS number)")
	case b.ASN == 0:
		return nil
	case len(b.Peers) == 0:
		return p.errf(b.Line, "bgp_asn: no bgp_peer (want at least one bgp_peer = %s)", bgpWant)
	case !b.RouterID.IsValid():
		return p.errf(b.Line, "bgp_asn: no bgp_router_id (want bgp_router_id = an IPv4 address unique to this director)")
	}
	for _, peer := range b.Peers {
		if peer.Local.IsValid() && peer.Local.Is4() != peer.Addr.Is4() {
			return p.errf(peer.Line, "bgp_peer: local %s is not of the family of %s (want an address of the same family)", peer.Local, peer.Addr)
		}
	}
	for _, v := range p.cfg.Virtuals {
		if v.FWMark != 0 {
			p.warnf(v.Line, "virtual=%s: a fwmark service has no address to announce over BGP; announce its addresses otherwise", v.Text)
		}
	}
	return nil
}
