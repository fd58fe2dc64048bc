package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// unixPair is a connected pair of unix stream sockets.
func unixPair(t *testing.T) (server *net.UnixConn, client *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "ctl")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c.(*net.UnixConn)
	}
	return conns[0], conns[1]
}

// FuzzControlRequest: whatever a client writes on the control socket, the
// server answers with exactly one JSON Response line and returns; a
// request the handler sees is what the line decodes to; no goroutine is
// left behind.
func FuzzControlRequest(f *testing.F) {
	for _, s := range []string{
		`{"verb":"status"}` + "\n", `{"verb":"standby","args":["foreign"]}` + "\n", `{"verb":"x"`, "hello\n", "",
		`{"verb":"status","args":null}` + "\n", `{"verb":1}` + "\n", `[]` + "\n", `{"verb":"\u0000"}` + "\n",
		`{"verb":"status"}{"verb":"stop"}` + "\n", "\n", `{"verb":"takeover","args":["all","local","foreign"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before := runtime.NumGoroutine()
		srv, cli := unixPair(t)
		defer cli.Close()
		var seen *Request
		h := func(_ context.Context, req Request) Response {
			seen = &req
			return echoHandler(context.Background(), req)
		}
		done := make(chan struct{})
		go func() {
			serveConn(context.Background(), srv, h)
			close(done)
		}()
		cli.SetDeadline(time.Now().Add(10 * time.Second))
		cli.Write(data)
		cli.CloseWrite()
		line, err := bufio.NewReader(cli).ReadBytes('\n')
		if err != nil {
			t.Fatalf("no response line: %v", err)
		}
		var resp Response
		if err := json.Unmarshal(line, &resp); err != nil {
			t.Fatalf("response %q is not JSON: %v", line, err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("serveConn did not return")
		}
		if seen == nil {
			if resp.Exit != 1 || resp.OK {
				t.Fatalf("refused request answered %+v", resp)
			}
		} else if seen.Verb == "status" && !resp.OK {
			t.Fatalf("status answered %+v", resp)
		}
		for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before; {
			if time.Now().After(deadline) {
				t.Fatalf("goroutines: %d, want %d", runtime.NumGoroutine(), before)
			}
			time.Sleep(time.Millisecond)
		}
	})
}
