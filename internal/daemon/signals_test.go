package daemon

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// guard keeps sigs caught for the whole test, so a signal that arrives after
// the code under test unregistered cannot kill the test binary.
func guard(t *testing.T, sigs ...os.Signal) {
	t.Helper()
	g := make(chan os.Signal, 16)
	signal.Notify(g, sigs...)
	t.Cleanup(func() { signal.Stop(g) })
}

// raise sends sig to this process.
func raise(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

// within receives from ch, bounded in time.
func within[T any](t *testing.T, ch <-chan T) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(30 * time.Second):
		t.Fatal("nothing received in 30 s")
	}
	var zero T
	return zero, false
}

func TestSignals(t *testing.T) {
	guard(t, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	ctx, cancel := context.WithCancel(context.Background())
	ch := Signals(ctx, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	var got []os.Signal
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2} {
		raise(t, s)
		v, _ := within(t, ch)
		got = append(got, v)
	}
	want := []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	cancel()
	if _, ok := within(t, ch); ok {
		t.Error("channel still open after the context ended")
	}
}

func TestHandleSignals(t *testing.T) {
	guard(t, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	calls := make(chan string, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := HandleSignals(ctx, map[os.Signal]func(){
		syscall.SIGHUP:  func() { calls <- "reload" },
		syscall.SIGUSR1: func() { calls <- "debug up" },
		syscall.SIGUSR2: nil, // nil handlers are allowed and ignored
	})
	var got []string
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGUSR1} {
		raise(t, s)
		if s != syscall.SIGUSR2 {
			v, _ := within(t, calls)
			got = append(got, v)
		}
	}
	if diff := cmp.Diff([]string{"reload", "debug up"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	cancel()
	within(t, done)
	if len(calls) != 0 {
		t.Errorf("unexpected extra calls: %d", len(calls))
	}
}

func TestShutdownContext(t *testing.T) {
	guard(t, syscall.SIGTERM)
	ctx, stop := ShutdownContext(context.Background())
	defer stop()
	raise(t, syscall.SIGTERM)
	within(t, ctx.Done())
	var se *SignalError
	if !errors.As(context.Cause(ctx), &se) || se.Signal != syscall.SIGTERM {
		t.Fatalf("cause = %v; want SignalError(SIGTERM)", context.Cause(ctx))
	}
	if got := context.Cause(ctx).Error(); got != "received SIGTERM" {
		t.Errorf("Error() = %q; want %q", got, "received SIGTERM")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("Err() = %v; want Canceled", ctx.Err())
	}
}

func TestShutdownContextParentAndStop(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.Background())
	ctx, stop := ShutdownContext(parent, syscall.SIGUSR2)
	boom := errors.New("parent gone")
	cancel(boom)
	within(t, ctx.Done())
	if !errors.Is(context.Cause(ctx), boom) {
		t.Errorf("cause = %v; want parent's cause", context.Cause(ctx))
	}
	stop()
	stop() // idempotent

	ctx2, stop2 := ShutdownContext(context.Background())
	stop2()
	within(t, ctx2.Done())
	if !errors.Is(context.Cause(ctx2), context.Canceled) {
		t.Errorf("cause after stop = %v; want Canceled", context.Cause(ctx2))
	}
}

func TestSignalErrorText(t *testing.T) {
	tests := []struct {
		sig  os.Signal
		want string
	}{
		{syscall.SIGINT, "received SIGINT"},
		{syscall.SIGHUP, "received SIGHUP"},
		{os.Interrupt, "received SIGINT"},
	}
	for _, tt := range tests {
		if got := (&SignalError{Signal: tt.sig}).Error(); got != tt.want {
			t.Errorf("%v: %q; want %q", tt.sig, got, tt.want)
		}
	}
}
