package check

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

func TestRegistryLookup(t *testing.T) {
	reg := Default()
	tests := []struct {
		name    string
		typ     ldcf.CheckType
		service string
		wantUp  bool
		wantErr string
	}{
		{name: "on", typ: ldcf.CheckOn, wantUp: true},
		{name: "off", typ: ldcf.CheckOff, wantErr: "checktype off"},
		{name: "negotiate http", typ: ldcf.CheckNegotiate, service: "http", wantErr: "check negotiate (service http): not implemented until the checks task"},
		{name: "ping", typ: ldcf.CheckPing, wantErr: "check ping: not implemented until the checks task"},
		{name: "external", typ: ldcf.CheckExternal, wantErr: "check external: not implemented"},
		{name: "connect udp", typ: ldcf.CheckConnect, wantErr: "connect of a udp virtual (ping): not implemented"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := Target{Type: tc.typ, Service: tc.service, Protocol: "tcp", Real: netip.MustParseAddrPort("127.0.0.1:1"), Port: 1}
			if tc.typ == ldcf.CheckConnect {
				target.Protocol = "udp"
			}
			got := reg.Lookup(tc.typ, tc.service).Check(context.Background(), target)
			if got.Up != tc.wantUp {
				t.Errorf("Up = %v, want %v (err %q)", got.Up, tc.wantUp, got.Err)
			}
			if tc.wantErr == "" && got.Err != "" || !strings.Contains(got.Err, tc.wantErr) {
				t.Errorf("Err = %q, want it to contain %q", got.Err, tc.wantErr)
			}
		})
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

// blackhole returns the address of a TCP listener on loopback that never
// accepts and whose accept queue is full, so a new connect stays in SYN_SENT
// until its deadline.
func blackhole(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*syscall.SockaddrInet4).Port))
	// Fill the accept queue: connects complete until it is full, then SYNs
	// are dropped and a connect times out.
	for i := 0; i < 16; i++ {
		c, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return addr
			}
			t.Fatalf("filling backlog: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatalf("accept queue of %s never filled", addr)
	return addr
}

func refusedAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	return addr
}

func acceptingAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

func TestConnect(t *testing.T) {
	tests := []struct {
		name    string
		addr    func(*testing.T) netip.AddrPort
		ctxTO   time.Duration // deadline of the caller's context, 0 = none
		timeout time.Duration // Target.Timeout
		wantUp  bool
		wantErr string
	}{
		{name: "accepting listener is up", addr: acceptingAddr, timeout: 5 * time.Second, wantUp: true},
		{name: "closed port is refused", addr: refusedAddr, timeout: 5 * time.Second, wantErr: "connection refused"},
		{name: "full backlog times out by checktimeout", addr: blackhole, timeout: 300 * time.Millisecond, wantErr: "timeout after"},
		{name: "full backlog times out by caller deadline", addr: blackhole, ctxTO: 300 * time.Millisecond, timeout: time.Hour, wantErr: "timeout after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			before := runtime.NumGoroutine()
			ctx := context.Background()
			if tc.ctxTO > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTO)
				defer cancel()
			}
			target := Target{Type: ldcf.CheckConnect, Protocol: "tcp", Real: addr, Port: addr.Port(), Timeout: tc.timeout}
			got := Connect{}.Check(ctx, target)
			if got.Up != tc.wantUp || !strings.Contains(got.Err, tc.wantErr) || (tc.wantErr == "" && got.Err != "") {
				t.Fatalf("Check = %+v, want Up %v and Err containing %q", got, tc.wantUp, tc.wantErr)
			}
			if limit := max(tc.timeout, tc.ctxTO); !tc.wantUp && tc.wantErr == "timeout after" && got.Duration > limit+2*time.Second {
				t.Errorf("Check took %s, beyond its deadline %s", got.Duration, limit)
			}
			waitGoroutines(t, before)
		})
	}
}

// waitGoroutines fails if the goroutine count does not come back to at most
// n within a bounded number of scheduler yields.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, want at most %d (leak)", runtime.NumGoroutine(), n)
		}
		runtime.Gosched()
	}
}
