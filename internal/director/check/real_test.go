package check

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// The checks against the real Debian servers (checktest.Slapd, ...): for
// each, success, wrong credentials, a wrong answer and the server down.
// The servers' own ports are used; "server down" stops the server and
// checks the same address again, so it runs last in each table.

// at is a runCases server factory for a real server's address.
func at(srv checktest.RealServer, name string) func(testing.TB) netip.AddrPort {
	return func(testing.TB) netip.AddrPort { return srv.Addrs[name] }
}

// down stops srv and returns the address name had.
func down(srv checktest.RealServer, name string) func(testing.TB) netip.AddrPort {
	return func(testing.TB) netip.AddrPort {
		srv.Stop()
		return srv.Addrs[name]
	}
}

func TestRealSlapd(t *testing.T) {
	srv := checktest.Slapd(t)
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	bind := func(pw string) func(*Target) {
		return func(t *Target) { t.Auth.Login, t.Auth.Passwd = checktest.RealBindDN, pw }
	}
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "ldap", true: "ldaps"}[tls]
		t.Run(name, func(t *testing.T) {
			base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: name, Protocol: "tcp", Request: "/" + checktest.RealBaseDN}}
			runCases(t, LDAP{TLS: tls}, base, []checkCase{
				{name: "anonymous bind, entry found and matched", server: at(srv, name), target: req("/"+checktest.RealBaseDN, "^dc=example"), wantUp: true},
				{name: "bind with login", server: at(srv, name), target: bind(checktest.RealPassword), wantUp: true},
				{name: "wrong password", server: at(srv, name), target: bind("wrong"), wantErr: "ldap: bind: result 49 invalidCredentials"},
				{name: "no such entry", server: at(srv, name), target: req("/dc=other,dc=com", ""), wantErr: `ldap: search "dc=other,dc=com": result 32 noSuchObject`},
				{name: "dn not matched", server: at(srv, name), target: req("/"+checktest.RealBaseDN, "^ou="), wantErr: `receive "^ou=" not matched`},
				{name: "bad dn syntax", server: at(srv, name), target: req("/not a dn", ""), wantErr: "result 34 invalidDNSyntax"},
			})
		})
	}
	t.Run("down", func(t *testing.T) {
		runCases(t, LDAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ldap", Protocol: "tcp"}}, []checkCase{
			{name: "server stopped", server: down(srv, "ldap"), wantErr: "connect: connection refused"},
		})
	})
}

func TestRealFreeRADIUS(t *testing.T) {
	srv := checktest.FreeRADIUS(t)
	creds := func(user, pw, secret string) func(*Target) {
		return func(t *Target) { t.Auth.Login, t.Auth.Passwd, t.Secret = user, pw, secret }
	}
	good := creds(checktest.RealUser, checktest.RealPassword, checktest.RealSecret)
	runCases(t, RADIUS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "radius", Protocol: "udp"}}, []checkCase{
		{name: "access-accept", server: at(srv, "radius"), target: good, wantUp: true},
		{name: "wrong password", server: at(srv, "radius"), target: creds(checktest.RealUser, "wrong", checktest.RealSecret), wantErr: "radius: Access-Reject"},
		{name: "unknown user", server: at(srv, "radius"), target: creds("nobody", "x", checktest.RealSecret), wantErr: "radius: Access-Reject"},
		// A request signed with another secret fails its Message-Authenticator:
		// FreeRADIUS drops it, and the check times out at its timeout.
		{name: "wrong secret times out", server: at(srv, "radius"), timeout: 500 * time.Millisecond,
			target: creds(checktest.RealUser, checktest.RealPassword, "wrong"), wantErr: "radius: timeout"},
		{name: "server stopped", server: down(srv, "radius"), target: good, wantErr: "radius: connection refused"},
	})
}

func TestRealVsftpd(t *testing.T) {
	srv := checktest.Vsftpd(t)
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	runCases(t, FTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ftp", Protocol: "tcp", Request: "/", Auth: Credentials{Login: "anonymous", Passwd: "ldirectord@lb1"}}}, []checkCase{
		{name: "anonymous login", server: at(srv, "ftp"), wantUp: true},
		{name: "file fetched and matched", server: at(srv, "ftp"), target: req(checktest.RealFile, "ftp works"), wantUp: true},
		{name: "file not matched", server: at(srv, "ftp"), target: req(checktest.RealFile, "^nope"), wantErr: `receive "^nope" not matched`},
		{name: "missing file", server: at(srv, "ftp"), target: req("/missing", ""), wantErr: "ftp: RETR /missing: 550 Failed to open file."},
		{name: "wrong credentials", server: at(srv, "ftp"), target: func(t *Target) { t.Auth.Login, t.Auth.Passwd = "bob", "secret" },
			wantErr: "ftp: login: 530 This FTP server is anonymous only."},
		// maxBody: the first 4 MiB of a 5 MiB file are matched, and the check
		// ends the transfer there instead of waiting for the rest.
		{name: "big file: head matched within the body limit", server: at(srv, "ftp"), target: req(checktest.RealBigFile, "^x{1000}"), wantUp: true},
		{name: "big file: tail past the body limit not matched", server: at(srv, "ftp"), target: req(checktest.RealBigFile, checktest.RealBigTail),
			wantErr: "not matched"},
		{name: "server stopped", server: down(srv, "ftp"), wantErr: "connect: connection refused"},
	})
}

func TestRealDovecot(t *testing.T) {
	srv := checktest.Dovecot(t)
	login := func(u, p string) func(*Target) { return func(t *Target) { t.Auth.Login, t.Auth.Passwd = u, p } }
	good := login(checktest.RealUser, checktest.RealPassword)
	tests := []struct {
		service string
		c       Checker
		other   string // a port of the other mail protocol: a wrong answer
		badPass string // the error of a wrong password
		wrong   string // the error of the other protocol's greeting
	}{
		{"imap", IMAP{}, "pop", `imap: LOGIN: "NO [AUTHENTICATIONFAILED] Authentication failed."`, `imap: greeting: "+OK Dovecot`},
		{"imaps", IMAP{TLS: true}, "pops", `imaps: LOGIN: "NO [AUTHENTICATIONFAILED] Authentication failed."`, `imaps: greeting: "+OK Dovecot`},
		{"pop", POP{}, "imap", `pop: PASS: "-ERR [AUTH] Authentication failed."`, `pop: greeting: "* OK`},
		{"pops", POP{TLS: true}, "imaps", `pops: PASS: "-ERR [AUTH] Authentication failed."`, `pops: greeting: "* OK`},
	}
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			runCases(t, tc.c, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: tc.service, Protocol: "tcp"}}, []checkCase{
				{name: "greeting", server: at(srv, tc.service), wantUp: true},
				{name: "login", server: at(srv, tc.service), target: good, wantUp: true},
				{name: "wrong password", server: at(srv, tc.service), target: login(checktest.RealUser, "wrong"), wantErr: tc.badPass},
				{name: "the other protocol answers", server: at(srv, tc.other), target: good, wantErr: tc.wrong},
			})
		})
	}
	t.Run("down", func(t *testing.T) {
		runCases(t, IMAP{TLS: true}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "imaps", Protocol: "tcp"}}, []checkCase{
			{name: "server stopped", server: down(srv, "imaps"), target: good, wantErr: "connect: connection refused"},
		})
	})
}

func TestRealExim(t *testing.T) {
	mta := checktest.Exim(t)
	ftp := checktest.Vsftpd(t)
	smtp := func(testing.TB) netip.AddrPort { return mta.Addr }
	stopped := func(testing.TB) netip.AddrPort {
		mta.Stop()
		return mta.Addr
	}
	for _, service := range []string{"smtp", "submission"} {
		t.Run(service, func(t *testing.T) {
			runCases(t, SMTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: service, Protocol: "tcp"}}, []checkCase{
				{name: "greeting and EHLO", server: smtp, wantUp: true},
				// The SMTP check has no credentials (ldirectord's check_smtp
				// logs in to nothing). The wrong answer: an FTP server greets
				// with 220 too, then refuses EHLO and HELO.
				{name: "an ftp server answers", server: at(ftp, "ftp"), wantErr: "smtp: EHLO: 530 Please login with USER and PASS."},
			})
		})
	}
	runCases(t, SMTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "smtp", Protocol: "tcp"}}, []checkCase{
		{name: "server stopped", server: stopped, wantErr: "connect: connection refused"},
	})
}

func TestRealDnsmasq(t *testing.T) {
	srv := checktest.Dnsmasq(t)
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			runCases(t, DNS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "dns", Protocol: proto}}, []checkCase{
				{name: "A record matched", server: at(srv, "dns"), target: req("/www.example.com", `^192\.0\.2\.11$`), wantUp: true},
				{name: "PTR for an address", server: at(srv, "dns"), target: req("/192.0.2.10", "^www.example.com$"), wantUp: true},
				{name: "answer not matched", server: at(srv, "dns"), target: req("/www.example.com", `^10\.`), wantErr: `not matched (answer 192.0.2.`},
				{name: "NXDOMAIN", server: at(srv, "dns"), target: req("/nope.example.com", "."), wantErr: "dns: NXDOMAIN"},
				{name: "REFUSED outside its zone", server: at(srv, "dns"), target: req("/example.org", "."), wantErr: "dns: REFUSED"},
			})
		})
	}
	t.Run("down", func(t *testing.T) {
		runCases(t, DNS{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "dns", Protocol: "udp"}}, []checkCase{
			{name: "server stopped", server: down(srv, "dns"), target: req("/www.example.com", "."), wantErr: "dns: connection refused"},
		})
	})
}
