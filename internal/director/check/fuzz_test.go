package check

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
	"golang.org/x/net/dns/dnsmessage"
)

// The fuzz targets feed hostile server answers to every check's response
// parser: the checks' conversations after the dial (ldapExchange,
// smtpExchange, ...) run over a connection whose reads come from the fuzz
// input. No input may panic, hang or leave a goroutine behind, and an
// answer judged good must really be good (see each target).

// fuzzNetConn is a net.Conn whose reads come from data and whose writes
// are discarded.
type fuzzNetConn struct{ r *bytes.Reader }

func (f *fuzzNetConn) Read(p []byte) (int, error)  { return f.r.Read(p) }
func (f *fuzzNetConn) Write(p []byte) (int, error) { return len(p), nil }
func (f *fuzzNetConn) Close() error                { return nil }
func (f *fuzzNetConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (f *fuzzNetConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 21}
}
func (f *fuzzNetConn) SetDeadline(time.Time) error      { return nil }
func (f *fuzzNetConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fuzzNetConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzConn is a check connection reading the server's side from data.
func fuzzConn(data []byte) *conn {
	nc := &fuzzNetConn{r: bytes.NewReader(data)}
	return &conn{Conn: nc, ctx: context.Background(), r: bufio.NewReaderSize(nc, 4096), stop: func() bool { return true }}
}

// noLeak fails if goroutines started during an input outlive it.
func noLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want at most %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// recorded runs a checktest handler against a client that sends lines
// and returns everything the server wrote: real-looking seeds.
func recorded(h checktest.Handler, client string) []byte {
	a, b := net.Pipe()
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&out, a)
	}()
	go func() {
		io.WriteString(a, client)
	}()
	done := make(chan struct{})
	go func() { h(b); close(done) }()
	select {
	case <-done:
	case <-time.After(200 * time.Millisecond):
	}
	b.Close()
	a.Close()
	wg.Wait()
	return out.Bytes()
}

// FuzzLineChecks: the SMTP, FTP (login, CWD, TYPE), IMAP, POP, NNTP and
// simpletcp conversations over any server bytes. A check that says up
// must have read the answer its protocol wants.
func FuzzLineChecks(f *testing.F) {
	seeds := [][]byte{
		[]byte("220 mail ESMTP\r\n250-mail\r\n250 HELP\r\n221 bye\r\n"),
		[]byte("220 mail\r\n502 no\r\n250 ok\r\n"),
		[]byte("220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\r\n230 Login successful.\r\n250 ok\r\n200 Switching to Binary mode.\r\n"),
		[]byte("220-first\r\nsecond\r\n220 last\r\n230 in\r\n250 ok\r\n200 ok\r\n"),
		[]byte("* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.\r\na1 OK Logged in\r\n* BYE\r\na2 OK\r\n"),
		[]byte("* OK hi\r\n* CAPABILITY x\r\na1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
		[]byte("+OK Dovecot (Debian) ready.\r\n+OK\r\n+OK Logged in.\r\n+OK bye\r\n"),
		[]byte("+OK ready\r\n+OK\r\n-ERR [AUTH] Authentication failed.\r\n"),
		[]byte("200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n"),
		[]byte("line one\r\nyou said: PING\r\n"),
		recorded(checktest.SMTP("220 mail", true, true), "EHLO x\r\nQUIT\r\n"),
		recorded(checktest.FTP("anonymous", "pw", nil), "USER anonymous\r\nPASS pw\r\nCWD /\r\nTYPE I\r\nQUIT\r\n"),
		{}, []byte("2"), []byte("\r\n"),
	}
	for _, s := range seeds {
		for which := range uint8(6) {
			f.Add(which, s)
		}
	}
	login := Target{Options: &Options{Request: "/", Receive: "^you said", Auth: Credentials{Login: "probe", Passwd: "pw"}}}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		before := runtime.NumGoroutine()
		c := fuzzConn(data)
		var err error
		var want func(string) bool // what an "up" verdict must have seen
		switch which % 6 {
		case 0:
			err = c.smtpExchange()
			want = func(s string) bool { return strings.HasPrefix(s, "2") }
		case 1:
			err = c.ftpExchange(context.Background(), login)
			want = func(s string) bool { return strings.HasPrefix(s, "2") }
		case 2:
			err = c.imapExchange("imap", login)
			want = func(s string) bool { return strings.HasPrefix(s, "* OK") || strings.HasPrefix(s, "* PREAUTH") }
		case 3:
			err = c.popExchange("pop", login)
			want = func(s string) bool { return strings.HasPrefix(s, "+OK") }
		case 4:
			err = c.nntpGreeting()
			want = func(s string) bool { return strings.HasPrefix(s, "2") }
		case 5:
			err = c.simpleTCPExchange(regexp.MustCompile(login.Receive), login)
			want = func(s string) bool { return strings.Contains(s, "you said") }
		}
		if err == nil && !want(string(data)) {
			t.Fatalf("check %d up on %q", which%6, data)
		}
		if err != nil && err.Error() == "" {
			t.Fatalf("empty error")
		}
		noLeak(t, before)
	})
}

// FuzzFTPPassive: the port of any PASV or EPSV reply is 1-65535 or an
// error.
func FuzzFTPPassive(f *testing.F) {
	for _, s := range []string{"Entering Passive Mode (127,0,0,1,195,80).", "Entering Extended Passive Mode (|||50000|)",
		"(1,2,3,4,0,0)", "(|||99999999999999999999|)", "(1,2,3,4,256,256)", "(1,2,3,4,-1,5)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, p := range []struct {
			cmd string
			re  *regexp.Regexp
			at  int
		}{{"PASV", pasvReply, 5}, {"EPSV", epsvReply, 1}} {
			port, err := passivePort(p.cmd, p.re, p.at, text)
			if err == nil && port == 0 {
				t.Fatalf("%s %q: port 0 accepted", p.cmd, text)
			}
		}
	})
}

// FuzzLDAP: the bind and search of the LDAP check over any server bytes.
// Up means a BindResponse with success and exactly one entry.
func FuzzLDAP(f *testing.F) {
	dir := checktest.LDAPDir{AllowAnonymous: true, Entries: []string{"dc=example,dc=com"}}
	bindReq := ber(0x30, berInt(0x02, 1), ber(ldapBindRequest, berInt(0x02, 3), berStr(0x04, ""), berStr(0x80, "")))
	searchReq := ber(0x30, berInt(0x02, 2), ber(ldapSearch, berStr(0x04, "dc=example,dc=com")))
	good := recorded(checktest.LDAP(dir), string(bindReq)+string(searchReq))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x30, 0x84, 0x00, 0x20, 0x00, 0x00})
	f.Add([]byte{0x30, 0x85, 1, 0, 0, 0, 0})
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01})
	f.Add(ber(0x30, berInt(0x02, 1), ber(ldapBindResponse, berInt(0x0a, 49), berStr(0x04, ""), berStr(0x04, "no"))))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := fuzzConn(data).ldapExchange(Target{Options: &Options{Request: "/dc=example,dc=com"}})
		if err == nil && !bytes.Contains(data, []byte{ldapSearchEntry}) {
			t.Fatalf("up without a search entry: %x", data)
		}
	})
}

// FuzzRADIUS: any datagram is ignored, or judged; an Access-Accept is
// believed only with the right response authenticator.
func FuzzRADIUS(f *testing.F) {
	reqAuth := bytes.Repeat([]byte{7}, 16)
	srv := checktest.RADIUSServer{Secret: "s", Users: map[string]string{"u": "p"}}
	req := []byte{radiusAccessRequest, 42, 0, 0}
	req = append(req, reqAuth...)
	req = radiusAttr(req, radiusUserName, []byte("u"))
	req = radiusAttr(req, radiusUserPassword, radiusHide([]byte("p"), []byte("s"), reqAuth))
	binary.BigEndian.PutUint16(req[2:4], uint16(len(req)))
	for _, a := range srv.Answer(req) {
		f.Add(a, "s")
	}
	f.Add([]byte{2, 42, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}, "s")
	f.Add([]byte{2, 42, 0, 0}, "")
	f.Fuzz(func(t *testing.T, resp []byte, secret string) {
		id := byte(42)
		ours, err := radiusAnswer(resp, id, reqAuth, secret)
		if !ours || err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(resp[2:4]))
		sum := md5.Sum(append(append(append(append([]byte{}, resp[:4]...), reqAuth...), resp[20:n]...), secret...))
		if resp[0] != radiusAccessAccept || !bytes.Equal(sum[:], resp[4:20]) {
			t.Fatalf("accepted %x", resp)
		}
	})
}

// FuzzDNS: any answer over UDP or TCP (length-prefixed) is read and
// judged; up means a successful answer with a matching A or PTR record.
func FuzzDNS(f *testing.F) {
	zone := checktest.DNSZone{Records: map[string][]string{"www.example.com": {"192.0.2.10"}}}
	for _, id := range []uint16{1, 0x4242} {
		f.Add(id, false, packQuery(id, zone, false))
		f.Add(id, true, packQuery(id, zone, true))
	}
	f.Add(uint16(0), true, []byte{0x10, 0x00})
	f.Fuzz(func(t *testing.T, id uint16, tcp bool, data []byte) {
		network := map[bool]string{false: "udp", true: "tcp"}[tcp]
		resp, err := fuzzConn(data).dnsAnswer(network, id)
		if err != nil {
			return
		}
		if resp.ID != id || !resp.Response {
			t.Fatalf("answer with id %d (response %v) taken for %d", resp.ID, resp.Response, id)
		}
		if dnsVerdict(resp, `^192\.0\.2\.10$`) == nil && len(resp.Answers) == 0 {
			t.Fatalf("up without an answer record")
		}
	})
}

// packQuery is zone's answer to an A query for www.example.com with id.
func packQuery(id uint16, zone checktest.DNSZone, tcp bool) []byte {
	q, _ := dnsQuestion("www.example.com")
	req := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}
	msg, _ := req.Pack()
	ans := zone.Answer(msg, tcp)
	if tcp {
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(ans))), ans...)
	}
	return ans
}

// FuzzSIP: any answer over UDP or TCP; up means a "SIP/2.0 200" status.
func FuzzSIP(f *testing.F) {
	for _, s := range [][]string{{"", "SIP/2.0 200 OK"}, {"SIP/2.0 100 Trying", "SIP/2.0 200 OK"}, {"", "SIP/2.0 404 Not Found"}} {
		f.Add(false, bytes.Join(checktest.SIPUDP(s[0], s[1])(nil), nil))
		f.Add(true, bytes.Join(checktest.SIPUDP(s[0], s[1])(nil), nil))
	}
	f.Add(true, []byte("SIP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	f.Fuzz(func(t *testing.T, udp bool, data []byte) {
		network := map[bool]string{false: "tcp", true: "udp"}[udp]
		err := fuzzConn(data).sipExchange(network, Target{Options: &Options{Auth: Credentials{Login: "x@y"}}})
		if err == nil && !bytes.Contains(data, []byte("SIP/2.0 200")) {
			t.Fatalf("up without a 200: %q", data)
		}
	})
}

// FuzzHTTP: any answer to the plain http check; up means a 2xx status
// line.
func FuzzHTTP(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nall ok"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nall\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 302 Found\r\nLocation: /ok\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 503 Service Unavailable\r\n\r\nmaintenance"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, body, err := fuzzConn(data).httpExchange(req)
		if err != nil {
			return
		}
		if httpVerdict(Target{Options: &Options{Receive: "ok"}}, resp, body) == nil && !bytes.HasPrefix(data, []byte("HTTP/")) {
			t.Fatalf("up on %q", data)
		}
		if len(body) > maxBody {
			t.Fatalf("body of %d bytes read, limit %d", len(body), maxBody)
		}
	})
}

// FuzzSQLServer: the mysql and pgsql checks against a loopback server
// that sends the fuzz input and closes: the drivers parse it (their code,
// not ours, but a panic there would take ldirectord down). No panic, and
// every goroutine of the check is gone after it.
func FuzzSQLServer(f *testing.F) {
	f.Add(false, []byte("\x4a\x00\x00\x00\x0a8.0.0\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00"))
	f.Add(false, []byte("\x05\x00\x00\x00\xff\x15\x04#28000"))
	f.Add(true, []byte("R\x00\x00\x00\x08\x00\x00\x00\x00Z\x00\x00\x00\x05I"))
	f.Add(true, []byte("N"))
	f.Add(true, []byte("E\x00\x00\x00\x10SFATAL\x00C28P01\x00\x00"))
	var current atomic.Pointer[[]byte]
	empty := []byte{}
	current.Store(&empty)
	addr := checktest.Serve(f, checktest.Config{}, func(c net.Conn) {
		c.Write(*current.Load())
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		io.Copy(io.Discard, c)
	})
	f.Fuzz(func(t *testing.T, pg bool, data []byte) {
		// A copy: the fuzzer's input lives in memory shared with the
		// coordinator and is valid only during this call, and a server
		// goroutine may still be writing it after the check returned
		// (that read of remapped memory killed the worker: "fuzzing
		// process hung or terminated unexpectedly: exit status 2").
		reply := bytes.Clone(data)
		current.Store(&reply)
		before := runtime.NumGoroutine()
		var c Checker = MySQL{}
		if pg {
			c = PgSQL{}
		}
		target := Target{Real: addr, Port: addr.Port(), Options: &Options{Type: ldcf.CheckNegotiate, Service: "mysql", Protocol: "tcp", Database: "d", Request: "/SELECT 1", Timeout: 500 * time.Millisecond, Auth: Credentials{Login: "u", Passwd: "p"}}}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if r := c.Check(ctx, target); r.Up {
			t.Fatalf("up on %q", data)
		}
		noLeak(t, before)
	})
}
