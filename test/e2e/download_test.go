package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestContentAt: any range of the content equals the same range of the
// whole, and two seeds give different content.
func TestContentAt(t *testing.T) {
	whole := make([]byte, 1000)
	ContentAt(7, 0, whole)
	for _, r := range []struct{ off, n int }{{0, 1}, {1, 7}, {3, 8}, {8, 8}, {13, 100}, {999, 1}, {500, 500}} {
		part := make([]byte, r.n)
		ContentAt(7, int64(r.off), part)
		if !bytes.Equal(part, whole[r.off:r.off+r.n]) {
			t.Errorf("ContentAt(7, %d, %d bytes) differs from the same range of the whole", r.off, r.n)
		}
	}
	other := make([]byte, 1000)
	ContentAt(8, 0, other)
	if same := countEqual(whole, other); same > 20 {
		t.Errorf("seeds 7 and 8 agree on %d of 1000 bytes, want about 4", same)
	}
}

func countEqual(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// TestVerifier: intact content in uneven writes passes; one flipped byte
// is found at its offset, and later bytes do not move it.
func TestVerifier(t *testing.T) {
	content := make([]byte, 5000)
	ContentAt(42, 0, content)
	write := func(v *Verifier, b []byte) {
		for len(b) > 0 {
			n := min(len(b), 333)
			v.Write(b[:n])
			b = b[n:]
		}
	}
	v := NewVerifier(42)
	write(v, content)
	if v.Bad != -1 || v.N != 5000 {
		t.Errorf("intact content: Bad %d N %d, want -1 5000", v.Bad, v.N)
	}
	for _, at := range []int{0, 1, 332, 333, 4999} {
		bad := bytes.Clone(content)
		bad[at] ^= 0x40
		if at < 4000 {
			bad[4000] ^= 1 // a second wrong byte after the first does not move Bad
		}
		v := NewVerifier(42)
		write(v, bad)
		if v.Bad != int64(at) {
			t.Errorf("byte %d flipped: Bad %d", at, v.Bad)
		}
	}
	if v := NewVerifier(43); func() int64 { write(v, content[:100]); return v.Bad }() < 0 {
		t.Errorf("content of seed 42 passes the verifier of seed 43")
	}
}

func TestClassify(t *testing.T) {
	opErr := func(e error) error { return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", e)} }
	tests := []struct {
		name           string
		err            error
		got, want, bad int64
		out            Outcome
	}{
		{"complete", io.EOF, 100, 100, -1, DownloadOK},
		{"complete, nil", nil, 100, 100, -1, DownloadOK},
		{"clean close too early", io.EOF, 50, 100, -1, DownloadShort},
		{"body cut (Content-Length)", io.ErrUnexpectedEOF, 50, 100, -1, DownloadShort},
		{"reset", opErr(syscall.ECONNRESET), 50, 100, -1, DownloadReset},
		{"reset on write", opErr(syscall.EPIPE), 0, 100, -1, DownloadReset},
		{"idle timeout", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, 50, 100, -1, DownloadTimeout},
		{"deadline", fmt.Errorf("after 5 bytes: %w", context.DeadlineExceeded), 5, 100, -1, DownloadTimeout},
		{"corrupt and complete", io.EOF, 100, 100, 17, DownloadCorrupt},
		{"corrupt then reset", opErr(syscall.ECONNRESET), 50, 100, 3, DownloadCorrupt},
		{"refused", opErr(syscall.ECONNREFUSED), 0, 100, -1, DownloadError},
		{"bad answer", errors.New("answer 404"), 0, 100, -1, DownloadError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err, tt.got, tt.want, tt.bad); got != tt.out {
				t.Errorf("Classify(%v, %d, %d, %d) = %s, want %s", tt.err, tt.got, tt.want, tt.bad, got, tt.out)
			}
		})
	}
}

func TestSummarizeDownloads(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ds := []Download{
		{ID: 1, Start: at(0), End: at(8), Outcome: DownloadOK, LongestStall: 2 * time.Second},
		{ID: 2, Start: at(0), End: at(8.5), Outcome: DownloadOK, LongestStall: time.Second},
		{ID: 3, Start: at(0), End: at(3), Outcome: DownloadReset, LongestStall: 500 * time.Millisecond},
		{ID: 4, Start: at(0), End: at(5), Outcome: DownloadReset},
		{ID: 5, Start: at(5), End: at(9), Outcome: DownloadTimeout, LongestStall: 3 * time.Second},
	}
	got := SummarizeDownloads(ds, at(4))
	want := DownloadSummary{Total: 5, Kept: 2, Lost: map[Outcome]int{DownloadReset: 2, DownloadTimeout: 1},
		LongestStall: 3 * time.Second, NotSpanning: 2}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("SummarizeDownloads (-want +got):\n%s", d)
	}
	if s, w := got.String(), "2/5 kept (1 timeout, 2 reset), longest stall 3.00s, 2 not in flight at the event"; s != w {
		t.Errorf("String() = %q, want %q", s, w)
	}
	if s := SummarizeDownloads(ds[:2], time.Time{}).String(); s != "2/2 kept, longest stall 2.00s" {
		t.Errorf("String() = %q", s)
	}
}

// TestStall: the longest stall is measured from the last progress, and
// where it began is kept.
func TestStall(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := stall{last: t0}
	for _, ms := range []int{100, 200, 1700, 1800, 1900} {
		s.progress(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	if s.longest != 1500*time.Millisecond || !s.from.Equal(t0.Add(200*time.Millisecond)) {
		t.Errorf("longest %v from +%v, want 1.5s from +200ms", s.longest, s.from.Sub(t0))
	}
}

// startSlow serves h on loopback and returns its address.
func startSlow(t *testing.T, h http.Handler) netip.AddrPort {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).AddrPort()
}

func runDownloads(t *testing.T, addr netip.AddrPort, k int, n, rate int64) []Download {
	t.Helper()
	var d net.Dialer
	b := &Downloads{Dial: d.DialContext, Addr: addr, Bytes: n, Rate: rate, Idle: 5 * time.Second, Deadline: 20 * time.Second}
	b.Start(t.Context(), k, 100)
	return b.Wait()
}

// TestDownloadsLoopback runs the real server handler and client over
// loopback: intact downloads pass at the asked pace; a server that sends
// wrong bytes, stops early or resets is told apart.
func TestDownloadsLoopback(t *testing.T) {
	t.Run("intact", func(t *testing.T) {
		addr := startSlow(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ServeSlow("web9", w, r) }))
		start := time.Now()
		ds := runDownloads(t, addr, 4, 20000, 40000) // 0.5 s each
		took := time.Since(start)
		for _, d := range ds {
			if !d.OK() || d.Got != 20000 || d.Real != "web9" || !d.Local.IsValid() {
				t.Errorf("download: %s", d)
			}
		}
		if took < 400*time.Millisecond {
			t.Errorf("4 downloads of 20000 bytes at 40000 B/s took %v, want about 0.5 s (paced)", took)
		}
		if s := SummarizeDownloads(ds, start.Add(100*time.Millisecond)); s.Kept != 4 || s.NotSpanning != 0 {
			t.Errorf("summary %s", s)
		}
	})
	bad := func(serve func(w http.ResponseWriter, content []byte)) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("bytes"))
			seed, _ := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
			content := make([]byte, n)
			ContentAt(seed, 0, content)
			w.Header().Set("Content-Length", strconv.Itoa(n))
			serve(w, content)
		})
	}
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, content []byte)
		want  Outcome
	}{
		{"corrupted", func(w http.ResponseWriter, c []byte) { c[1234] ^= 1; w.Write(c) }, DownloadCorrupt},
		{"short", func(w http.ResponseWriter, c []byte) { w.Write(c[:1000]) }, DownloadShort},
		{"reset", func(w http.ResponseWriter, c []byte) {
			w.Write(c[:1000])
			http.NewResponseController(w).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			time.Sleep(50 * time.Millisecond)
			conn.Close()
		}, DownloadReset},
		{"stalled", func(w http.ResponseWriter, c []byte) {
			w.Write(c[:1000])
			http.NewResponseController(w).Flush()
			time.Sleep(1500 * time.Millisecond)
		}, DownloadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startSlow(t, bad(tt.serve))
			var d net.Dialer
			b := &Downloads{Dial: d.DialContext, Addr: addr, Bytes: 5000, Rate: 1, Idle: time.Second, Deadline: 10 * time.Second}
			b.Start(t.Context(), 1, 9)
			got := b.Wait()[0]
			if got.Outcome != tt.want {
				t.Errorf("outcome %s, want %s: %s", got.Outcome, tt.want, got)
			}
			if tt.want == DownloadTimeout && got.LongestStall < time.Second {
				t.Errorf("stalled download: longest stall %v, want >= the 1 s idle timeout", got.LongestStall)
			}
		})
	}
}
