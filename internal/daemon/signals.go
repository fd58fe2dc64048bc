package daemon

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signal helpers tied to a context. Nothing here is global: each call
// registers its own channel with os/signal and unregisters it when its
// context ends. Heartbeat's and ldirectord's meanings: SIGTERM and SIGINT
// shut down, SIGHUP reloads (and reopens logs), SIGUSR1/SIGUSR2 raise and
// lower the debug level (hb_signal.c).

// Signals relays sigs to the returned channel until ctx ends; then it stops
// relaying and closes the channel. The channel buffers a few signals; when
// the reader falls behind, further signals are dropped, as os/signal does.
func Signals(ctx context.Context, sigs ...os.Signal) <-chan os.Signal {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, sigs...)
	context.AfterFunc(ctx, func() {
		signal.Stop(ch) // no send to ch after Stop returns
		close(ch)
	})
	return ch
}

// HandleSignals registers for the signals in handlers and, on a goroutine of
// its own, calls the matching function for each signal as it arrives, one at
// a time, until ctx ends. The signals are caught once HandleSignals returns;
// the returned channel closes when dispatching has stopped. Example:
//
//	daemon.HandleSignals(ctx, map[os.Signal]func(){
//		syscall.SIGHUP:  reload,
//		syscall.SIGUSR1: func() { level.Set(level.Level() - 4) },
//	})
func HandleSignals(ctx context.Context, handlers map[os.Signal]func()) <-chan struct{} {
	sigs := make([]os.Signal, 0, len(handlers))
	for s := range handlers {
		sigs = append(sigs, s)
	}
	ch := Signals(ctx, sigs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range ch {
			if f := handlers[s]; f != nil {
				f()
			}
		}
	}()
	return done
}

// SignalError is the cause of a context cancelled by ShutdownContext.
type SignalError struct {
	Signal os.Signal
}

// Error returns "received SIGTERM" and the like.
func (e *SignalError) Error() string {
	if s, ok := e.Signal.(syscall.Signal); ok && unix.SignalName(s) != "" {
		return "received " + unix.SignalName(s)
	}
	return "received signal " + e.Signal.String()
}

// ShutdownContext returns a context that is cancelled, with a *SignalError
// as its context.Cause, on the first of sigs (SIGTERM and SIGINT if none are
// given). Later signals are absorbed until stop is called, so a second
// SIGTERM does not kill a daemon that is still releasing its resources.
// Call stop once the shutdown is complete.
func ShutdownContext(parent context.Context, sigs ...os.Signal) (ctx context.Context, stop context.CancelFunc) {
	if len(sigs) == 0 {
		sigs = []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	}
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case s := <-ch:
				cancel(&SignalError{Signal: s}) // no-op after the first
			case <-parent.Done():
				cancel(context.Cause(parent))
				return
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(done) })
		cancel(context.Canceled)
	}
}
