package vmnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// ServeHTTP serves h on addr inside ns until the test ends (closed in
// t.Cleanup). It returns the bound address, so port 0 picks a free port.
func (ns *NS) ServeHTTP(t testing.TB, addr netip.AddrPort, h http.Handler) netip.AddrPort {
	t.Helper()
	l, err := ns.Listen("tcp", addr.String())
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns.Name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http server on %s in %s: %v", addr, ns.Name, err)
		}
	})
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// Text is an http.Handler that answers every request with body s (a real
// server's name, so a client can tell which real answered).
func Text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, s)
	})
}

// HTTPClient returns a client whose connections are made from inside ns.
// Keep-alives are off, because IPVS schedules per connection: every request
// is a new connection and a new scheduling decision. Each request is bounded
// by timeout.
func (ns *NS) HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DialContext: ns.DialContext, DisableKeepAlives: true},
	}
}

// Get fetches url from inside ns and returns the body with surrounding
// white space trimmed, on a new connection bounded by 15 s (generous: the
// VM emulates its CPU). Non-200 answers are errors.
func (ns *NS) Get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("get %s from %s: %w", url, ns.Name, err)
	}
	resp, err := ns.HTTPClient(15 * time.Second).Do(req)
	if err != nil {
		return "", fmt.Errorf("get %s from %s: %w", url, ns.Name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("get %s from %s: read body: %w", url, ns.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("get %s from %s: status %s", url, ns.Name, resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}
