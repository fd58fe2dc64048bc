package director

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// loopbackHTTP serves resp to every connection on 127.0.0.1 (after the
// request head), or with hang, reads and never answers. It counts
// connections.
func loopbackHTTP(t *testing.T, resp string, hang bool, hits *atomic.Int64) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if hang {
					io.Copy(io.Discard, c)
					return
				}
				br := bufio.NewReader(c)
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				io.WriteString(c, resp)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

// TestDirectorOnEngine runs the director with the built-in checkers: its
// http checks run on the check engine, against real loopback servers, and
// the results reach the health table with the goroutine path's errors; a
// hanging real does not slow the others.
func TestDirectorOnEngine(t *testing.T) {
	var okHits, errHits, hangHits atomic.Int64
	ok := loopbackHTTP(t, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n", false, &okHits)
	bad := loopbackHTTP(t, "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", false, &errHits)
	hang := loopbackHTTP(t, "", true, &hangHits)
	refusedLn, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := netip.MustParseAddrPort(refusedLn.Addr().String())
	refusedLn.Close()
	var reals []ldcf.Real
	for _, a := range []netip.AddrPort{ok, bad, hang, refused} {
		reals = append(reals, rl(a.String(), 1, ldcf.Masq))
	}
	v := virt("10.1.1.10:80", reals, func(v *ldcf.Virtual) {
		v.CheckType, v.Service, v.Receive = ldcf.CheckNegotiate, "http", "ok"
		v.CheckInterval, v.NegotiateTimeout = 100*time.Millisecond, 400*time.Millisecond
	})
	d := New(Config{Kernel: &ipvstest.Kernel{}, Logger: slogNew(newLogRecorder())})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, conf(v)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	want := map[netip.AddrPort]string{ok: "", bad: "http: 500 Internal Server Error", hang: "http: timeout", refused: "connect: connection refused"}
	deadline := time.Now().Add(5 * time.Second)
	var got map[netip.AddrPort]string
	for time.Now().Before(deadline) {
		got = map[netip.AddrPort]string{}
		st := d.Status()
		if len(st.Virtuals) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for _, r := range st.Virtuals[0].Reals {
			if r.State == Up {
				got[netip.MustParseAddrPort(r.Addr)] = ""
			} else if r.LastError != "" {
				got[netip.MustParseAddrPort(r.Addr)] = r.LastError
			}
		}
		if len(got) == len(want) && hangHits.Load() >= 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for a, w := range want {
		if e, seen := got[a]; !seen || e != w {
			t.Errorf("real %s: error %q (seen %v), want %q", a, e, seen, w)
		}
	}
	var stacks strings.Builder
	pprof.Lookup("goroutine").WriteTo(&stacks, 1)
	if !strings.Contains(stacks.String(), "check.(*Engine).Run") {
		t.Errorf("no check engine running")
	}
	// The healthy real keeps its 100 ms interval (+ jitter up to 10 ms)
	// while one real hangs for 400 ms per check.
	n0 := okHits.Load()
	time.Sleep(time.Second)
	if n := okHits.Load() - n0; n < 6 {
		t.Errorf("healthy real checked %d times in 1 s at a 100 ms interval beside a hanging real", n)
	}
}
