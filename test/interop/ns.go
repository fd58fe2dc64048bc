//go:build interop

// Copied from test/lab (ns.go, events.go, addrs.go) so the two labs can
// change independently; only the package name and the namespace prefix differ.

package interop

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NS is a network namespace created by NewNS. It is bind-mounted as
// /run/netns/<Name>, so "ip -n <Name>" and "ip netns exec <Name>" work on
// it while the test runs.
type NS struct {
	// Name is "hbi-<label>-<random hex>".
	Name string
	h    netns.NsHandle
}

// NamePrefix starts the name of every namespace the lab creates.
const NamePrefix = "hbi-"

// NewNS creates a network namespace named NamePrefix+label+"-"+6 random hex
// digits, brings its loopback up, and deletes it in t.Cleanup (which also
// deletes every link inside it).
func NewNS(t testing.TB, label string) *NS {
	t.Helper()
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random netns suffix: %v", err)
	}
	name := NamePrefix + label + "-" + hex.EncodeToString(b[:])
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

// Do runs fn on an OS thread switched into ns and waits for it. Sockets
// that fn opens stay in ns for their whole life; goroutines fn starts do
// not run in ns.
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
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func (ns *NS) handle() (*netlink.Handle, error) {
	h, err := netlink.NewHandleAt(ns.h, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in %s: %w", ns.Name, err)
	}
	return h, nil
}

// withLink runs fn with a netlink handle in ns and the link called name.
func (ns *NS) withLink(name string, fn func(*netlink.Handle, netlink.Link) error) error {
	h, err := ns.handle()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find link %s in %s: %w", name, ns.Name, err)
	}
	return fn(h, l)
}

// SetLinkUp sets link name in ns administratively up or down.
func (ns *NS) SetLinkUp(name string, up bool) error {
	return ns.withLink(name, func(h *netlink.Handle, l netlink.Link) error {
		set, word := h.LinkSetUp, "up"
		if !up {
			set, word = h.LinkSetDown, "down"
		}
		if err := set(l); err != nil {
			return fmt.Errorf("set %s %s in %s: %w", name, word, ns.Name, err)
		}
		return nil
	})
}

// Carrier reports whether link name in ns has carrier (IFF_RUNNING: its
// veth peer is up).
func (ns *NS) Carrier(name string) (bool, error) {
	var up bool
	err := ns.withLink(name, func(_ *netlink.Handle, l netlink.Link) error {
		up = l.Attrs().RawFlags&unix.IFF_RUNNING != 0
		return nil
	})
	return up, err
}

// MAC returns the hardware address of link name in ns.
func (ns *NS) MAC(name string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	err := ns.withLink(name, func(_ *netlink.Handle, l netlink.Link) error {
		mac = l.Attrs().HardwareAddr
		return nil
	})
	return mac, err
}

// LinkIndexes maps the interface indexes in ns to their names.
func (ns *NS) LinkIndexes() (map[int]string, error) {
	h, err := ns.handle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links in %s: %w", ns.Name, err)
	}
	m := make(map[int]string, len(links))
	for _, l := range links {
		m[l.Attrs().Index] = l.Attrs().Name
	}
	return m, nil
}

// AddAddr adds p to link name in ns.
func (ns *NS) AddAddr(name string, p netip.Prefix) error {
	return ns.withLink(name, func(h *netlink.Handle, l netlink.Link) error {
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(p)}); err != nil {
			return fmt.Errorf("add %s to %s in %s: %w", p, name, ns.Name, err)
		}
		return nil
	})
}

// DelAddr removes p from link name in ns.
func (ns *NS) DelAddr(name string, p netip.Prefix) error {
	return ns.withLink(name, func(h *netlink.Handle, l netlink.Link) error {
		if err := h.AddrDel(l, &netlink.Addr{IPNet: ipNet(p)}); err != nil {
			return fmt.Errorf("delete %s from %s in %s: %w", p, name, ns.Name, err)
		}
		return nil
	})
}

// Addrs lists the IPv4 addresses in ns (every link) by link name.
func (ns *NS) Addrs() (map[string][]netip.Prefix, error) {
	h, err := ns.handle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	idx, err := ns.LinkIndexes()
	if err != nil {
		return nil, err
	}
	list, err := h.AddrList(nil, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("list addresses in %s: %w", ns.Name, err)
	}
	m := map[string][]netip.Prefix{}
	for _, a := range list {
		if p, ok := prefixOf(*a.IPNet); ok {
			m[idx[a.LinkIndex]] = append(m[idx[a.LinkIndex]], p)
		}
	}
	return m, nil
}

// addBridge creates bridge name in ns and sets it up. STP stays off, so a
// port forwards as soon as it has carrier.
func (ns *NS) addBridge(name string) error {
	h, err := ns.handle()
	if err != nil {
		return err
	}
	defer h.Close()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil {
		return fmt.Errorf("add bridge %s in %s: %w", name, ns.Name, err)
	}
	return ns.SetLinkUp(name, true)
}

// plug connects peer to bridge in ns with a veth pair: port on the bridge
// side in ns, peerName in peer with address p. Both ends end up up.
func (ns *NS) plug(bridge, port string, peer *NS, peerName string, p netip.Prefix) error {
	err := ns.withLink(bridge, func(h *netlink.Handle, br netlink.Link) error {
		attrs := netlink.NewLinkAttrs()
		attrs.Name = port
		attrs.MasterIndex = br.Attrs().Index
		v := &netlink.Veth{LinkAttrs: attrs, PeerName: peerName, PeerNamespace: netlink.NsFd(int(peer.h))}
		if err := h.LinkAdd(v); err != nil {
			return fmt.Errorf("add veth %s (%s) <-> %s (%s): %w", port, ns.Name, peerName, peer.Name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ns.SetLinkUp(port, true); err != nil {
		return err
	}
	if err := peer.SetLinkUp(peerName, true); err != nil {
		return err
	}
	return peer.AddAddr(peerName, p)
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

func prefixOf(n net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
