package check

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// httpAnswer is a whole HTTP answer with body.
func httpAnswer(body []byte) []byte {
	return append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))), body...)
}

// afterRequest is a server that reads the request's header, then hands
// the connection to h.
func afterRequest(h checktest.Handler) checktest.Handler {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		h(c)
	}
}

// TestSizeLimits: a server sending more than a limit (maxBody, maxLine,
// maxBER) gets a prompt, clear answer, and the check reads no more than
// the limit.
func TestSizeLimits(t *testing.T) {
	big := bytes.Repeat([]byte("x"), maxBody+1<<20) // 5 MiB of x
	headMark := append([]byte("HEAD "), big...)
	tailMark := append(append([]byte{}, big...), []byte(" TAIL")...)
	req := func(r, recv string) func(*Target) { return func(t *Target) { t.Request, t.Receive = r, recv } }

	t.Run("maxBody http", func(t *testing.T) {
		base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Request: "/"}}
		runCases(t, HTTP{}, base, []checkCase{
			{name: "match within the limit", server: serve(afterRequest(checktest.Blob(httpAnswer(headMark)))), target: req("/", "^HEAD x"), wantUp: true},
			{name: "match past the limit is not seen", server: serve(afterRequest(checktest.Blob(httpAnswer(tailMark)))), target: req("/", "TAIL"), wantErr: `receive "TAIL" not matched`},
		})
	})
	t.Run("maxBody https", func(t *testing.T) {
		base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "https", Protocol: "tcp", Request: "/"}}
		runCases(t, HTTP{}, base, []checkCase{
			{name: "match within the limit", server: serveTLS(afterRequest(checktest.Blob(httpAnswer(headMark))), false), target: req("/", "^HEAD x"), wantUp: true},
			{name: "match past the limit is not seen", server: serveTLS(afterRequest(checktest.Blob(httpAnswer(tailMark))), false), target: req("/", "TAIL"), wantErr: `receive "TAIL" not matched`},
		})
	})
	longLine := func(prefix string) []byte {
		return append([]byte(prefix), bytes.Repeat([]byte("y"), maxLine+4096)...)
	}
	t.Run("maxLine", func(t *testing.T) {
		runCases(t, SMTP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "smtp", Protocol: "tcp"}}, []checkCase{
			{name: "smtp greeting", server: serve(checktest.Blob(longLine("220 "))), wantErr: "smtp: greeting: line too long"},
		})
		runCases(t, IMAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "imap", Protocol: "tcp"}}, []checkCase{
			{name: "imap greeting", server: serve(checktest.Blob(longLine("* OK "))), wantErr: "imap: greeting: line too long"},
		})
		runCases(t, SIP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "sip", Protocol: "tcp", Auth: Credentials{Login: "x@y"}}}, []checkCase{
			{name: "sip status line", server: serve(checktest.Blob(longLine("SIP/2.0 200 "))), wantErr: "sip: line too long"},
		})
		runCases(t, SimpleTCP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "simpletcp", Protocol: "tcp", Request: "/x"}}, []checkCase{
			{name: "simpletcp answer", server: serve(checktest.Blob(longLine("ok "))), wantErr: "simpletcp: line too long"},
		})
	})
	t.Run("maxBER", func(t *testing.T) {
		// An LDAPMessage header announcing 2 MiB: refused from the header,
		// without waiting for (or allocating) the contents.
		huge := []byte{0x30, 0x84, 0x00, 0x20, 0x00, 0x00}
		runCases(t, LDAP{}, Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "ldap", Protocol: "tcp", Request: "/dc=x"}}, []checkCase{
			{name: "element over the limit", server: serve(checktest.Blob(huge)), wantErr: "ldap: bind: BER element of 2097152 bytes is too long"},
			{name: "length of more than 4 bytes", server: serve(checktest.Blob([]byte{0x30, 0x85, 1, 0, 0, 0, 0})), wantErr: "ldap: bind: bad BER length"},
		})
	})
}

// TestSlowDrip: a server that keeps sending a byte every 20 ms never
// completes an answer; each check gives up at its configured timeout,
// not earlier and not much later, whatever it is reading.
func TestSlowDrip(t *testing.T) {
	const timeout = 400 * time.Millisecond
	drip := func(head string) func(testing.TB) netip.AddrPort {
		return serve(checktest.Drip([]byte(head), 'z', 20*time.Millisecond))
	}
	dripTLS := func(head string) func(testing.TB) netip.AddrPort {
		return serveTLS(checktest.Drip([]byte(head), 'z', 20*time.Millisecond), false)
	}
	dripHTTPS := func(head string) func(testing.TB) netip.AddrPort {
		return serveTLS(afterRequest(checktest.Drip([]byte(head), 'z', 20*time.Millisecond)), false)
	}
	tests := []struct {
		name    string
		c       Checker
		t       Target
		server  func(testing.TB) netip.AddrPort
		wantErr string
	}{
		{"http headers", HTTP{}, Target{Options: &Options{Service: "http", Request: "/"}}, drip("HTTP/1.1 200 OK\r\nX-Slow: "), "timeout"},
		{"http body", HTTP{}, Target{Options: &Options{Service: "http", Request: "/"}}, drip("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), "timeout"},
		{"https body", HTTP{}, Target{Options: &Options{Service: "https", Request: "/"}}, dripHTTPS("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), "timeout"},
		{"smtp greeting line", SMTP{}, Target{Options: &Options{Service: "smtp"}}, drip("220 "), "smtp: greeting: timeout"},
		{"ftp greeting line", FTP{}, Target{Options: &Options{Service: "ftp", Request: "/"}}, drip("220 "), "ftp: greeting: timeout"},
		{"pop greeting line", POP{}, Target{Options: &Options{Service: "pop"}}, drip("+OK "), "pop: greeting: timeout"},
		{"imaps greeting line", IMAP{TLS: true}, Target{Options: &Options{Service: "imaps"}}, dripTLS("* OK "), "imaps: greeting: timeout"},
		{"sip status line", SIP{}, Target{Options: &Options{Service: "sip", Auth: Credentials{Login: "x@y"}}}, drip("SIP/2.0 200 "), "sip: timeout"},
		{"ldap BER contents", LDAP{}, Target{Options: &Options{Service: "ldap", Request: "/dc=x"}}, drip("\x30\x82\x10\x00"), "ldap: bind: timeout"},
		{"dns over tcp", DNS{}, Target{Options: &Options{Service: "dns", Protocol: "tcp", Request: "/www.example.com", Receive: "."}}, drip("\x10\x00"), "dns: timeout"},
		{"simpletcp line", SimpleTCP{}, Target{Options: &Options{Service: "simpletcp", Request: "/x"}}, drip("ok "), "simpletcp: timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out its timeout
			addr := tc.server(t)
			target, opts := tc.t, *tc.t.Options
			target.Options = &opts
			target.Type = ldcf.CheckNegotiate
			if target.Protocol == "" {
				target.Protocol = "tcp"
			}
			target.Real, target.Port, target.Timeout = addr, addr.Port(), timeout
			start := time.Now()
			got := tc.c.Check(context.Background(), target)
			took := time.Since(start)
			if got.Up || !strings.Contains(got.Err, tc.wantErr) {
				t.Fatalf("Check = {Up: %v, Err: %q}, want down with %q", got.Up, got.Err, tc.wantErr)
			}
			// Not before the timeout (each byte must not count as progress
			// that ends the check early), and not long after it (each byte
			// must not extend the deadline).
			if took < timeout || took > timeout+time.Second {
				t.Errorf("Check took %s, want its timeout %s (+ at most 1 s)", took, timeout)
			}
		})
	}
}

// TestHTTPHeadLimit: a server sending header lines without end gets a
// prompt "over the limit" from the plain http check, on the goroutine path
// and on the engine alike, not a heap growing until the timeout (416 MB in
// 2 s before maxHead).
func TestHTTPHeadLimit(t *testing.T) {
	base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Request: "/"}}
	t.Run("goroutine", func(t *testing.T) { runCases(t, HTTP{}, base, httpHeadCases()) })
	t.Run("engine", func(t *testing.T) {
		ec := startEngine(t, HTTP{}, EngineConfig{})
		runCases(t, ec, base, httpHeadCases())
		if got, want := ec.onEngine.Load(), int64(len(httpHeadCases())); got != want {
			t.Errorf("%d checks ran on the engine, want %d", got, want)
		}
	})
}

func httpHeadCases() []checkCase {
	lines := bytes.Repeat([]byte("X-A: b\r\n"), 8192)
	endless := afterRequest(func(c net.Conn) {
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		for {
			if _, err := c.Write(lines); err != nil {
				return
			}
		}
	})
	headOf := func(n int) []byte {
		return append(append([]byte("HTTP/1.1 200 OK\r\n"), bytes.Repeat([]byte("X-A: b\r\n"), n/8)...), "Content-Length: 2\r\n\r\nok"...)
	}
	return []checkCase{
		{name: "endless head", server: serve(endless), timeout: 20 * time.Second, wantErr: "http: answer head over the 65536-byte limit"},
		{name: "head within the limit", server: serve(afterRequest(checktest.Blob(headOf(maxHead - 1024)))), wantUp: true},
		{name: "head over the limit", server: serve(afterRequest(checktest.Blob(headOf(maxHead + 1024)))), wantErr: "http: answer head over the 65536-byte limit"},
	}
}
