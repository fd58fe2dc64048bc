package daemon

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// notifySocket binds a unixgram socket as NOTIFY_SOCKET for this test.
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

// recv reads one datagram, bounded by a generous deadline.
func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("reading notify socket: %v", err)
	}
	return string(buf[:n])
}

func TestNotifyMessages(t *testing.T) {
	c := notifySocket(t)
	tests := []struct {
		name string
		send func() error
		want *regexp.Regexp
	}{
		{name: "ready", send: Ready, want: regexp.MustCompile(`^READY=1$`)},
		{name: "reloading", send: Reloading, want: regexp.MustCompile(`^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$`)},
		{name: "stopping", send: Stopping, want: regexp.MustCompile(`^STOPPING=1$`)},
		{name: "status", send: func() error { return Status("2 nodes\nup") }, want: regexp.MustCompile(`^STATUS=2 nodes up$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			if got := recv(t, c); !tt.want.MatchString(got) {
				t.Errorf("got %q; want match for %q", got, tt.want)
			}
		})
	}
}

func TestNotifyNoSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	for _, f := range []func() error{Ready, Reloading, Stopping, func() error { return Status("x") }} {
		if err := f(); err != nil {
			t.Errorf("without NOTIFY_SOCKET: %v; want nil", err)
		}
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	if err := Ready(); err == nil {
		t.Error("Ready with a dead NOTIFY_SOCKET: nil error; want one")
	}
}

func TestRunWatchdog(t *testing.T) {
	c := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "2000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWatchdog(ctx) }()
	var got []string
	for range 3 {
		got = append(got, recv(t, c))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunWatchdog: %v", err)
	}
	if diff := cmp.Diff([]string{"WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRunWatchdogDisabled(t *testing.T) {
	notifySocket(t)
	tests := []struct {
		name    string
		usec    string
		pid     string
		wantErr bool
	}{
		{name: "unset", usec: "", pid: ""},
		{name: "other pid", usec: "2000", pid: "1"},
		{name: "malformed", usec: "soon", pid: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			// Must return at once without a cancel: the context never ends.
			err := RunWatchdog(context.Background())
			if (err != nil) != tt.wantErr {
				t.Errorf("RunWatchdog = %v; want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestCleanEnv(t *testing.T) {
	in := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/x", "WATCHDOG_USEC=1", "WATCHDOG_PID=2", "LISTEN_FDS=1", "LISTEN_PID=3", "HA_RSCTMP=/run/rsc", "NOTIFY_SOCKETX=keep"}
	want := []string{"PATH=/bin", "HA_RSCTMP=/run/rsc", "NOTIFY_SOCKETX=keep"}
	if diff := cmp.Diff(want, CleanEnv(in)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
