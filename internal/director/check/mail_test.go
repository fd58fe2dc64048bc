package check

import (
	"net"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

func TestSMTP(t *testing.T) {
	cases := []checkCase{
		{name: "greeting and EHLO", server: serve(checktest.SMTP("220 mail ESMTP", true, true)), wantUp: true},
		{name: "multi-line greeting", server: serve(checktest.SMTP("220-mail ESMTP\r\n220 welcome", true, true)), wantUp: true},
		{name: "EHLO refused, HELO accepted", server: serve(checktest.SMTP("220 mail", false, true)), wantUp: true},
		{name: "EHLO and HELO refused", server: serve(checktest.SMTP("220 mail", false, false)), wantErr: "smtp: EHLO: 502 command not implemented"},
		{name: "greeting 554", server: serve(checktest.SMTP("554 no service", true, true)), wantErr: "smtp: greeting: 554 no service"},
		{name: "not smtp", server: serve(checktest.Greeting("+OK pop3")), wantErr: `smtp: greeting: bad reply "+OK pop3"`},
		{name: "server closes", server: serve(func(c net.Conn) {}), wantErr: "smtp: greeting: connection closed by server"},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, SMTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "smtp", Protocol: "tcp"}}, cases)
}

func TestPOP(t *testing.T) {
	users := map[string]string{"alice": "pw"}
	login := func(u, p string) func(*Target) { return func(t *Target) { t.Auth.Login, t.Auth.Passwd = u, p } }
	good := checktest.POP3("+OK ready", users)
	cases := []checkCase{
		{name: "greeting, no login", server: serve(good), wantUp: true},
		{name: "login", server: serve(good), target: login("alice", "pw"), wantUp: true},
		{name: "wrong password", server: serve(good), target: login("alice", "nope"), wantErr: `pop: PASS: "-ERR authentication failed"`},
		{name: "greeting -ERR", server: serve(checktest.POP3("-ERR busy", users)), wantErr: `pop: greeting: "-ERR busy"`},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, POP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "pop", Protocol: "tcp"}}, cases)

	t.Run("pops", func(t *testing.T) {
		cases := []checkCase{
			{name: "login over tls", server: serveTLS(good, false), target: login("alice", "pw"), wantUp: true},
			{name: "wrong password over tls", server: serveTLS(good, false), target: login("alice", "x"), wantErr: "pops: PASS:"},
		}
		cases = append(append(cases, tlsFailures(good)...), tcpFailures()...)
		runCases(t, POP{TLS: true}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "pops", Protocol: "tcp"}}, cases)
	})
}

func TestIMAP(t *testing.T) {
	users := map[string]string{`bob "the" user`: `p\w`}
	login := func(u, p string) func(*Target) { return func(t *Target) { t.Auth.Login, t.Auth.Passwd = u, p } }
	good := checktest.IMAP("* OK IMAP4rev1 ready", users)
	cases := []checkCase{
		{name: "greeting, no login", server: serve(good), wantUp: true},
		{name: "preauth greeting", server: serve(checktest.IMAP("* PREAUTH hello", users)), wantUp: true},
		{name: "login with quoted specials", server: serve(good), target: login(`bob "the" user`, `p\w`), wantUp: true},
		{name: "wrong password", server: serve(good), target: login(`bob "the" user`, "x"), wantErr: `imap: LOGIN: "NO [AUTHENTICATIONFAILED] invalid credentials"`},
		{name: "greeting BYE", server: serve(checktest.IMAP("* BYE too busy", users)), wantErr: `imap: greeting: "* BYE too busy"`},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, IMAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "imap", Protocol: "tcp"}}, cases)

	t.Run("imaps", func(t *testing.T) {
		cases := []checkCase{
			{name: "login over tls", server: serveTLS(good, false), target: login(`bob "the" user`, `p\w`), wantUp: true},
			{name: "wrong password over tls", server: serveTLS(good, false), target: login(`bob "the" user`, "x"), wantErr: "imaps: LOGIN:"},
		}
		cases = append(append(cases, tlsFailures(good)...), tcpFailures()...)
		runCases(t, IMAP{TLS: true}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "imaps", Protocol: "tcp"}}, cases)
	})
}

func TestNNTP(t *testing.T) {
	cases := []checkCase{
		{name: "200 greeting", server: serve(checktest.Greeting("200 news server ready, posting allowed")), wantUp: true},
		{name: "201 greeting", server: serve(checktest.Greeting("201 no posting")), wantUp: true},
		{name: "400 greeting", server: serve(checktest.Greeting("400 service discontinued")), wantErr: `nntp: greeting: "400 service discontinued\r\n"`},
		{name: "server closes", server: serve(func(c net.Conn) {}), wantErr: "nntp: greeting: connection closed by server"},
	}
	cases = append(cases, tcpFailures()...)
	runCases(t, NNTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "nntp", Protocol: "tcp"}}, cases)
}
