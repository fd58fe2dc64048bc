package check

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

func TestFTP(t *testing.T) {
	files := map[string]string{"/index.html": "<h1>ftp works</h1>"}
	good := serve(checktest.FTP("anonymous", "ldirectord@lb1", files))
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	cases := []checkCase{
		{name: "login only (request /)", server: good, wantUp: true},
		{name: "file fetched and matched", server: good, target: req("/index.html", "ftp works"), wantUp: true},
		{name: "file not matched", server: good, target: req("/index.html", "^nope"), wantErr: `receive "^nope" not matched`},
		{name: "missing file", server: good, target: req("/missing", ""), wantErr: "ftp: RETR /missing: 550 no such file"},
		{name: "wrong password", server: good, target: func(t *Target) { t.Auth.Passwd = "x" }, wantErr: "ftp: login: 530 login incorrect"},
		{name: "greeting 421", server: serve(checktest.Greeting("421 too many users")), wantErr: "ftp: greeting: 421 too many users"},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, FTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ftp", Protocol: "tcp", Request: "/", Auth: Credentials{Login: "anonymous", Passwd: "ldirectord@lb1"}}}, cases)
}

func TestDNS(t *testing.T) {
	zone := checktest.DNSZone{Records: map[string][]string{
		"www.example.com":         {"192.0.2.10", "192.0.2.11"},
		"10.2.0.192.in-addr.arpa": {"www.example.com"},
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": {"v6.example.com"},
	}}
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	dnsServer := func(z checktest.DNSZone) func(testing.TB) netip.AddrPort {
		return func(t testing.TB) netip.AddrPort { return checktest.ServeDNS(t, z) }
	}
	silentUDP := func(t testing.TB) netip.AddrPort {
		return checktest.ServeUDP(t, "", func([]byte) [][]byte { return nil })
	}
	udpCases := []checkCase{
		{name: "A record matched", server: dnsServer(zone), target: req("/www.example.com", `^192\.0\.2\.11$`), wantUp: true},
		{name: "PTR for an address", server: dnsServer(zone), target: req("/192.0.2.10", "www.example.com"), wantUp: true},
		{name: "PTR for an IPv6 address", server: dnsServer(zone), target: req("/2001:db8::1", "^v6.example.com$"), wantUp: true},
		{name: "truncated answer retried over tcp", server: dnsServer(checktest.DNSZone{Records: zone.Records, TruncateUDP: true}),
			target: req("/www.example.com", "192.0.2.10"), wantUp: true},
		{name: "answer not matched", server: dnsServer(zone), target: req("/www.example.com", "^10\\."), wantErr: `receive "^10\\." not matched (answer 192.0.2.10, 192.0.2.11)`},
		{name: "empty receive never matches", server: dnsServer(zone), target: req("/www.example.com", ""), wantErr: "dns: receive is empty"},
		{name: "NXDOMAIN", server: dnsServer(zone), target: req("/nope.example.com", "."), wantErr: "dns: NXDOMAIN"},
		{name: "no answer times out", server: silentUDP, timeout: 300 * time.Millisecond, target: req("/www.example.com", "."), wantErr: "dns: timeout"},
		{name: "refused (port unreachable)", server: checktest.Refused, target: req("/www.example.com", "."), wantErr: "dns: connection refused"},
		{name: "not dns", server: func(t testing.TB) netip.AddrPort {
			return checktest.ServeUDP(t, "", func([]byte) [][]byte { return [][]byte{[]byte("hello")} })
		}, timeout: 300 * time.Millisecond, target: req("/www.example.com", "."), wantErr: "dns: timeout"},
	}
	runCases(t, DNS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "dns", Protocol: "udp"}}, udpCases)
	t.Run("tcp", func(t *testing.T) {
		cases := []checkCase{
			{name: "A record over tcp", server: dnsServer(zone), target: req("/www.example.com", "192.0.2.10"), wantUp: true},
			{name: "NXDOMAIN over tcp", server: dnsServer(zone), target: req("/nope.example.com", "."), wantErr: "dns: NXDOMAIN"},
		}
		for _, f := range tcpFailures() {
			f.target = req("/www.example.com", ".")
			cases = append(cases, f)
		}
		runCases(t, DNS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "dns", Protocol: "tcp"}}, cases)
	})
}

func TestLDAP(t *testing.T) {
	dir := checktest.LDAPDir{
		Users:          map[string]string{"cn=monitor,dc=example,dc=com": "pw"},
		AllowAnonymous: true,
		Entries:        []string{"dc=example,dc=com"},
	}
	noAnon := dir
	noAnon.AllowAnonymous = false
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	bind := func(pw string) func(*Target) {
		return func(t *Target) {
			t.Request, t.Auth.Login, t.Auth.Passwd = "/dc=example,dc=com", "cn=monitor,dc=example,dc=com", pw
		}
	}
	cases := []checkCase{
		{name: "anonymous bind and entry found", server: serve(checktest.LDAP(dir)), target: req("/dc=example,dc=com", "example"), wantUp: true},
		{name: "bind with login", server: serve(checktest.LDAP(noAnon)), target: bind("pw"), wantUp: true},
		{name: "wrong password", server: serve(checktest.LDAP(noAnon)), target: bind("nope"), wantErr: "ldap: bind: result 49 invalidCredentials: checktest says no"},
		{name: "login without passwd binds anonymously", server: serve(checktest.LDAP(noAnon)), target: bind(""), wantErr: "ldap: bind: result 49"},
		{name: "no such entry", server: serve(checktest.LDAP(dir)), target: req("/dc=other", ""), wantErr: `ldap: search "dc=other": result 32 noSuchObject`},
		{name: "dn not matched", server: serve(checktest.LDAP(dir)), target: req("/dc=example,dc=com", "^ou="), wantErr: `receive "^ou=" not matched`},
		{name: "not ldap", server: serve(func(c net.Conn) { c.Write([]byte{0x04, 0x01, 'x'}); io.Copy(io.Discard, c) }), target: req("/dc=example,dc=com", ""), wantErr: "ldap: bind: not an LDAP message"},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, LDAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ldap", Protocol: "tcp", Request: "/dc=example,dc=com"}}, cases)

	t.Run("checktimeout bounds ldap", func(t *testing.T) {
		runCases(t, LDAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ldap", Protocol: "tcp"}}, []checkCase{
			{name: "hang", server: checktest.Hang, target: func(t *Target) { t.CheckTimeout = 200 * time.Millisecond }, wantErr: "ldap: bind: timeout"},
		})
	})
	t.Run("ldaps", func(t *testing.T) {
		good := checktest.LDAP(dir)
		cases := []checkCase{{name: "search over tls", server: serveTLS(good, false), target: req("/dc=example,dc=com", ""), wantUp: true}}
		cases = append(append(cases, tlsFailures(good)[0]), tcpFailures()...)
		runCases(t, LDAP{TLS: true}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ldaps", Protocol: "tcp", Request: "/dc=example,dc=com"}}, cases)
	})
}

func TestRADIUS(t *testing.T) {
	srv := checktest.RADIUSServer{Secret: "sharedsecret", Users: map[string]string{"probe": "a long password, longer than 16 bytes"}}
	radiusServer := func(s checktest.RADIUSServer) func(testing.TB) netip.AddrPort {
		return func(t testing.TB) netip.AddrPort { return checktest.ServeUDP(t, "", s.Answer) }
	}
	creds := func(user, pw, secret string) func(*Target) {
		return func(t *Target) { t.Auth.Login, t.Auth.Passwd, t.Secret = user, pw, secret }
	}
	otherSecret := srv
	otherSecret.ReplySecret = "other"
	cases := []checkCase{
		{name: "access-accept", server: radiusServer(srv), target: creds("probe", "a long password, longer than 16 bytes", "sharedsecret"), wantUp: true},
		{name: "access-reject", server: radiusServer(srv), target: creds("probe", "wrong", "sharedsecret"), wantErr: "radius: Access-Reject"},
		{name: "unknown user", server: radiusServer(srv), target: creds("nobody", "x", "sharedsecret"), wantErr: "radius: Access-Reject"},
		{name: "answer signed with another secret", server: radiusServer(otherSecret), target: creds("probe", "a long password, longer than 16 bytes", "sharedsecret"),
			wantErr: "radius: bad response authenticator (wrong secret?)"},
		{name: "wrong secret: request dropped", server: radiusServer(srv), timeout: 300 * time.Millisecond, target: creds("probe", "x", "bad"), wantErr: "radius: timeout"},
		{name: "refused (port unreachable)", server: checktest.Refused, target: creds("probe", "x", "s"), wantErr: "radius: connection refused"},
		// A datagram with our ID whose Length field is under the 20-byte
		// header is discarded (RFC 2865 §3), then the real answer counts.
		// It used to slice past its end and panic (FuzzRADIUS).
		{name: "length under the header ignored", server: func(t testing.TB) netip.AddrPort {
			return checktest.ServeUDP(t, "", func(req []byte) [][]byte {
				bad := append([]byte{radiusAccessAccept, req[1], 0, 5}, make([]byte, 16)...)
				return append([][]byte{bad}, srv.Answer(req)...)
			})
		}, target: creds("probe", "a long password, longer than 16 bytes", "sharedsecret"), wantUp: true},
	}
	runCases(t, RADIUS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "radius", Protocol: "udp"}}, cases)
}

func TestSIP(t *testing.T) {
	udp := func(prov, status string) func(testing.TB) netip.AddrPort {
		return func(t testing.TB) netip.AddrPort { return checktest.ServeUDP(t, "", checktest.SIPUDP(prov, status)) }
	}
	cases := []checkCase{
		{name: "200 OK over udp", server: udp("", "SIP/2.0 200 OK"), wantUp: true},
		{name: "100 Trying, then 200 OK", server: udp("SIP/2.0 100 Trying", "SIP/2.0 200 OK"), wantUp: true},
		{name: "404 over udp", server: udp("", "SIP/2.0 404 Not Found"), wantErr: "sip: SIP/2.0 404 Not Found"},
		{name: "silence", server: func(t testing.TB) netip.AddrPort {
			return checktest.ServeUDP(t, "", func([]byte) [][]byte { return nil })
		},
			timeout: 300 * time.Millisecond, wantErr: "sip: timeout"},
		{name: "refused (port unreachable)", server: checktest.Refused, wantErr: "sip: connection refused"},
	}
	runCases(t, SIP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "sip", Protocol: "udp", Auth: Credentials{Login: "ldirectord@lb1"}}}, cases)
	t.Run("tcp", func(t *testing.T) {
		cases := []checkCase{
			{name: "200 OK over tcp", server: serve(checktest.SIP("", "SIP/2.0 200 OK")), wantUp: true},
			{name: "503 over tcp", server: serve(checktest.SIP("", "SIP/2.0 503 Service Unavailable")), wantErr: "sip: SIP/2.0 503 Service Unavailable"},
		}
		cases = append(cases, tcpFailures()...)
		runCases(t, SIP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "sip", Protocol: "tcp", Auth: Credentials{Login: "ldirectord@lb1"}}}, cases)
	})
}

func TestSimpleTCP(t *testing.T) {
	runCases(t, SimpleTCP{}, simpleTCPBase, simpleTCPCases())
}

// simpleTCPBase and simpleTCPCases are TestSimpleTCP's table, which the
// event-loop engine passes too (TestEngineSimpleTCP).
var simpleTCPBase = Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "simpletcp", Protocol: "tcp", Request: "/PING"}}

func simpleTCPCases() []checkCase {
	echo := serve(checktest.Request(func(req string) string { return "line one\r\nyou said: " + strings.ReplaceAll(req, "\n", "|") + "\r\n" }))
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	cases := []checkCase{
		{name: "request sent, newline expanded, line matched", server: echo, target: req(`/PING\nx`, `^you said: PING\|x$`), wantUp: true},
		{name: "empty receive matches any line", server: echo, target: req("/PING", ""), wantUp: true},
		{name: "no line matched", server: echo, target: req("/PING", "PONG"), wantErr: `receive "PONG" not matched`},
		{name: "server reads and closes silently", server: serve(checktest.Request(func(string) string { return "" })), target: req("/PING", "PONG"), wantErr: "simpletcp: connection closed by server"},
	}
	return append(cases, tcpFailures()...)
}
