package ldcf

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Services are the values of service= that ldirectord 4.12 accepts.
var Services = []string{"dns", "ftp", "http", "https", "http_proxy", "imap", "imaps", "ldap", "ldaps", "mysql",
	"nntp", "none", "oracle", "pop", "pops", "radius", "pgsql", "simpletcp", "sip", "smtp", "submission"}

// servicePorts is ldirectord's ld_port_to_service / ld_service_to_port table.
var servicePorts = []struct {
	port    uint16
	service string
}{
	{21, "ftp"}, {25, "smtp"}, {53, "dns"}, {80, "http"}, {110, "pop"}, {119, "nntp"}, {143, "imap"},
	{389, "ldap"}, {443, "https"}, {587, "submission"}, {636, "ldaps"}, {993, "imaps"}, {995, "pops"},
	{1521, "oracle"}, {1812, "radius"}, {3128, "http_proxy"}, {3306, "mysql"}, {5060, "sip"}, {5432, "pgsql"},
}

// ServiceForPort returns the check service ldirectord defaults to for a
// virtual service's port (ld_port_to_service): 80 → "http", 3306 →
// "mysql", ..., and "none" for any other port.
func ServiceForPort(port uint16) string {
	for _, sp := range servicePorts {
		if sp.port == port {
			return sp.service
		}
	}
	return "none"
}

// PortForService returns the well-known port of an ldirectord check service
// (ld_service_to_port), used when a real has no port (fwmark services) and
// no checkport is set. ok is false for "none", "simpletcp" and unknown names.
func PortForService(service string) (port uint16, ok bool) {
	for _, sp := range servicePorts {
		if sp.service == service {
			return sp.port, true
		}
	}
	return 0, false
}

// wellKnownPorts is the built-in service-name table used when
// Options.LookupPort is nil; it mirrors Debian's /etc/services for the
// names a load balancer is likely to see (aliases included). The names
// are looked up regardless of protocol.
var wellKnownPorts = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "mail": 25, "domain": 53,
	"tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "pop-3": 110, "nntp": 119,
	"ntp": 123, "imap2": 143, "imap": 143, "snmp": 161, "ldap": 389, "https": 443,
	"submissions": 465, "ssmtp": 465, "smtps": 465, "syslog": 514, "submission": 587, "ldaps": 636,
	"rsync": 873, "imaps": 993, "pop3s": 995, "socks": 1080, "openvpn": 1194, "ms-sql-s": 1433,
	"radius": 1812, "radius-acct": 1813, "radacct": 1813, "nfs": 2049, "mysql": 3306, "sieve": 4190,
	"postgresql": 5432, "postgres": 5432, "sip": 5060, "sip-tls": 5061, "xmpp-client": 5222,
	"redis": 6379, "http-alt": 8080, "webcache": 8080,
}

// BuiltinLookupPort resolves a service name from the built-in table of
// well-known names; it is what Parse uses when Options.LookupPort is nil.
func BuiltinLookupPort(proto, service string) (uint16, error) {
	if p, ok := wellKnownPorts[service]; ok {
		return p, nil
	}
	return 0, errUnknownService
}

type lookupError string

func (e lookupError) Error() string { return string(e) }

const errUnknownService = lookupError("unknown service name")

// ServicesTable is a parsed /etc/services: protocol → name or alias → port.
type ServicesTable map[string]map[string]uint16

// ParseServices reads the services(5) format: "name port/proto [aliases...]
// [# comment]". Malformed lines are skipped, as getservbyname does. The
// first entry of a name wins.
func ParseServices(r io.Reader) (ServicesTable, error) {
	t := ServicesTable{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			continue
		}
		m := t[proto]
		if m == nil {
			m = map[string]uint16{}
			t[proto] = m
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, dup := m[name]; !dup {
				m[name] = uint16(port)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Lookup resolves a service name for proto ("tcp" or "udp"); an empty
// proto means any protocol (tcp first), like getservbyname(name, NULL).
func (t ServicesTable) Lookup(proto, service string) (uint16, error) {
	protos := []string{proto}
	if proto == "" {
		protos = []string{"tcp", "udp"}
	}
	for _, p := range protos {
		if port, ok := t[p][service]; ok {
			return port, nil
		}
	}
	return 0, errUnknownService
}
