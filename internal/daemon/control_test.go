package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// echoHandler answers "status" with JSON, "fail" with exit 3, and everything
// else with the verb and args joined.
func echoHandler(_ context.Context, req Request) Response {
	switch req.Verb {
	case "status":
		return Response{OK: true, Text: "running", JSON: json.RawMessage(`{"nodes":2}`)}
	case "fail":
		return Response{OK: false, Exit: 3, Text: "stopped"}
	case "badjson":
		return Response{OK: true, JSON: json.RawMessage(`{not json`)}
	}
	return Response{OK: true, Text: req.Verb + ":" + strings.Join(req.Args, ",")}
}

// startServer listens on a fresh socket and serves h until the test ends.
func startServer(t *testing.T, h Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.sock")
	l, err := ListenControl(path)
	if err != nil {
		t.Fatalf("ListenControl: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

func TestControlRoundTrip(t *testing.T) {
	path := startServer(t, echoHandler)
	tests := []struct {
		name string
		req  Request
		want Response
	}{
		{name: "status json", req: Request{Verb: "status"}, want: Response{OK: true, Text: "running", JSON: json.RawMessage(`{"nodes":2}`)}},
		{name: "exit code", req: Request{Verb: "fail"}, want: Response{Exit: 3, Text: "stopped"}},
		{name: "args", req: Request{Verb: "standby", Args: []string{"foreign", "x y"}}, want: Response{OK: true, Text: "standby:foreign,x y"}},
		{name: "unicode and newline in args", req: Request{Verb: "v", Args: []string{"a\nb", "ü"}}, want: Response{OK: true, Text: "v:a\nb,ü"}},
		{name: "handler returns bad json", req: Request{Verb: "badjson"}, want: Response{Exit: 1, Text: "bad response: encoding: json: error calling MarshalJSON for type json.RawMessage: invalid character 'n' looking for beginning of object key string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Call(context.Background(), path, tt.req)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestControlSocketMode(t *testing.T) {
	path := startServer(t, echoHandler)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v; want socket 0600", fi.Mode())
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("run dir has %d entries; want just the socket", len(ents))
	}
}

func TestControlBadRequest(t *testing.T) {
	path := startServer(t, echoHandler)
	tests := []struct {
		name string
		send string
		want string
	}{
		{name: "not json", send: "hello\n", want: "bad request: decoding: invalid character 'h' looking for beginning of value"},
		{name: "truncated json", send: `{"verb":"x"`, want: "bad request: decoding: unexpected end of JSON input"},
		{name: "nothing sent", send: "", want: "bad request: reading: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			c.Write([]byte(tt.send))
			c.(*net.UnixConn).CloseWrite()
			line, err := bufio.NewReader(c).ReadBytes('\n')
			if err != nil {
				t.Fatalf("reading response: %v", err)
			}
			var got Response
			if err := json.Unmarshal(line, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Response{Exit: 1, Text: tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestControlConcurrentCalls(t *testing.T) {
	path := startServer(t, echoHandler)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			arg := fmt.Sprint(i)
			got, err := Call(context.Background(), path, Request{Verb: "n", Args: []string{arg}})
			if err != nil {
				errs <- err
				return
			}
			if got.Text != "n:"+arg {
				errs <- fmt.Errorf("call %d got %q", i, got.Text)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestControlStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	// Leave a socket file behind with no listener, like a crashed daemon.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	if _, err := Call(context.Background(), path, Request{Verb: "x"}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Call(stale) = %v; want ErrNotRunning", err)
	}
	l, err := ListenControl(path)
	if err != nil {
		t.Fatalf("ListenControl over stale socket: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, echoHandler) }()
	got, err := Call(context.Background(), path, Request{Verb: "a"})
	if err != nil || got.Text != "a:" {
		t.Errorf("Call = %+v, %v", got, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after Serve returned: %v", err)
	}
}

func TestControlLiveSocketKept(t *testing.T) {
	path := startServer(t, echoHandler)
	if _, err := ListenControl(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second ListenControl = %v; want ErrInUse", err)
	}
	if got, err := Call(context.Background(), path, Request{Verb: "status"}); err != nil || !got.OK {
		t.Errorf("first server no longer answers: %+v, %v", got, err)
	}
}

func TestControlRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	os.WriteFile(path, []byte("keep me"), 0o644)
	_, err := ListenControl(path)
	if err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("ListenControl(regular file) = %v; want not-a-socket error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Errorf("regular file was touched: %q", b)
	}
}

func TestControlCallNotRunning(t *testing.T) {
	_, err := Call(context.Background(), filepath.Join(t.TempDir(), "none.sock"), Request{Verb: "status"})
	if !errors.Is(err, ErrNotRunning) {
		t.Errorf("Call(missing) = %v; want ErrNotRunning", err)
	}
}

func TestControlCallTimeout(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	path := startServer(t, func(ctx context.Context, req Request) Response {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return Response{OK: true}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Call(ctx, path, Request{Verb: "slow"})
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Call with cancelled ctx = %v; want Canceled", err)
	}
}

// TestControlServeStopsHandlers checks that Serve's return waits for, and
// cancels, a handler in flight.
func TestControlServeStopsHandlers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl.sock")
	l, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	var finished bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- l.Serve(ctx, func(hctx context.Context, _ Request) Response {
			close(entered)
			<-hctx.Done()
			finished = true
			return Response{}
		})
	}()
	go Call(context.Background(), path, Request{Verb: "x"})
	<-entered
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if !finished {
		t.Error("Serve returned before its handler finished")
	}
}
