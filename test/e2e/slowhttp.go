package e2e

// This file touches the network: the web servers' slow download handler
// and the client that runs a batch of slow downloads through the VIP.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// SlowPath is the web servers' slow download: GET
// /slow?bytes=N&rate=R&seed=S streams N bytes of seed S's content
// (ContentAt) at R bytes per second, in ten writes per second.
const SlowPath = "/slow"

// RealHeader names the real server in every slow answer.
const RealHeader = "X-Real"

// maxSlowBytes bounds a slow download's size (a typo must not fill memory
// or run for hours).
const maxSlowBytes = 64 << 20

// ServeSlow answers a slow download request for the real server name.
func ServeSlow(name string, rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err1 := strconv.ParseInt(q.Get("bytes"), 10, 64)
	rate, err2 := strconv.ParseInt(q.Get("rate"), 10, 64)
	seed, err3 := strconv.ParseUint(q.Get("seed"), 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || n < 0 || n > maxSlowBytes || rate < 1 {
		http.Error(rw, fmt.Sprintf("want %s?bytes=0..%d&rate=1..&seed=N: %v", SlowPath, maxSlowBytes, err), http.StatusBadRequest)
		return
	}
	rw.Header().Set("Content-Type", "application/octet-stream")
	rw.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	rw.Header().Set(RealHeader, name)
	rw.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(rw)
	chunk := max(rate/10, 1)
	buf := make([]byte, chunk)
	start := time.Now()
	for off := int64(0); off < n; off += int64(len(buf)) {
		buf = buf[:min(chunk, n-off)]
		ContentAt(seed, off, buf)
		if _, err := rw.Write(buf); err != nil {
			return
		}
		if err := flush.Flush(); err != nil {
			return
		}
		// Pace against the start, so the whole download takes n/rate
		// whatever each write cost.
		next := start.Add(time.Duration(float64(off+int64(len(buf))) / float64(rate) * float64(time.Second)))
		t := time.NewTimer(time.Until(next))
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Downloads is a batch of concurrent slow downloads, each on its own TCP
// connection (no keep-alive: the connection is what a director failover
// must keep), spoken by hand so that nothing retries behind the test's
// back.
type Downloads struct {
	// Dial opens a connection from the client (netlab.NS.DialContext).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Addr is the service (the VIP and port).
	Addr netip.AddrPort
	// Bytes and Rate set each download's size and pace (bytes/s).
	Bytes, Rate int64
	// Idle bounds the wait for the next byte, Deadline the whole download.
	Idle, Deadline time.Duration

	wg       sync.WaitGroup
	mu       sync.Mutex
	results  []Download
	progress []atomic.Int64
	stage    []atomic.Value // string: where each download is (Stages)
	local    []atomic.Value // netip.AddrPort: its client end, once connected (Locals)
}

// Locals returns the client ends of the connections made so far.
func (b *Downloads) Locals() []netip.AddrPort {
	var out []netip.AddrPort
	for i := range b.local {
		if a, ok := b.local[i].Load().(netip.AddrPort); ok {
			out = append(out, a)
		}
	}
	return out
}

// Stages tells, per download, where it is: "dialling", "asked from
// 203.0.113.24:40000" (connected, the answer's head not yet read),
// "receiving", or "ended".
func (b *Downloads) Stages() []string {
	out := make([]string, len(b.stage))
	for i := range b.stage {
		out[i], _ = b.stage[i].Load().(string)
	}
	return out
}

// Start starts k downloads, with seeds firstSeed, firstSeed+1, ...
func (b *Downloads) Start(ctx context.Context, k int, firstSeed uint64) {
	b.results = make([]Download, k)
	b.progress = make([]atomic.Int64, k)
	b.stage = make([]atomic.Value, k)
	b.local = make([]atomic.Value, k)
	for i := range k {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			d := b.one(ctx, i, firstSeed+uint64(i))
			b.mu.Lock()
			b.results[i] = d
			b.mu.Unlock()
		}()
	}
}

// Wait waits for every download to end and returns their records.
func (b *Downloads) Wait() []Download {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Download(nil), b.results...)
}

// Progress returns the bytes each download has received so far.
func (b *Downloads) Progress() []int64 {
	out := make([]int64, len(b.progress))
	for i := range b.progress {
		out[i] = b.progress[i].Load()
	}
	return out
}

// AllPast reports whether every download has received at least n bytes.
func (b *Downloads) AllPast(n int64) bool {
	for _, p := range b.Progress() {
		if p < n {
			return false
		}
	}
	return true
}

// one runs download i and returns its record.
func (b *Downloads) one(ctx context.Context, i int, seed uint64) Download {
	d := Download{ID: i + 1, Seed: seed, Want: b.Bytes, Start: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, b.Deadline)
	defer cancel()
	ver := NewVerifier(seed)
	b.stage[i].Store("dialling")
	err := b.fetch(ctx, &d, ver, &b.progress[i], &b.stage[i], &b.local[i])
	b.stage[i].Store("ended")
	d.End = time.Now()
	d.Got = ver.N
	d.Outcome = Classify(err, ver.N, d.Want, ver.Bad)
	switch {
	case d.Outcome == DownloadCorrupt:
		d.Err = fmt.Sprintf("byte %d differs", ver.Bad)
	case err != nil:
		d.Err = err.Error()
	case d.Outcome == DownloadShort:
		d.Err = fmt.Sprintf("closed after %d of %d bytes", ver.N, d.Want)
	}
	return d
}

// fetch dials, sends the request and reads the body into ver, keeping d's
// stall record and the progress counter up to date.
func (b *Downloads) fetch(ctx context.Context, d *Download, ver *Verifier, progress *atomic.Int64, stage, local *atomic.Value) error {
	c, err := b.Dial(ctx, "tcp", b.Addr.String())
	if err != nil {
		return fmt.Errorf("dial %s: %w", b.Addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		d.Local = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), a.AddrPort().Port())
		local.Store(d.Local)
	}
	st := stall{last: time.Now()}
	defer func() { d.LongestStall, d.StallFrom = st.longest, st.from }()
	defer func() { st.progress(time.Now()) }() // the stall before a failure counts
	if err := c.SetDeadline(time.Now().Add(b.Idle)); err != nil {
		return err
	}
	req := fmt.Sprintf("GET %s?bytes=%d&rate=%d&seed=%d HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		SlowPath, b.Bytes, b.Rate, d.Seed, b.Addr)
	if _, err := c.Write([]byte(req)); err != nil {
		return fmt.Errorf("send the request: %w", err)
	}
	stage.Store("asked from " + d.Local.String())
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	d.Real = resp.Header.Get(RealHeader)
	stage.Store("receiving from " + d.Real + " on " + d.Local.String())
	if resp.StatusCode != http.StatusOK || resp.ContentLength != b.Bytes {
		return fmt.Errorf("answer %s with %d bytes, want 200 with %d", resp.Status, resp.ContentLength, b.Bytes)
	}
	buf := make([]byte, 4096)
	for {
		if err := c.SetReadDeadline(time.Now().Add(b.Idle)); err != nil {
			return err
		}
		n, err := resp.Body.Read(buf)
		if n > 0 {
			st.progress(time.Now())
			ver.Write(buf[:n])
			progress.Store(ver.N)
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("after %d bytes: %w", ver.N, ctx.Err())
			}
			return err
		}
	}
}
