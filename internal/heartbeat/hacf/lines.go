package hacf

import (
	"net/netip"
	"path"
	"strings"
)

// fieldsWS splits on Heartbeat's WHITESPACE (not on commas): whole-line
// directives tokenise that way.
func fieldsWS(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(whitespace, r) })
}

// ucast is lib/plugins/HBcomm/ucast.c ucast_parse: "ucast dev peer".
// An empty line is accepted and declares nothing; words after the peer
// are ignored.
func (p *parser) ucast(line int, dir, rest string) {
	f := fieldsWS(rest)
	if len(f) == 0 {
		p.warnf(line, "ucast: no interface given; directive ignored")
		return
	}
	if len(f) < 2 {
		p.errorf(line, "ucast: [%s] missing target IP address/hostname (want ucast <interface> <peer address>)", f[0])
		return
	}
	if len(f) > 2 {
		p.warnf(line, "ucast: words after the peer address ignored: %q", strings.Join(f[2:], " "))
	}
	addr, err := netip.ParseAddr(f[1])
	if err == nil && !addr.Is4() {
		p.errorf(line, "ucast: %q is not an IPv4 address (IPv6 media are not provided by hbd)", f[1])
		return
	}
	if !p.addMedium(line, dir) {
		return
	}
	if p.ucastPort == 0 {
		p.ucastPort = p.cfg.UDPPort
	}
	p.cfg.Ucast = append(p.cfg.Ucast, Ucast{Line: line, Iface: f[0], Peer: f[1], Addr: addr, Port: p.ucastPort})
}

// mcast is lib/plugins/HBcomm/mcast.c mcast_parse:
// "mcast dev group port ttl loop". Port, ttl and loop are read with atoi;
// ttl must be at most 4 and loop 0 or 1.
func (p *parser) mcast(line int, dir, rest string) {
	f := fieldsWS(rest)
	if len(f) == 0 {
		p.warnf(line, "mcast: no interface given; directive ignored")
		return
	}
	const want = "want mcast <interface> <group> <port> <ttl> <loop>"
	names := []string{"mcast address", "port", "ttl", "loop"}
	if len(f) < 5 {
		p.errorf(line, "mcast: [%s] missing %s (%s)", f[0], names[len(f)-1], want)
		return
	}
	if len(f) > 5 {
		p.warnf(line, "mcast: words after loop ignored: %q", strings.Join(f[5:], " "))
	}
	m := Mcast{Line: line, Iface: f[0]}
	group, err := netip.ParseAddr(f[1])
	if err != nil || !group.Is4() || !group.IsMulticast() {
		p.errorf(line, "mcast: [%s] bad addr %q (want an IPv4 multicast address 224.0.0.0-239.255.255.255)", f[0], f[1])
		return
	}
	m.Group = group
	port, ok := p.intValue(line, dir, f[2], 1, 65535, "a port 1-65535")
	if !ok {
		return
	}
	ttl, ok := p.intValue(line, dir, f[3], 0, 4, "a ttl 0-4")
	if !ok {
		return
	}
	loop, ok := p.intValue(line, dir, f[4], 0, 1, "loop 0 or 1")
	if !ok {
		return
	}
	if !p.addMedium(line, dir) {
		return
	}
	m.Port, m.TTL, m.Loop = uint16(port), uint8(ttl), loop == 1
	p.cfg.Mcast = append(p.cfg.Mcast, m)
}

// pingGroup is lib/plugins/HBcomm/ping_group.c ping_group_parse:
// "ping_group name host [host...]".
func (p *parser) pingGroup(line int, dir, rest string) {
	f := fieldsWS(rest)
	if len(f) < 2 {
		p.errorf(line, "ping_group: want ping_group <name> <host> [<host>...]")
		return
	}
	name := strings.ToLower(f[0])
	for _, h := range f[1:] {
		if a, err := netip.ParseAddr(h); err == nil && !a.Is4() {
			p.errorf(line, "ping_group: %q is not an IPv4 address (IPv6 ping nodes are not provided by hbd)", h)
			return
		}
	}
	if !p.addNodeName(line, dir, name) || !p.addMedium(line, dir) {
		return
	}
	p.pingNodes++
	p.cfg.PingGroups = append(p.cfg.PingGroups, PingGroup{Line: line, Name: name, Hosts: f[1:]})
}

// respawn is add_client_child_base: "respawn user /path [args]". Heartbeat
// also checks that the user exists and the path is executable; that needs
// the file system and is left to the caller.
func (p *parser) respawn(line int, dir, rest string) {
	rest = strings.TrimLeft(rest, whitespace)
	uend := strings.IndexAny(rest, whitespace)
	if uend < 0 {
		uend = len(rest)
	}
	user := rest[:uend]
	cmd := strings.TrimRight(strings.TrimLeft(rest[uend:], whitespace), whitespace)
	switch {
	case user == "":
		p.errorf(line, "respawn: want respawn <user> <absolute path> [<args>]")
		return
	case len(user) >= 64:
		p.errorf(line, "respawn: user name %q too long (max 63 characters)", user)
		return
	case !strings.HasPrefix(cmd, "/"):
		p.errorf(line, "respawn: client child command [%s] is not full pathname (want respawn <user> <absolute path> [<args>])", cmd)
		return
	}
	path := cmd
	if i := strings.IndexAny(cmd, whitespace); i >= 0 {
		path = cmd[:i]
	}
	r := Respawn{Line: line, User: user, Command: cmd, Path: path}
	if base := r.Program(); apiClients[base] {
		p.warnf(line, "respawn: %s is a Heartbeat API client and hbd has no client API: "+
			"it will be started and respawned but cannot connect (only ipfail is provided, built in)", base)
	}
	p.cfg.Respawn = append(p.cfg.Respawn, r)
}

// Program returns the base name of the respawned program.
func (r Respawn) Program() string { return path.Base(r.Path) }

// IPfail reports whether the respawn line starts Heartbeat's ipfail
// (any path whose base name is ipfail: /usr/lib/heartbeat/ipfail,
// /usr/lib64/heartbeat/ipfail, /usr/libexec/heartbeat/ipfail). hbd
// provides ipfail built in and runs no program for such a line.
func (r Respawn) IPfail() bool { return r.Program() == IPfailClient }

// IPfail returns the respawn line that enables ipfail, if any.
func (c *Config) IPfail() (Respawn, bool) {
	for _, r := range c.Respawn {
		if r.IPfail() {
			return r, true
		}
	}
	return Respawn{}, false
}

// Programs returns the respawn lines hbd runs as programs: all but ipfail.
func (c *Config) Programs() []Respawn {
	var out []Respawn
	for _, r := range c.Respawn {
		if !r.IPfail() {
			out = append(out, r)
		}
	}
	return out
}

// apiauth is set_api_authorization: "apiauth client [uid=a,b] [gid=c,d]",
// at least one list, each at most once, one directive per client.
func (p *parser) apiauth(line int, dir, rest string) {
	const want = "want apiauth <client> [uid=<uid,...>] [gid=<gid,...>]"
	f := fieldsWS(rest)
	if len(f) == 0 {
		p.errorf(line, "apiauth: missing client name (%s)", want)
		return
	}
	a := APIAuth{Line: line, Client: f[0]}
	var haveUID, haveGID bool
	for _, w := range f[1:] {
		var list *[]string
		var seen *bool
		switch {
		case strings.HasPrefix(w, "uid="):
			list, seen = &a.UIDs, &haveUID
		case strings.HasPrefix(w, "gid="):
			list, seen = &a.GIDs, &haveGID
		default:
			p.errorf(line, "apiauth: %s: unexpected %q (%s)", a.Client, w, want)
			return
		}
		if *seen {
			p.errorf(line, "apiauth: %s: duplicate %s list", a.Client, w[:3])
			return
		}
		*seen = true
		for _, id := range strings.Split(w[4:], ",") {
			if id != "" {
				*list = append(*list, id)
			}
		}
	}
	if len(a.UIDs) == 0 && len(a.GIDs) == 0 {
		p.errorf(line, "apiauth: %s: missing uid or gid (%s)", a.Client, want)
		return
	}
	if p.apiClients[a.Client] {
		p.errorf(line, "apiauth: duplicate apiauth directive for API client %s", a.Client)
		return
	}
	p.apiClients[a.Client] = true
	p.cfg.APIAuth = append(p.cfg.APIAuth, a)
	if a.Client != IPfailClient {
		p.warnf(line, "apiauth: %s: accepted but has no effect in hbd: hbd has no Heartbeat client API "+
			"(only ipfail is provided, built in)", a.Client)
	}
}
