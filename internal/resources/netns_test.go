package resources_test

// Root-only tests against a real kernel, each in a fresh network namespace
// that the test creates and removes: the veth pair um0 <-> um1 with the
// primary address 10.9.0.1/24 on um0, and the veth pair um2 <-> um3 with
// 10.9.8.1/24 on um2. No address outside these namespaces is touched.

import (
	"net"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// labNS is a fresh network namespace with its links.
type labNS struct {
	ns netns.NsHandle
	h  *netlink.Handle
}

// newLabNS creates the namespace and its links; t.Cleanup closes every
// handle, which destroys the namespace and its links with it.
func newLabNS(t *testing.T) *labNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_NET_RAW) to create a network namespace")
	}
	type made struct {
		ns  netns.NsHandle
		err error
	}
	c := make(chan made, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			c <- made{err: err}
			return
		}
		defer orig.Close()
		ns, err := netns.New() // switches this thread into ns
		if serr := netns.Set(orig); serr != nil {
			c <- made{ns: ns, err: serr} // thread stays locked and dies with the goroutine
			return
		}
		runtime.UnlockOSThread()
		c <- made{ns: ns, err: err}
	}()
	m := <-c
	if m.ns > 0 {
		t.Cleanup(func() { m.ns.Close() })
	}
	if m.err != nil {
		t.Fatalf("creating netns: %v", m.err)
	}
	// NETLINK_ROUTE only: the VM's cloud kernel has no xfrm, which a
	// handle of every family would open.
	h, err := netlink.NewHandleAt(m.ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle in netns: %v", err)
	}
	t.Cleanup(h.Close)
	lab := &labNS{ns: m.ns, h: h}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "um0"}, PeerName: "um1"}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth: %v", err)
	}
	// This kernel has no dummy driver: a second veth pair stands in.
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "um2"}, PeerName: "um3"}); err != nil {
		t.Fatalf("adding second veth: %v", err)
	}
	for _, name := range []string{"lo", "um0", "um1", "um2", "um3"} {
		if err := h.LinkSetUp(lab.link(t, name)); err != nil {
			t.Fatalf("setting %s up: %v", name, err)
		}
	}
	lab.addr(t, "um0", "10.9.0.1/24", "")
	lab.addr(t, "um2", "10.9.8.1/24", "")
	return lab
}

func (l *labNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	link, err := l.h.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	return link
}

func (l *labNS) addr(t *testing.T, link, prefix, label string) {
	t.Helper()
	a, err := netlink.ParseAddr(prefix)
	if err != nil {
		t.Fatal(err)
	}
	a.Label = label
	if err := l.h.AddrAdd(l.link(t, link), a); err != nil {
		t.Fatalf("adding %s to %s: %v", prefix, link, err)
	}
}

// kernelAddrs lists the namespace's IPv4 addresses straight from the
// kernel, independent of the code under test, as sorted "prefix label brd".
func (l *labNS) kernelAddrs(t *testing.T, link string) []string {
	t.Helper()
	list, err := l.h.AddrList(l.link(t, link), netlink.FAMILY_V4)
	if err != nil {
		t.Fatalf("listing addresses: %v", err)
	}
	var out []string
	for _, a := range list {
		brd := "-"
		if a.Broadcast != nil {
			brd = a.Broadcast.String()
		}
		out = append(out, a.IPNet.String()+" "+a.Label+" "+brd)
	}
	slices.Sort(out) // the kernel lists primaries before secondaries
	return out
}

// mac returns a link's hardware address.
func (l *labNS) mac(t *testing.T, name string) net.HardwareAddr {
	t.Helper()
	return l.link(t, name).Attrs().HardwareAddr
}

// inNS runs fn on a thread inside the namespace.
func (l *labNS) inNS(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(l.ns); err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		fn()
		if err := netns.Set(orig); err != nil {
			done <- err // thread stays locked and dies
			return
		}
		runtime.UnlockOSThread()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatalf("running in netns: %v", err)
	}
}
