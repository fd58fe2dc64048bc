package check

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// script writes an executable shell script and returns its path.
func script(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExternal(t *testing.T) {
	// wantArgs exits 0 only when called with the expected arguments.
	cmd := func(body string) func(*Target) {
		path := script(t, body)
		return func(tg *Target) { tg.External.Command = path }
	}
	wantArgs := func(args string) func(*Target) {
		return cmd(`[ "$*" = "` + args + `" ] && exit 0; echo "got: $*" >&2; exit 3`)
	}
	real := fixed("127.0.0.1:8080")
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	cases := []checkCase{
		{name: "exit 0 with ldirectord's arguments", server: real, target: wantArgs("10.0.0.1 80 127.0.0.1 8080"), wantUp: true},
		{name: "fwmark virtual", server: real, target: func(t *Target) {
			wantArgs("7 0 127.0.0.1 8080")(t)
			t.External.Virtual, t.External.FWMark = netip.AddrPort{}, 7
		}, wantUp: true},
		{name: "ipv6 in brackets", server: fixed("[::1]:80"), target: func(t *Target) {
			wantArgs("[2001:db8::1] 80 [::1] 80")(t)
			t.External.Virtual = netip.MustParseAddrPort("[2001:db8::1]:80")
		}, wantUp: true},
		{name: "exit 1 with its stderr", server: real, target: cmd("echo 'backend says no' >&2; exit 1"), wantErr: "exit status 1: backend says no"},
		{name: "killed by a signal", server: real, target: cmd("kill -9 $$"), wantErr: "signal: killed"},
		{name: "timeout: SIGTERM", server: real, timeout: 300 * time.Millisecond, target: cmd("exec sleep 60"), wantErr: "timeout"},
		{name: "timeout, SIGTERM ignored: SIGKILL", server: real, timeout: 300 * time.Millisecond, target: cmd("trap '' TERM; sleep 60; exit 0"), wantErr: "timeout"},
		{name: "timeout kills the command's children", server: real, timeout: 300 * time.Millisecond, target: cmd("sleep 60 & echo $! > " + pidFile + "; wait"), wantErr: "timeout"},
		{name: "missing command", server: real, target: func(t *Target) { t.External.Command = "/nonexistent/check" }, wantErr: "no such file or directory"},
		{name: "no command", server: real, target: func(t *Target) { t.External.Command = "" }, wantErr: "external: no checkcommand"},
	}
	base := Target{Options: &Options{Type: ldcf.CheckExternal, Protocol: "tcp", External: ExternalOptions{Virtual: netip.MustParseAddrPort("10.0.0.1:80")}}}
	runCases(t, External{}, base, cases)
	t.Run("no child left", func(t *testing.T) {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		// The child was SIGKILLed: at most a zombie until init reaps it. On
		// a loaded machine the kill can still be pending (state R) for a
		// moment after the check returned, so give the kernel up to 2 s to
		// finish it; a child that was never killed still runs after that.
		deadline := time.Now().Add(2 * time.Second)
		for {
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil || strings.Contains(string(st), ") Z ") {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("child %d of the timed-out command still runs 2 s after the check: %s", pid, st)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("external-perl", func(t *testing.T) {
		perl := func(body string) func(*Target) {
			return func(tg *Target) {
				p := filepath.Join(t.TempDir(), "check.pl")
				os.WriteFile(p, []byte(body), 0o644)
				tg.External.Command = p
			}
		}
		runCases(t, External{Interpreter: "perl"}, base, []checkCase{
			{name: "exit 0", server: real, target: perl(`exit($ARGV[0] eq "10.0.0.1" && $ARGV[3] eq "8080" ? 0 : 1);`), wantUp: true},
			{name: "exit 2", server: real, target: perl(`exit 2;`), wantErr: "exit status 2"},
			{name: "die", server: real, target: perl(`die "broken\n";`), wantErr: "broken"},
		})
	})
}

func TestCombined(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	defer func() { l.Close(); <-done }()
	addr := netip.MustParseAddrPort(l.Addr().String())
	neg := &scripted{}
	c := &Combined{Negotiate: neg}
	target := Target{Real: addr, Port: addr.Port(), Options: &Options{Type: ldcf.CheckCombined, Service: "http", Protocol: "tcp", Combined: 2, Timeout: 5 * time.Second}}
	steps := []struct {
		negUp    bool // the negotiate check's answer, if it runs
		closeLis bool // close the listener first: connects fail from now on
		wantNeg  bool // a negotiate (not connect) check ran
		wantUp   bool
	}{
		{negUp: true, wantNeg: true, wantUp: true}, // first check: negotiate
		{wantUp: true},                             // connect 1 of 2
		{wantUp: true},                             // connect 2 of 2
		{negUp: false, wantNeg: true},              // negotiate, fails
		{negUp: true, wantNeg: true, wantUp: true}, // negotiate again, up
		{wantUp: true},                             // connect
		{closeLis: true},                           // connect fails
		{negUp: true, wantNeg: true, wantUp: true}, // so negotiate next
	}
	for i, s := range steps {
		if s.closeLis {
			l.Close()
			<-done
		}
		before := neg.calls
		neg.up = s.negUp
		got := c.Check(context.Background(), target)
		ranNeg := neg.calls > before
		if ranNeg != s.wantNeg || got.Up != s.wantUp {
			t.Fatalf("step %d: negotiate ran %v, up %v (%q); want %v, %v", i, ranNeg, got.Up, got.Err, s.wantNeg, s.wantUp)
		}
	}
}

// scripted is a negotiate checker that answers up or down as told and
// counts its calls.
type scripted struct {
	up    bool
	calls int
}

func (s *scripted) Check(context.Context, Target) Result {
	s.calls++
	if s.up {
		return Result{Up: true}
	}
	return Result{Err: "scripted down"}
}
