package check

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// checkCase is one run of a checker against one server.
type checkCase struct {
	name    string
	server  func(t testing.TB) netip.AddrPort
	target  func(*Target) // adjusts the target (nil: none)
	timeout time.Duration // Target.Timeout; 0 = 5 s
	ctxTO   time.Duration // deadline of the caller's context; 0 = none
	wantUp  bool
	wantErr string // substring of Result.Err
}

// runCases runs each case against a fresh server: the result must match,
// the check must return by its deadline, and every goroutine it started
// must be gone soon after.
func runCases(t *testing.T, c Checker, base Target, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.server(t)
			target := cloneTarget(base) // the cases change the options
			target.Real, target.Port = addr, addr.Port()
			target.Timeout = 5 * time.Second
			if tc.timeout > 0 {
				target.Timeout = tc.timeout
			}
			if tc.target != nil {
				tc.target(&target)
			}
			ctx := context.Background()
			if tc.ctxTO > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTO)
				defer cancel()
			}
			before := runtime.NumGoroutine()
			got := c.Check(ctx, target)
			if got.Up != tc.wantUp || !strings.Contains(got.Err, tc.wantErr) || tc.wantErr == "" && got.Err != "" {
				t.Fatalf("Check = {Up: %v, Err: %q}, want Up %v and Err containing %q", got.Up, got.Err, tc.wantUp, tc.wantErr)
			}
			t.Logf("Err: %q", got.Err)
			if limit := target.Budget(); got.Duration > limit+2*time.Second {
				t.Errorf("Check took %s, beyond its deadline %s", got.Duration, limit)
			}
			waitGoroutines(t, before)
		})
	}
}

// cloneTarget is t with a copy of its options, which a test may change
// without changing the shared ones.
func cloneTarget(t Target) Target {
	o := *t.Options
	t.Options = &o
	return t
}

// waitGoroutines fails if the goroutine count does not come back to at most
// n within a bounded time.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, want at most %d (leak)\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// Failure cases every TCP check shares: nothing listens, the server
// accepts and never answers, the server resets the connection.
func tcpFailures() []checkCase {
	return []checkCase{
		{name: "refused", server: checktest.Refused, wantErr: "connect: connection refused"},
		{name: "hang times out by its timeout", server: checktest.Hang, timeout: 300 * time.Millisecond, wantErr: "timeout"},
		{name: "hang times out by the caller's deadline", server: checktest.Hang, ctxTO: 300 * time.Millisecond, wantErr: "timeout"},
		{name: "reset", server: checktest.Reset, wantErr: "connection reset by peer"},
	}
}

// serve returns a server factory for runCases.
func serve(h checktest.Handler) func(testing.TB) netip.AddrPort {
	return func(t testing.TB) netip.AddrPort { return checktest.Serve(t, checktest.Config{}, h) }
}

// serveTLS is serve with TLS (cfg nil: a self-signed certificate).
func serveTLS(h checktest.Handler, old bool) func(testing.TB) netip.AddrPort {
	return func(t testing.TB) netip.AddrPort {
		cfg := checktest.SelfSigned(t)
		if old {
			cfg = checktest.OldTLS(t)
		}
		return checktest.Serve(t, checktest.Config{TLS: cfg}, h)
	}
}

// tlsFailures are the TLS cases of the TLS services: a server that speaks
// only an old TLS version, and a plain-text server.
func tlsFailures(good checktest.Handler) []checkCase {
	return []checkCase{
		{name: "tls version refused", server: serveTLS(good, true), wantErr: "tls: "},
		{name: "plain text instead of tls", server: serve(good), wantErr: "tls: first record does not look like a TLS handshake"},
	}
}

func TestRegistryLookup(t *testing.T) {
	reg := Default()
	services := append([]string{}, ldcf.Services...)
	for _, s := range services {
		c := reg.Lookup(ldcf.CheckNegotiate, s)
		_, unimpl := c.(Unimplemented)
		if unimpl != (s == "oracle") {
			t.Errorf("Lookup(negotiate, %q) = %T; only oracle may be unimplemented", s, c)
		}
	}
	for _, typ := range []ldcf.CheckType{ldcf.CheckOn, ldcf.CheckOff, ldcf.CheckConnect, ldcf.CheckPing, ldcf.CheckExternal, ldcf.CheckExternalPerl} {
		if _, unimpl := reg.Lookup(typ, "").(Unimplemented); unimpl {
			t.Errorf("Lookup(%s) is unimplemented", typ)
		}
	}
	if _, ok := reg.Lookup(ldcf.CheckCombined, "http").(*Combined); !ok {
		t.Errorf("Lookup(combined, http) is not a Combined")
	}
	if a, b := reg.Lookup(ldcf.CheckCombined, "http"), reg.Lookup(ldcf.CheckCombined, "http"); a == b {
		t.Errorf("Lookup(combined) returned the same stateful checker twice")
	}
	got := reg.Lookup(ldcf.CheckNegotiate, "oracle").Check(context.Background(), Target{})
	if got.Up || got.Err != "check negotiate (service oracle): not implemented" {
		t.Errorf("oracle: %+v", got)
	}
}

func TestRegistryExactServiceFirst(t *testing.T) {
	reg := Registry{
		{Type: ldcf.CheckNegotiate}:                  Off{},
		{Type: ldcf.CheckNegotiate, Service: "http"}: On{},
	}
	if _, ok := reg.Lookup(ldcf.CheckNegotiate, "http").(On); !ok {
		t.Errorf("Lookup(negotiate, http) did not pick the exact entry")
	}
	if _, ok := reg.Lookup(ldcf.CheckNegotiate, "smtp").(Off); !ok {
		t.Errorf("Lookup(negotiate, smtp) did not fall back to the type entry")
	}
}

// recorder is a checker that records the services it was asked to check.
type recorder struct {
	service *string
	up      bool
}

func (r recorder) Check(_ context.Context, t Target) Result {
	*r.service = t.Service
	return Result{Up: r.up}
}

func TestNegotiateInfersServiceFromPort(t *testing.T) {
	tests := []struct {
		port uint16
		want string
	}{{80, "http"}, {25, "smtp"}, {3306, "mysql"}, {5432, "pgsql"}, {1812, "radius"}, {8080, "none"}}
	for _, tc := range tests {
		var got string
		reg := Registry{}
		for _, s := range ldcf.Services {
			reg[Kind{Type: ldcf.CheckNegotiate, Service: s}] = recorder{service: &got, up: true}
		}
		real := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), tc.port)
		reg.Lookup(ldcf.CheckNegotiate, "").Check(context.Background(), Target{Real: real, Port: tc.port, Options: &Options{Type: ldcf.CheckNegotiate}})
		if got != tc.want {
			t.Errorf("port %d: service %q, want %q", tc.port, got, tc.want)
		}
	}
}

func TestOnOffNone(t *testing.T) {
	for _, tc := range []struct {
		c      Checker
		wantUp bool
	}{{On{}, true}, {Off{}, false}, {None{}, true}} {
		if got := tc.c.Check(context.Background(), Target{}); got.Up != tc.wantUp {
			t.Errorf("%T: Up = %v, want %v", tc.c, got.Up, tc.wantUp)
		}
	}
}

func TestConnect(t *testing.T) {
	runCases(t, Connect{}, connectBase, connectCases())
}

// connectBase and connectCases are TestConnect's table, which the
// event-loop engine passes too (TestEngineConnect).
var connectBase = Target{Options: &Options{Type: ldcf.CheckConnect, Protocol: "tcp"}}

func connectCases() []checkCase {
	accept := serve(func(c net.Conn) {})
	return append([]checkCase{
		{name: "accepting listener is up", server: accept, wantUp: true},
		{name: "full backlog times out", server: checktest.Blackhole, timeout: 300 * time.Millisecond, wantErr: "connect: timeout"},
	}, tcpFailures()[0])
}

func TestBudget(t *testing.T) {
	tests := []struct {
		t    Target
		want time.Duration
	}{
		{Target{Options: &Options{Type: ldcf.CheckConnect, Protocol: "tcp", Timeout: time.Second, CheckCount: 3}}, time.Second},
		{Target{Options: &Options{Type: ldcf.CheckConnect, Protocol: "udp", Timeout: time.Second, CheckCount: 3}}, 3 * time.Second},
		{Target{Options: &Options{Type: ldcf.CheckPing, Timeout: time.Second, CheckCount: 0}}, time.Second},
		{Target{Options: &Options{Type: ldcf.CheckPing, Timeout: time.Second, CheckCount: 2}}, 2 * time.Second},
		{Target{Options: &Options{Type: ldcf.CheckNegotiate, Timeout: time.Second, CheckCount: 2}}, time.Second},
	}
	for _, tc := range tests {
		if got := tc.t.Budget(); got != tc.want {
			t.Errorf("%+v: Budget = %s, want %s", tc.t, got, tc.want)
		}
	}
}
