// Package vmnet builds throwaway network labs out of network namespaces for
// the tests that run inside the IPVS test VM (test/vm/run.sh, build tag vm),
// where the kernel has IPVS, veth, dummy and bridge.
//
// Everything a test creates here is registered with t.Cleanup and removed
// even when the test fails: namespaces (with every link inside), servers and
// started processes. Tests only ever talk to addresses inside namespaces they
// created (TEST-NET ranges, see Lab).
//
// The building blocks:
//
//   - NS: a named network namespace (NewNS). NS.Do runs a function on a
//     locked OS thread switched into the namespace: sockets created there
//     stay in it for good, which is how Listen, DialContext, ServeHTTP and
//     HTTPClient work, and how an IPVS handle (ipvs.OpenNetlink) is opened
//     in it. NS.Start and NS.Run start programs in it.
//   - Links and addresses: Veth, NS.Bridge, NS.VethToBridge, NS.Dummy,
//     NS.AddAddr, NS.AddRoute, NS.Sysctl.
//   - Lab (NewLab): the standard client / director / real servers topology.
//
// The package itself does not need the VM; on a host without veth or dummy
// (the development host) the link helpers fail the test with the kernel's
// error. Functions taking a testing.TB must be called from the test
// goroutine (they call t.Fatal); NS methods without one return errors and
// are safe from any goroutine.
package vmnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NS is a network namespace created by a test with NewNS. It is bind-mounted
// as /run/netns/<Name>, so "ip -n <Name>" and "ip netns exec <Name>" work on
// it while the test runs.
type NS struct {
	// Name is the namespace's name under /run/netns; unique per process.
	Name string
	h    netns.NsHandle
}

var nsSeq atomic.Uint32

// NewNS creates a fresh network namespace named after label (plus the pid
// and a sequence number, so parallel tests never collide), brings its
// loopback up, turns IPv6 duplicate address detection off in it, and
// deletes it in t.Cleanup. It fails the test on error.
func NewNS(t testing.TB, label string) *NS {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", label, os.Getpid(), nsSeq.Add(1))
	h, err := newNamed(name)
	if err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	ns := &NS{Name: name, h: h}
	t.Cleanup(func() {
		ns.h.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete netns %s: %v", name, err)
		}
	})
	if err := ns.linkUp("lo"); err != nil {
		t.Fatalf("netns %s: %v", name, err)
	}
	// No IPv6 duplicate address detection: addresses (link-local ones
	// included) are usable at once instead of after about 2 s.
	for _, k := range []string{"net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"} {
		if err := ns.Sysctl(k, "0"); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

// newNamed creates the namespace on a dedicated locked thread. If the thread
// cannot be switched back, it is left locked so the runtime discards it.
func newNamed(name string) (netns.NsHandle, error) {
	type result struct {
		h   netns.NsHandle
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			ch <- result{netns.None(), fmt.Errorf("get current netns: %w", err)}
			return
		}
		defer orig.Close()
		h, err := netns.NewNamed(name)
		if serr := netns.Set(orig); serr != nil {
			if err == nil {
				h.Close()
				_ = netns.DeleteNamed(name)
			}
			ch <- result{netns.None(), fmt.Errorf("restore netns: %w", serr)}
			return // thread stays locked and dies with the goroutine
		}
		runtime.UnlockOSThread()
		ch <- result{h, err}
	}()
	r := <-ch
	return r.h, r.err
}

// Path is the namespace's bind-mount path, usable as a netns path argument
// (for example moby/ipvs.New(path) or netns.GetFromPath).
func (ns *NS) Path() string { return filepath.Join("/run/netns", ns.Name) }

// Handle returns the namespace's file descriptor handle. It stays owned by
// ns: do not close it.
func (ns *NS) Handle() netns.NsHandle { return ns.h }

// String returns the namespace name.
func (ns *NS) String() string { return ns.Name }

// Do runs fn on an OS thread switched into ns and waits for it. Sockets and
// netlink handles that fn creates belong to ns for their whole life, even
// when used later from other goroutines. Goroutines that fn starts do NOT
// run in ns. Do returns fn's error, or an error if the switch failed.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns.h); err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", ns.Name, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leave netns %s: %w", ns.Name, err))
			return // thread stays locked and dies with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Start starts cmd inside ns (the child inherits the namespace of the
// thread that forks it). Waiting for and killing cmd stay with the caller.
func (ns *NS) Start(cmd *exec.Cmd) error {
	return ns.Do(func() error { return cmd.Start() })
}

// Run runs a program inside ns to completion and returns its combined
// output; the error includes the output when the program fails.
func (ns *NS) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var out []byte
	err := ns.Do(func() error {
		var err error
		out, err = exec.CommandContext(ctx, name, args...).CombinedOutput()
		return err
	})
	if err != nil {
		return out, fmt.Errorf("run %s %s in %s: %w: %s", name, strings.Join(args, " "), ns.Name, err, out)
	}
	return out, nil
}

// Sysctl writes value to the sysctl key ("net.ipv4.ip_forward") inside ns.
func (ns *NS) Sysctl(key, value string) error {
	p := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	return ns.Do(func() error {
		if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s in %s: %w", key, value, ns.Name, err)
		}
		return nil
	})
}

// Listen opens a listener inside ns ("tcp", "10.0.0.1:80").
func (ns *NS) Listen(network, addr string) (net.Listener, error) {
	var l net.Listener
	err := ns.Do(func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// ListenPacket opens a packet socket inside ns ("udp", "10.0.0.1:53").
func (ns *NS) ListenPacket(network, addr string) (net.PacketConn, error) {
	var c net.PacketConn
	err := ns.Do(func() error {
		var err error
		c, err = net.ListenPacket(network, addr)
		return err
	})
	return c, err
}

// DialContext dials from inside ns; it fits http.Transport.DialContext.
func (ns *NS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// netlinkHandle opens a route netlink handle bound to ns; the caller closes it.
func (ns *NS) netlinkHandle() (*netlink.Handle, error) {
	h, err := netlink.NewHandleAt(ns.h, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in %s: %w", ns.Name, err)
	}
	return h, nil
}

func (ns *NS) linkUp(name string) error {
	h, err := ns.netlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find link %s in %s: %w", name, ns.Name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up in %s: %w", name, ns.Name, err)
	}
	return nil
}
