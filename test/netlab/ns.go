package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// NS is a network namespace created by New. It is bind-mounted as
// /run/netns/<Name>, so "ip -n <Name>" and "ip netns exec <Name>" work on
// it while the test runs.
//
// Concurrency: the methods are safe for concurrent use.
type NS struct {
	// Name is the namespace's name under /run/netns.
	Name string
	h    netns.NsHandle
}

// New creates the network namespace name, brings its loopback up, and
// deletes it in t.Cleanup (which also deletes every link inside it). It
// fails the test on error. Name it with RandomName or any scheme that
// cannot collide with a concurrent run.
func New(t testing.TB, name string) *NS {
	t.Helper()
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
	if err := ns.SetLinkUp("lo", true); err != nil {
		t.Fatal(err)
	}
	return ns
}

// RandomName returns prefix+label+"-"+6 random hex digits
// ("hbl-node1-3fa2c1"): the run scripts find a lab's leftovers by prefix.
func RandomName(prefix, label string) string {
	var b [3]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (it crashes instead)
	return prefix + label + "-" + hex.EncodeToString(b[:])
}

// newNamed creates the namespace on a locked thread and switches back. A
// thread that cannot be switched back stays locked and dies with its
// goroutine.
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
			return
		}
		runtime.UnlockOSThread()
		ch <- result{h, err}
	}()
	r := <-ch
	return r.h, r.err
}

// String returns the namespace name.
func (ns *NS) String() string { return ns.Name }

// Path is the namespace's bind-mount path, usable as a netns path argument
// (for example moby/ipvs.New(path) or netns.GetFromPath).
func (ns *NS) Path() string { return filepath.Join("/run/netns", ns.Name) }

// Handle returns the namespace's file descriptor handle. It stays owned by
// ns: do not close it.
func (ns *NS) Handle() netns.NsHandle { return ns.h }

// Do runs fn on an OS thread switched into ns and waits for it. Sockets
// and netlink handles that fn creates belong to ns for their whole life,
// even when used later from other goroutines. Goroutines that fn starts do
// NOT run in ns. Do returns fn's error, or an error if the switch failed.
func (ns *NS) Do(fn func() error) error {
	return daemon.InNetns(ns.h, fn)
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
