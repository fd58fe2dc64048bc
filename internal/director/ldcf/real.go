package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
)

// realFlags are the words after a real's address:
// gate|masq|ipip [weight] ["request", "receive"] [l:N] [u:N].
type realFlags struct {
	fwd          Forward
	weight       int
	req, recv    string
	hasReq       bool
	lower, upper uint32
}

// addReals parses one real= / real6= line (ldirectord
// _ld_read_config_real_resolve, add_real_server_range, add_real_server) and
// appends its real servers to the section's virtual.
func (p *parser) addReals(s *section, pl pendingLine) *Error {
	v := s.v
	name, want := "real", "ip[:port], host[:port] or a range a->b[:port], then gate, masq or ipip"
	if v.IPv6 {
		name, want = "real6", "[ipv6][:port] or host[:port], then gate, masq or ipip"
	}
	addrText, flagText, _ := strings.Cut(strings.Replace(pl.text, "\t", " ", 1), " ")
	aText, bText, isRange := strings.Cut(addrText, "->")
	var first, last, portText string
	ok := true
	if isRange {
		if v.IPv6 {
			return p.errf(pl.line, "%s: address range %q is not supported for IPv6 (want one %s= line per address)", name, addrText, name)
		}
		var startPort string
		first, startPort, ok = splitHostPort(aText, isPortChar)
		if ok && startPort != "" {
			return p.errf(pl.line, "%s: port %q on the start of range %q (want a->b:port)", name, startPort, addrText)
		}
		if ok {
			last, portText, ok = splitHostPort(bText, isPortChar)
		}
	} else {
		first, portText, ok = splitHostPort(aText, isPortChar)
	}
	if !ok || first == "" || isRange && last == "" {
		return p.fail(pl.line, badValue(name, addrText, want))
	}
	if strings.TrimSpace(flagText) == "" {
		return p.errf(pl.line, "%s: missing forwarding method after %q (want gate, masq or ipip)", name, addrText)
	}
	f, m := parseRealFlags(name, flagText)
	if m != "" {
		return p.fail(pl.line, m)
	}
	var port uint16
	if portText != "" {
		if port, m = p.resolvePort(name, portText, v.Protocol); m != "" {
			return p.fail(pl.line, m)
		}
	}
	firstA, m := p.resolveHost(name, first, v.IPv6)
	if m != "" {
		return p.fail(pl.line, m)
	}
	addrs := []netip.Addr{firstA}
	if isRange {
		if addrs, m = p.expandRange(name, first, last, firstA); m != "" {
			return p.fail(pl.line, m)
		}
	}
	if p.reals += len(addrs); p.reals > maxReals {
		return p.errf(pl.line, "%s: more than %d real servers in the file (want fewer, or larger ranges split across virtuals)", name, maxReals)
	}
	for _, a := range addrs {
		r := Real{Line: pl.line, Text: addrText, Addr: netip.AddrPortFrom(a, port), Forward: f.fwd, Weight: f.weight,
			Request: f.req, Receive: f.recv, Lower: f.lower, Upper: f.upper}
		if first, dup := s.realSeen[r.Addr]; dup {
			p.warnf(pl.line, "%s: %s is already a real server of %s at line %d (ipvsadm will refuse the second)", name, r.Addr, v.Text, first)
		} else {
			s.realSeen[r.Addr] = pl.line
		}
		v.Reals = append(v.Reals, r)
	}
	return nil
}

// expandRange resolves the end of an IPv4 range a->b and lists a..b.
func (p *parser) expandRange(name, aText, bText string, first netip.Addr) ([]netip.Addr, string) {
	lastA, m := p.resolveHost(name, bText, false)
	if m != "" {
		return nil, m
	}
	if lastA.Less(first) {
		return nil, fmt.Sprintf("%s: range %s->%s runs backwards (want the first address lower than or equal to the last)", name, aText, bText)
	}
	var out []netip.Addr
	for a := first; ; a = a.Next() {
		if len(out) == maxRange {
			return nil, fmt.Sprintf("%s: range %s->%s has more than %d addresses (want a smaller range)", name, aText, bText, maxRange)
		}
		out = append(out, a)
		if a == lastA {
			return out, ""
		}
	}
}

// parseRealFlags parses "gate|masq|ipip [weight] ["request", "receive"]
// [l:N] [u:N]". ldirectord requires that order and silently drops
// misordered words; we accept any order but each word once.
func parseRealFlags(name, s string) (realFlags, string) {
	f := realFlags{weight: 1}
	tok, rest := nextField(s)
	switch Forward(tok) {
	case Gate, Masq, IPIP:
		f.fwd = Forward(tok)
	default:
		return f, fmt.Sprintf("%s: bad forwarding method %q (want gate, masq or ipip)", name, tok)
	}
	seen := map[string]bool{}
	for rest = strings.TrimLeft(rest, " \t"); rest != ""; rest = strings.TrimLeft(rest, " \t") {
		var kind, m string
		if rest[0] == '"' {
			kind = "request"
			f.req, f.recv, rest, m = parseReqRecv(name, rest)
			f.hasReq = true
			if _, err := CompileReceive(f.recv); m == "" && err != nil {
				m = name + ": " + err.Error()
			}
			if !strings.HasPrefix(f.req, "/") {
				f.req = "/" + f.req
			}
		} else {
			tok, rest = nextField(rest)
			kind, m = f.word(name, tok)
		}
		if m != "" {
			return f, m
		}
		if seen[kind] {
			return f, fmt.Sprintf("%s: %s given twice (want it at most once)", name, kind)
		}
		seen[kind] = true
	}
	return f, ""
}

// word parses a weight, l:N or u:N.
func (f *realFlags) word(name, tok string) (kind, msg string) {
	const maxThreshold = 1<<31 - 1 // ipvsadm -x/-y: 0..INT_MAX
	switch {
	case strings.HasPrefix(tok, "l:") || strings.HasPrefix(tok, "u:"):
		n, m := parseUint(name, tok[2:], 0, maxThreshold, "")
		if m != "" {
			return tok[:2], fmt.Sprintf("%s: bad threshold %q (want %sN with N 0-2147483647)", name, tok, tok[:2])
		}
		if tok[0] == 'l' {
			f.lower = uint32(n)
		} else {
			f.upper = uint32(n)
		}
		return tok[:2], ""
	case tok[0] >= '0' && tok[0] <= '9' || tok[0] == '-' || tok[0] == '+':
		n, err := parseUint(name, tok, 0, 65535, "")
		if err != "" {
			return "weight", fmt.Sprintf("%s: bad weight %q (want 0-65535)", name, tok)
		}
		f.weight = int(n)
		return "weight", ""
	}
	return "", fmt.Sprintf("%s: unexpected %q (want [weight] [\"request\", \"receive\"] [l:N] [u:N] after the forwarding method)", name, tok)
}

// parseReqRecv parses `"request", "receive"` (a comma and/or blanks
// between the two).
func parseReqRecv(name, s string) (req, recv, rest, msg string) {
	const want = `want "request", "receive"`
	j := strings.IndexByte(s[1:], '"')
	if j < 0 {
		return "", "", "", fmt.Sprintf("%s: unterminated request string %s (%s)", name, truncate(s), want)
	}
	req, rest = s[1:1+j], s[j+2:]
	if rest != "" && !strings.HasPrefix(rest, ",") && !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "\t") {
		return "", "", "", fmt.Sprintf("%s: no separator after request %q (%s)", name, req, want)
	}
	rest = strings.TrimLeft(strings.TrimPrefix(strings.TrimLeft(rest, " \t"), ","), " \t")
	if !strings.HasPrefix(rest, `"`) {
		return "", "", "", fmt.Sprintf("%s: request %q without a receive string (%s)", name, req, want)
	}
	k := strings.IndexByte(rest[1:], '"')
	if k < 0 {
		return "", "", "", fmt.Sprintf("%s: unterminated receive string %s (%s)", name, truncate(rest), want)
	}
	return req, rest[1 : 1+k], rest[k+2:], ""
}

// nextField splits off the first blank-separated word.
func nextField(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// splitHostPort splits "host[:port]" or "[ipv6][:port]". A bracketed host
// must be an IPv6 address.
func splitHostPort(s string, portOK func(byte) bool) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		j := strings.IndexByte(s, ']')
		if j < 0 {
			return "", "", false
		}
		host, rest := s[1:j], s[j+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", false
		}
		if rest == "" {
			return host, "", true
		}
		if rest[0] != ':' || !allChars(rest[1:], portOK) {
			return "", "", false
		}
		return host, rest[1:], true
	}
	host, port, has := strings.Cut(s, ":")
	if !allChars(host, isHostChar) || has && !allChars(port, portOK) {
		return "", "", false
	}
	return host, port, true
}

// fallback parses "host[:port] [gate|masq|ipip]" (ldirectord
// parse_fallback + _ld_read_config_fallback_resolve). defPort is the
// virtual's port as written ("" for global and fwmark fallbacks).
func (p *parser) fallback(line int, name, text string, ipv6 bool, defPort, proto string) (*Fallback, string) {
	want := "host[:port] [gate|masq|ipip]"
	if ipv6 {
		want = "[ipv6][:port] [gate|masq|ipip]"
	}
	fields := strings.Fields(text)
	if len(fields) == 0 || len(fields) > 2 {
		return nil, badValue(name, text, want)
	}
	host, port, ok := splitHostPort(fields[0], isPortChar)
	if !ok {
		return nil, badValue(name, text, want)
	}
	f := &Fallback{Line: line, Forward: Gate}
	if len(fields) == 2 {
		switch fw := Forward(fields[1]); fw {
		case Gate, Masq, IPIP:
			f.Forward = fw
		default:
			return nil, fmt.Sprintf("%s: bad forwarding method %q (want gate, masq or ipip)", name, fields[1])
		}
	}
	a, m := p.resolveHost(name, host, ipv6)
	if m != "" {
		return nil, m
	}
	if port == "" {
		port = defPort
	}
	var pn uint16
	if port != "" {
		if pn, m = p.resolvePort(name, port, proto); m != "" {
			return nil, m
		}
	}
	f.Addr = netip.AddrPortFrom(a, pn)
	return f, ""
}
