package daemon

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// InNetns runs fn on an OS thread of its own switched into ns (when ns is
// positive; otherwise fn runs on the caller's goroutine), then switches the
// thread back, so the caller's thread never changes namespace. Sockets fn
// opens stay in ns. Tests use it to open the daemons' sockets inside
// network namespaces they create (hbd's UDP and ICMP sockets, the
// gratuitous ARP socket).
func InNetns(ns netns.NsHandle, fn func() error) error {
	if ns <= 0 {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("getting current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("entering netns: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with this goroutine
			// instead of running others in the wrong namespace.
			done <- errors.Join(ferr, fmt.Errorf("returning from netns: %w", err))
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}
