package ldbench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how one real server of the farm answers.
type Mode string

// Farm modes.
const (
	ModeOK     Mode = "ok"     // 200 with body "ok"
	ModeWrong  Mode = "wrong"  // 200 with a body that lacks "ok"
	ModeError  Mode = "error"  // 500 (for checkers that only test the status)
	ModeRefuse Mode = "refuse" // listener closed: connect is refused
	ModeHang   Mode = "hang"   // accept, read, never answer
)

// hangLimit bounds how long a hanging real holds a connection.
const hangLimit = 120 * time.Second

// RealAddr returns the address of real i (0-based) of a farm of reals on
// base: 127.1.0.1, 127.1.0.2, ... 250 per /24 (loopback 127/8 needs no
// address set-up). For base "198.18" (the VM's AnyIP range) it is
// 198.18.x.y.
func RealAddr(base string, i int) netip.Addr {
	pfx := netip.MustParseAddr(base + ".0.0").As4()
	pfx[2] = byte(i / 250)
	pfx[3] = byte(1 + i%250)
	return netip.AddrFrom4(pfx)
}

// Farm is a set of HTTP/1.0 "real servers", one listener per address, in
// one process. Each counts the connections it accepted (one per check).
type Farm struct {
	port  uint16
	reals []*farmReal
	index map[netip.Addr]*farmReal
	// anyIP: one wildcard listener answers for every address (VM AnyIP).
	anyIP bool
}

type farmReal struct {
	addr netip.Addr
	mode atomic.Value // Mode
	hits atomic.Int64
	// first and last accepted connection since the last reset (unix ns).
	first, last atomic.Int64

	mu sync.Mutex
	ln net.Listener
}

// NewFarm returns a farm of n reals on base:port.
func NewFarm(base string, n int, port uint16, anyIP bool) *Farm {
	f := &Farm{port: port, index: make(map[netip.Addr]*farmReal, n), anyIP: anyIP}
	for i := range n {
		r := &farmReal{addr: RealAddr(base, i)}
		r.mode.Store(ModeOK)
		f.reals = append(f.reals, r)
		f.index[r.addr] = r
	}
	return f
}

// Run listens on every address and serves the control API on ctl until ctx
// is done.
func (f *Farm) Run(ctx context.Context, ctl string) error {
	if f.anyIP {
		ln, err := net.Listen("tcp4", fmt.Sprintf(":%d", f.port))
		if err != nil {
			return fmt.Errorf("farm: listen: %w", err)
		}
		go f.accept(ctx, nil, ln)
	} else {
		for _, r := range f.reals {
			if err := f.listen(ctx, r); err != nil {
				return err
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mode", f.handleMode)
	mux.HandleFunc("/stats", f.handleStats)
	mux.HandleFunc("/reset", func(w http.ResponseWriter, _ *http.Request) {
		for _, r := range f.reals {
			r.hits.Store(0)
			r.first.Store(0)
			r.last.Store(0)
		}
	})
	srv := &http.Server{Addr: ctl, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("farm: control: %w", err)
	}
	return nil
}

func (f *Farm) listen(ctx context.Context, r *farmReal) error {
	ln, err := net.Listen("tcp4", netip.AddrPortFrom(r.addr, f.port).String())
	if err != nil {
		return fmt.Errorf("farm: listen %s: %w", r.addr, err)
	}
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	go f.accept(ctx, r, ln)
	return nil
}

func (f *Farm) accept(ctx context.Context, r *farmReal, ln net.Listener) {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		rr := r
		if rr == nil {
			a := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			if rr = f.index[a]; rr == nil {
				c.Close()
				continue
			}
		}
		go serve(rr, c)
	}
}

var (
	respOK    = []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
	respWrong = []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n")
	respError = []byte("HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nerror\n")
)

// serve answers one connection: it reads the request head, then answers by
// the real's mode and closes.
func serve(r *farmReal, c net.Conn) {
	defer c.Close()
	now := time.Now().UnixNano()
	r.hits.Add(1)
	r.first.CompareAndSwap(0, now)
	r.last.Store(now)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 1024)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(line) <= 2 { // "\r\n" or "\n": end of the head
			break
		}
	}
	switch r.mode.Load().(Mode) {
	case ModeWrong:
		c.Write(respWrong)
	case ModeError:
		c.Write(respError)
	case ModeHang:
		c.SetDeadline(time.Now().Add(hangLimit))
		io.Copy(io.Discard, c) // until the checker gives up
	default:
		c.Write(respOK)
	}
}

// SetMode switches real a to mode m. Refuse closes its listener; leaving
// refuse listens again.
func (f *Farm) SetMode(ctx context.Context, a netip.Addr, m Mode) error {
	r := f.index[a]
	if r == nil {
		return fmt.Errorf("farm: no real %s", a)
	}
	old := r.mode.Swap(m).(Mode)
	if f.anyIP || old == m {
		return nil
	}
	if m == ModeRefuse {
		r.mu.Lock()
		r.ln.Close()
		r.mu.Unlock()
	} else if old == ModeRefuse {
		return f.listen(ctx, r)
	}
	return nil
}

func (f *Farm) handleMode(w http.ResponseWriter, req *http.Request) {
	a, err := netip.ParseAddr(req.FormValue("addr"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := f.SetMode(context.Background(), a, Mode(req.FormValue("mode"))); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, time.Now().UnixNano())
}

// RealStats are one real's counters since the last reset.
type RealStats struct {
	Addr  string `json:"addr"`
	Hits  int64  `json:"hits"`
	First int64  `json:"first"` // unix ns, 0 = never
	Last  int64  `json:"last"`
}

func (f *Farm) handleStats(w http.ResponseWriter, _ *http.Request) {
	out := make([]RealStats, len(f.reals))
	for i, r := range f.reals {
		out[i] = RealStats{Addr: r.addr.String(), Hits: r.hits.Load(), First: r.first.Load(), Last: r.last.Load()}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// FarmClient talks to a farm's control API.
type FarmClient struct {
	Base string // "http://127.0.0.1:8081"
	c    http.Client
}

// SetMode switches real a and returns the farm's time of the switch.
func (fc *FarmClient) SetMode(a netip.Addr, m Mode) (time.Time, error) {
	resp, err := fc.c.PostForm(fc.Base+"/mode", map[string][]string{"addr": {a.String()}, "mode": {string(m)}})
	if err != nil {
		return time.Time{}, fmt.Errorf("farm mode: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return time.Time{}, fmt.Errorf("farm mode %s %s: %s", a, m, b)
	}
	ns, err := strconv.ParseInt(string(trimNL(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("farm mode: %w", err)
	}
	return time.Unix(0, ns), nil
}

// Stats returns every real's counters.
func (fc *FarmClient) Stats() ([]RealStats, error) {
	resp, err := fc.c.Get(fc.Base + "/stats")
	if err != nil {
		return nil, fmt.Errorf("farm stats: %w", err)
	}
	defer resp.Body.Close()
	var out []RealStats
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("farm stats: %w", err)
	}
	return out, nil
}

// Reset clears the counters.
func (fc *FarmClient) Reset() error {
	resp, err := fc.c.Post(fc.Base+"/reset", "", nil)
	if err != nil {
		return fmt.Errorf("farm reset: %w", err)
	}
	resp.Body.Close()
	return nil
}

// Ready waits until the control API answers.
func (fc *FarmClient) Ready(ctx context.Context) error {
	for ctx.Err() == nil {
		resp, err := fc.c.Get(fc.Base + "/stats?ping=1")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("farm not ready: %w", ctx.Err())
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

var _ = slog.Default
