package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
)

// resolvePort turns a port number or service name into a port
// (ldirectord ld_getservbyname). Names go through Options.LookupPort, or
// the built-in table when it is nil; for fwmark services (proto "fwm") tcp
// is tried, then udp.
func (p *parser) resolvePort(directive, text, proto string) (uint16, string) {
	if !allChars(text, isPortChar) {
		return 0, fmt.Sprintf("%s: bad port %q (want 0-65535 or a service name)", directive, text)
	}
	if strings.TrimLeft(text, "0123456789") == "" {
		n, m := parseUint(directive, text, 0, 65535, "")
		if m != "" {
			return 0, fmt.Sprintf("%s: bad port %q (want 0-65535 or a service name)", directive, text)
		}
		return uint16(n), ""
	}
	lookup := p.opt.LookupPort
	if lookup == nil {
		lookup = BuiltinLookupPort
	}
	protos := []string{proto}
	if proto != "tcp" && proto != "udp" {
		protos = []string{"tcp", "udp"}
	}
	for _, pr := range protos {
		if port, err := lookup(pr, text); err == nil {
			return port, ""
		}
	}
	return 0, fmt.Sprintf("%s: unknown service name %q for %s (want a port number or a service name from /etc/services)",
		directive, text, strings.Join(protos, "/"))
}

// resolveHost turns an address or host name into an address of the
// wanted family (ldirectord ld_gethostbyname: getaddrinfo with AF_INET or
// AF_INET6, first answer).
func (p *parser) resolveHost(directive, host string, ipv6 bool) (netip.Addr, string) {
	fam, other := "IPv4", "IPv6"
	if ipv6 {
		fam, other = "IPv6", "IPv4"
	}
	if a, err := netip.ParseAddr(host); err == nil {
		switch {
		case a.Zone() != "":
			return netip.Addr{}, fmt.Sprintf("%s: address %q has a zone (want an address without %%zone)", directive, host)
		case ipv6 != a.Is6():
			return netip.Addr{}, fmt.Sprintf("%s: %s is an %s address (want an %s address here)", directive, host, other, fam)
		}
		return a, ""
	}
	if host == "" || strings.Trim(host, "0123456789.") == "" || strings.Contains(host, ":") {
		return netip.Addr{}, fmt.Sprintf("%s: bad address %q (want an %s address or a host name)", directive, host, fam)
	}
	if p.opt.LookupHost == nil {
		return netip.Addr{}, fmt.Sprintf("%s: cannot resolve host name %q: no resolver configured (want an %s address)", directive, host, fam)
	}
	addrs, err := p.opt.LookupHost(host)
	if err != nil {
		return netip.Addr{}, fmt.Sprintf("%s: cannot resolve host name %q: %v (want a resolvable name or an %s address)", directive, host, err, fam)
	}
	for _, a := range addrs {
		if !ipv6 {
			a = a.Unmap()
		}
		if a.IsValid() && a.Is6() == ipv6 {
			return a.WithZone(""), ""
		}
	}
	return netip.Addr{}, fmt.Sprintf("%s: host name %q has no %s address (want a name with an %s address)", directive, host, fam, fam)
}
