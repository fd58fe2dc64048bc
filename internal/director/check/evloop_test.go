package check

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// engineChecker runs each check as the director routes it: on the engine
// when NewProbe takes it, else on the goroutine checker. It counts the
// checks the engine ran, so a test can tell the engine was used.
type engineChecker struct {
	e        *Engine
	fallback Checker
	nextID   atomic.Uint64
	onEngine atomic.Int64

	mu      sync.Mutex
	waiting map[uint64]chan Result
}

var _ Checker = (*engineChecker)(nil)

// startEngine runs an engine until the test ends.
func startEngine(t testing.TB, fallback Checker, c EngineConfig) *engineChecker {
	t.Helper()
	e, err := NewEngine(c)
	if err != nil {
		t.Fatal(err)
	}
	ec := &engineChecker{e: e, fallback: fallback, waiting: map[uint64]chan Result{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ec.e.Run(ctx) }()
	go ec.deliver(ctx)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine Run: %v", err)
		}
	})
	return ec
}

// deliver hands each result to its waiting Check.
func (ec *engineChecker) deliver(ctx context.Context) {
	var buf []ProbeResult
	for {
		select {
		case <-ctx.Done():
			return
		case <-ec.e.Ready():
		}
		buf = ec.e.Take(buf[:0])
		ec.mu.Lock()
		for _, r := range buf {
			if ch := ec.waiting[r.ID]; ch != nil {
				ch <- r.Result
				delete(ec.waiting, r.ID)
			}
		}
		ec.mu.Unlock()
	}
}

// Check runs one check of t on the engine (once: a long interval, removed
// after its result) or on the fallback checker.
func (ec *engineChecker) Check(ctx context.Context, t Target) Result {
	p, ok := NewProbe(t)
	if !ok {
		return ec.fallback.Check(ctx, t)
	}
	ec.onEngine.Add(1)
	id := ec.nextID.Add(1)
	ch := make(chan Result, 1)
	ec.mu.Lock()
	ec.waiting[id] = ch
	ec.mu.Unlock()
	ec.e.Set(id, p, time.Hour, nil)
	defer ec.e.Remove(id)
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		return Result{Err: "timeout"}
	}
}

// The goroutine path's tables, run on the engine: the same verdicts and
// the same error texts.

func TestEngineHTTP(t *testing.T) {
	ec := startEngine(t, HTTP{}, EngineConfig{})
	runCases(t, ec, httpBase, httpCases())
	if got, want := ec.onEngine.Load(), int64(len(httpCases())-1); got != want { // all but the bad regexp
		t.Errorf("%d checks ran on the engine, want %d", got, want)
	}
}

func TestEngineConnect(t *testing.T) {
	ec := startEngine(t, Connect{}, EngineConfig{})
	runCases(t, ec, connectBase, connectCases())
	if got, want := ec.onEngine.Load(), int64(len(connectCases())); got != want {
		t.Errorf("%d checks ran on the engine, want %d", got, want)
	}
}

func TestEngineSimpleTCP(t *testing.T) {
	ec := startEngine(t, SimpleTCP{}, EngineConfig{})
	runCases(t, ec, simpleTCPBase, simpleTCPCases())
	if got, want := ec.onEngine.Load(), int64(len(simpleTCPCases())); got != want {
		t.Errorf("%d checks ran on the engine, want %d", got, want)
	}
}

// rawHTTP answers every connection with resp after reading the request head.
func rawHTTP(resp string) func(testing.TB) netip.AddrPort {
	return serve(func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		io.WriteString(c, resp)
	})
}

// Answers the fast reading takes and those it leaves to net/http, on both
// paths: the verdicts and errors must agree.
var engineHTTPAnswers = []struct {
	name, resp string
	head       bool
}{
	{"200 with length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"200 to the close", "HTTP/1.1 200 OK\r\nX: y\r\n\r\nall ok here", false},
	{"200 no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", false},
	{"500", "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nerror\n", false},
	{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", false},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"chunked cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nok", false},
	{"204", "HTTP/1.1 204 No Content\r\n\r\n", false},
	{"lf only", "HTTP/1.0 200 OK\nContent-Length: 2\n\nok", false},
	{"bad status", "HTTP/1.0 2x0 OK\r\n\r\n", false},
	{"not http", "220 smtp ready\r\n", false},
	{"empty", "", false},
	{"302 without location", "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", false},
	{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false},
	{"bad header", "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\nok", false},
	{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true},
	{"long reason", "HTTP/1.1 503 Service Unavailable Right Now\r\nContent-Length: 0\r\n\r\n", false},
	{"1xx then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
}

func TestEngineHTTPAnswers(t *testing.T) {
	ec := startEngine(t, HTTP{}, EngineConfig{})
	for _, a := range engineHTTPAnswers {
		t.Run(a.name, func(t *testing.T) {
			addr := rawHTTP(a.resp)(t)
			tg := cloneTarget(httpBase)
			tg.Real, tg.Port, tg.Timeout, tg.Receive = addr, addr.Port(), 2*time.Second, "ok"
			if a.head {
				tg.HTTP.Method, tg.Receive = "HEAD", ""
			}
			want := HTTP{}.Check(context.Background(), tg)
			got := ec.Check(context.Background(), tg)
			if got.Up != want.Up || got.Err != want.Err {
				t.Errorf("engine {Up: %v, Err: %q}, goroutine path {Up: %v, Err: %q}", got.Up, got.Err, want.Up, want.Err)
			}
		})
	}
}

// FuzzHTTPReply: for any answer, the engine's reading (fast or through
// net/http) agrees with the goroutine path's reading of the same bytes
// from a connection the server then closed.
func FuzzHTTPReply(f *testing.F) {
	for _, a := range engineHTTPAnswers {
		f.Add([]byte(a.resp), a.head)
	}
	f.Fuzz(func(t *testing.T, resp []byte, head bool) {
		tg := cloneTarget(httpBase)
		tg.Real, tg.Port, tg.Receive = netip.MustParseAddrPort("127.0.0.1:80"), 80, "ok"
		if head {
			tg.HTTP.Method = "HEAD"
		}
		p, ok := NewProbe(tg)
		if !ok {
			t.Fatal("NewProbe refused a plain http target")
		}
		st, got := judgeHTTPReply(p, resp, true)
		if st == replyMore {
			t.Fatalf("replyMore at the close")
		}
		// The goroutine path over the same bytes.
		method := "GET"
		if head {
			method = "HEAD"
		}
		wst, want := goroutineReading(tg, method, resp)
		if st != wst || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("engine %v %v, goroutine path %v %v", st, got, wst, want)
		}
		// Fed in two parts, the answer reads the same (no verdict before
		// the bytes that decide it).
		for _, cut := range []int{len(resp) / 2, len(resp) - 1} {
			if cut <= 0 {
				continue
			}
			if st, err := judgeHTTPReply(p, resp[:cut], false); st == replyDone {
				st2, err2 := judgeHTTPReply(p, resp, true)
				if st2 != st || fmt.Sprint(err) != fmt.Sprint(err2) {
					t.Fatalf("verdict at %d bytes %v, at the close %v", cut, err, err2)
				}
			}
		}
	})
}

// goroutineReading is conn.httpExchange's reading of resp, then
// checkHTTP's: the redirect test and httpVerdict.
func goroutineReading(tg Target, method string, resp []byte) (replyState, error) {
	req, _ := http.NewRequest(method, "http://127.0.0.1/", nil)
	r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), req)
	if err != nil {
		return replyDone, httpErr(context.Background(), err)
	}
	defer r.Body.Close()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return replyDone, fmt.Errorf("http: reading body: %w", netErr(context.Background(), err))
	}
	if r.StatusCode/100 == 3 && r.Header.Get("Location") != "" {
		return replyRedirect, nil
	}
	return replyDone, httpVerdict(tg, r, body)
}

// TestEngineIsolation: reals that hang until their timeout do not delay
// the checks of the others, which keep their interval.
func TestEngineIsolation(t *testing.T) {
	var hits atomic.Int64
	ok := rawHTTPCount("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", &hits)
	slots := NewSlots(1024)
	ec := startEngine(t, HTTP{}, EngineConfig{InFlight: slots})
	hangs := 20
	for i := 0; i < hangs; i++ {
		addr := checktest.Hang(t)
		tg := cloneTarget(httpBase)
		tg.Real, tg.Port, tg.Timeout = addr, addr.Port(), 2*time.Second
		p, _ := NewProbe(tg)
		ec.e.Set(uint64(1000+i), p, 50*time.Millisecond, nil)
	}
	addr := ok(t)
	tg := cloneTarget(httpBase)
	tg.Real, tg.Port, tg.Timeout = addr, addr.Port(), 2*time.Second
	p, _ := NewProbe(tg)
	ec.e.Set(1, p, 50*time.Millisecond, nil)
	time.Sleep(time.Second)
	n := hits.Load()
	// 1 s at a 50 ms interval: about 20 runs; while 20 reals hang for 2 s.
	if n < 10 {
		t.Errorf("the healthy real was checked %d times in 1 s at a 50 ms interval beside %d hanging reals", n, hangs)
	}
	if got := slots.InUse(); got < hangs || got > hangs+1 {
		t.Errorf("slots in use %d, want the %d hanging checks (+1)", got, hangs)
	}
}

// rawHTTPCount is rawHTTP counting connections.
func rawHTTPCount(resp string, hits *atomic.Int64) func(testing.TB) netip.AddrPort {
	return serve(func(c net.Conn) {
		hits.Add(1)
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		io.WriteString(c, resp)
	})
}

// TestEngineInFlightBound: with every slot taken (by the other path), no
// check starts; once freed, checks run.
func TestEngineInFlightBound(t *testing.T) {
	var hits atomic.Int64
	addr := rawHTTPCount("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", &hits)(t)
	slots := NewSlots(2)
	slots.TryAcquire()
	slots.TryAcquire()
	ec := startEngine(t, HTTP{}, EngineConfig{InFlight: slots})
	tg := cloneTarget(httpBase)
	tg.Real, tg.Port, tg.Timeout = addr, addr.Port(), time.Second
	p, _ := NewProbe(tg)
	ec.e.Set(1, p, 10*time.Millisecond, nil)
	time.Sleep(200 * time.Millisecond)
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d checks ran with no free slot", n)
	}
	slots.Release()
	deadline := time.Now().Add(2 * time.Second)
	for hits.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := hits.Load(); n < 3 {
		t.Fatalf("%d checks ran in 2 s after a slot was freed", n)
	}
}

// TestEngineIPv6 checks a real on ::1.
func TestEngineIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				var host string
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
					if h, ok := strings.CutPrefix(l, "Host: "); ok {
						host = strings.TrimSpace(h)
					}
				}
				fmt.Fprintf(c, "HTTP/1.0 200 OK\r\n\r\nhost %s", host)
			}()
		}
	}()
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ec := startEngine(t, HTTP{}, EngineConfig{})
	tg := cloneTarget(httpBase)
	tg.Real, tg.Port, tg.Timeout, tg.Receive = addr, addr.Port(), 2*time.Second, `host \[::1\]`
	if r := ec.Check(context.Background(), tg); !r.Up {
		t.Fatalf("http over IPv6: %q", r.Err)
	}
	ctg := Target{Real: addr, Port: addr.Port(), Options: &Options{Type: ldcf.CheckConnect, Protocol: "tcp", Timeout: time.Second}}
	if r := ec.Check(context.Background(), ctg); !r.Up {
		t.Fatalf("connect over IPv6: %q", r.Err)
	}
	if ec.onEngine.Load() != 2 {
		t.Fatalf("%d of 2 checks ran on the engine", ec.onEngine.Load())
	}
}

func TestNewProbe(t *testing.T) {
	real := netip.MustParseAddrPort("10.0.0.1:80")
	base := Target{Real: real, Port: 80, Options: &Options{Type: ldcf.CheckNegotiate, Service: "http", Protocol: "tcp", Request: "/", Timeout: time.Second}}
	with := func(f func(*Target)) Target { t := cloneTarget(base); f(&t); return t }
	tests := []struct {
		name string
		t    Target
		want bool
	}{
		{"http", base, true},
		{"http HEAD", with(func(t *Target) { t.HTTP.Method = "HEAD" }), true},
		{"https stays on the goroutine path", with(func(t *Target) { t.Service = "https" }), false},
		{"http_proxy", with(func(t *Target) { t.Service = "http_proxy" }), false},
		{"absolute url on another host", with(func(t *Target) { t.Request = "/http://www.example.com/" }), false},
		{"bad receive", with(func(t *Target) { t.Receive = "(?<=x)" }), false},
		{"connect", Target{Real: real, Port: 80, Options: &Options{Type: ldcf.CheckConnect, Protocol: "tcp", Timeout: time.Second}}, true},
		{"connect of a udp virtual (ping)", Target{Real: real, Port: 80, Options: &Options{Type: ldcf.CheckConnect, Protocol: "udp", Timeout: time.Second}}, false},
		{"simpletcp", with(func(t *Target) { t.Service = "simpletcp" }), true},
		{"smtp", with(func(t *Target) { t.Service = "smtp" }), false},
		{"ping", Target{Real: real, Options: &Options{Type: ldcf.CheckPing, Timeout: time.Second}}, false},
	}
	for _, tc := range tests {
		if _, got := NewProbe(tc.t); got != tc.want {
			t.Errorf("%s: NewProbe ok = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestProbeRequest: the engine sends what the goroutine path sends.
func TestProbeRequest(t *testing.T) {
	tg := cloneTarget(httpBase)
	tg.Real, tg.Port, tg.Request, tg.HTTP.VirtualHost = netip.MustParseAddrPort("10.0.0.1:8080"), 8080, "/index.html", "www.example.com"
	p, _ := NewProbe(tg)
	want := "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n"
	if string(p.request) != want {
		t.Errorf("request %q, want %q", p.request, want)
	}
}

// TestJudgeNoAlloc: the common answers are read without allocating.
func TestJudgeNoAlloc(t *testing.T) {
	resp := []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
	for _, receive := range []string{"", "ok"} {
		if receive != "" && raceEnabled {
			t.Logf("receive %q: not counted under -race (sync.Pool, which pools regexp machines, drops items under it)", receive)
			continue
		}
		tg := cloneTarget(httpBase)
		tg.Real, tg.Port, tg.Receive = netip.MustParseAddrPort("127.0.0.1:80"), 80, receive
		p, _ := NewProbe(tg)
		if n := testing.AllocsPerRun(100, func() {
			if st, err := judgeHTTPReply(p, resp, false); st != replyDone || err != nil {
				t.Fatalf("%v %v", st, err)
			}
		}); n != 0 {
			t.Errorf("receive %q: judgeHTTPReply allocates %.0f times per answer", receive, n)
		}
	}
}

// TestEngineSlowDrip: a real that drips a byte every 20 ms fails at its
// timeout, with the goroutine path's error for the phase it is in.
func TestEngineSlowDrip(t *testing.T) {
	const timeout = 400 * time.Millisecond
	ec := startEngine(t, HTTP{}, EngineConfig{})
	tests := []struct {
		name, head, service, wantErr string
	}{
		{"http headers", "HTTP/1.1 200 OK\r\nX-Slow: ", "http", "http: timeout"},
		{"http body", "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", "http", "http: reading body: timeout"},
		{"simpletcp line", "ok ", "simpletcp", "simpletcp: timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(checktest.Drip([]byte(tc.head), 'z', 20*time.Millisecond))(t)
			tg := Target{Real: addr, Port: addr.Port(), Options: &Options{Type: ldcf.CheckNegotiate, Service: tc.service, Protocol: "tcp", Request: "/x", Receive: "never", Timeout: timeout}}
			start := time.Now()
			got := ec.Check(context.Background(), tg)
			took := time.Since(start)
			if got.Up || got.Err != tc.wantErr {
				t.Fatalf("Check = {Up: %v, Err: %q}, want down with %q", got.Up, got.Err, tc.wantErr)
			}
			if took < timeout || took > timeout+time.Second {
				t.Errorf("took %s with a timeout of %s", took, timeout)
			}
		})
	}
}

// TestEngineClosesWithReset: every engine check ends its connection with a
// reset (rawAbortOnClose), so that neither side keeps a TIME_WAIT socket.
// The server keeps its end open until the check's result is in, then
// reads: a reset shows as ECONNRESET, an orderly close as EOF (simpletcp's
// request ends with the checker's shutdown, an EOF either way). Then no
// socket of the server's port may be left in TIME_WAIT, on either side.
// (A simpletcp server that closes first, on the shutdown's EOF, leaves
// the checker in TIME_WAIT all the same: check_simpletcp's shutdown is kept.)
func TestEngineClosesWithReset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   Target
		answer string
	}{
		{"connect", connectBase, ""},
		{"http", httpBase, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"simpletcp", simpleTCPBase, "pong\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			readErr, checked := make(chan error, 1), make(chan struct{})
			go func() {
				c, err := ln.Accept()
				if err != nil {
					readErr <- err
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.answer != "" {
					br := bufio.NewReader(c)
					for { // the request: a head (http) or one line (simpletcp)
						l, err := br.ReadString('\n')
						if err != nil || l == "\r\n" || tc.base.Service == "simpletcp" {
							break
						}
					}
					io.WriteString(c, tc.answer)
				}
				<-checked // the server closes last, as a server that waits for its client
				_, err = io.Copy(io.Discard, c)
				readErr <- err
			}()
			tg := tc.base
			addr := netip.MustParseAddrPort(ln.Addr().String())
			tg.Real, tg.Port, tg.Timeout = addr, addr.Port(), 5*time.Second
			ec := startEngine(t, Connect{}, EngineConfig{})
			res := ec.Check(context.Background(), tg)
			close(checked)
			if !res.Up {
				t.Fatalf("check: %+v", res)
			}
			if ec.onEngine.Load() != 1 {
				t.Fatal("the check did not run on the engine")
			}
			select {
			case err := <-readErr:
				if tc.base.Service != "simpletcp" && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("the server's read after the check: %v, want ECONNRESET (a reset, not an orderly close)", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server saw no end of the connection")
			}
			if n := timeWaitSockets(t, addr.Port()); n != 0 {
				t.Errorf("%d sockets of port %d in TIME_WAIT after the check, want 0", n, addr.Port())
			}
		})
	}
}

// timeWaitSockets counts the IPv4 TCP sockets in TIME_WAIT whose local or
// remote port is port (/proc/net/tcp: ports in hex, state 06).
func timeWaitSockets(t *testing.T, port uint16) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	hex := fmt.Sprintf(":%04X", port)
	n := 0
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 3 && f[3] == "06" && (strings.HasSuffix(f[1], hex) || strings.HasSuffix(f[2], hex)) {
			n++
		}
	}
	return n
}
