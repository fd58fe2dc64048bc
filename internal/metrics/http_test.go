package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestCheckAddress(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:9640", ""},
		{"[::1]:9640", ""},
		{":9640", ""},
		{"localhost:9640", ""},
		{"127.0.0.1", "missing port in address"},
		{"127.0.0.1:0", `bad port "0"`},
		{"127.0.0.1:70000", `bad port "70000"`},
		{"127.0.0.1:http", `bad port "http"`},
		{"bad host!:9640", `bad host "bad host!"`},
		{"", "missing port in address"},
	} {
		err := CheckAddress(tc.addr)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckAddress(%q) = %v, want nil", tc.addr, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckAddress(%q) = %v, want an error with %q", tc.addr, err, tc.want)
		}
	}
}

func TestListenInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = Listen(busy.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--metrics-address") {
		t.Errorf("Listen on a busy address: %v, want address already in use", err)
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_things_total", Help: "Things."})
	c.Add(3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, NewRegistry(c)) }()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"test_things_total 3\n", "go_goroutines ", "process_start_time_seconds "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Errorf("the listener is still open after Serve returned")
	}
}
