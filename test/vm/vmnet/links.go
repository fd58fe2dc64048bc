package vmnet

import (
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Veth connects a and b with a veth pair: aName in a, bName in b, both up,
// with the given addresses (zero prefixes are skipped). The links go away
// with their namespaces. It fails the test on error.
func Veth(t testing.TB, a *NS, aName string, aAddr netip.Prefix, b *NS, bName string, bAddr netip.Prefix) {
	t.Helper()
	if err := a.addVeth(aName, b, bName, ""); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		ns   *NS
		name string
		p    netip.Prefix
	}{{a, aName, aAddr}, {b, bName, bAddr}} {
		if err := e.ns.linkUp(e.name); err != nil {
			t.Fatal(err)
		}
		if e.p.IsValid() {
			e.ns.AddAddr(t, e.name, e.p)
		}
	}
}

// addVeth creates veth name in ns with its peer peerName in peer; with a
// non-empty master the local end is enslaved to that bridge.
func (ns *NS) addVeth(name string, peer *NS, peerName, master string) error {
	h, err := ns.netlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	if master != "" {
		br, err := h.LinkByName(master)
		if err != nil {
			return fmt.Errorf("find bridge %s in %s: %w", master, ns.Name, err)
		}
		attrs.MasterIndex = br.Attrs().Index
	}
	v := &netlink.Veth{LinkAttrs: attrs, PeerName: peerName, PeerNamespace: netlink.NsFd(int(peer.h))}
	if err := h.LinkAdd(v); err != nil {
		return fmt.Errorf("add veth %s (%s) <-> %s (%s): %w", name, ns.Name, peerName, peer.Name, err)
	}
	return nil
}

// Bridge creates bridge name in ns, up, with the given addresses.
func (ns *NS) Bridge(t testing.TB, name string, addrs ...netip.Prefix) {
	t.Helper()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	ns.addLink(t, &netlink.Bridge{LinkAttrs: attrs}, addrs)
}

// Dummy creates dummy interface name in ns (where a director keeps its
// VIPs), up, with the given addresses.
func (ns *NS) Dummy(t testing.TB, name string, addrs ...netip.Prefix) {
	t.Helper()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	ns.addLink(t, &netlink.Dummy{LinkAttrs: attrs}, addrs)
}

func (ns *NS) addLink(t testing.TB, l netlink.Link, addrs []netip.Prefix) {
	t.Helper()
	h, err := ns.netlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.LinkAdd(l); err != nil {
		t.Fatalf("add %s %s in %s: %v", l.Type(), l.Attrs().Name, ns.Name, err)
	}
	if err := ns.linkUp(l.Attrs().Name); err != nil {
		t.Fatal(err)
	}
	for _, p := range addrs {
		ns.AddAddr(t, l.Attrs().Name, p)
	}
}

// VethToBridge plugs peer into bridge (a bridge in ns made with Bridge)
// through a veth pair: port on the bridge side in ns, peerName inside peer
// with peerAddrs. Both ends are up.
func (ns *NS) VethToBridge(t testing.TB, bridge, port string, peer *NS, peerName string, peerAddrs ...netip.Prefix) {
	t.Helper()
	if err := ns.addVeth(port, peer, peerName, bridge); err != nil {
		t.Fatal(err)
	}
	if err := ns.linkUp(port); err != nil {
		t.Fatal(err)
	}
	if err := peer.linkUp(peerName); err != nil {
		t.Fatal(err)
	}
	for _, p := range peerAddrs {
		peer.AddAddr(t, peerName, p)
	}
}

// AddAddr adds address p to link in ns. IPv6 addresses are added with
// IFA_F_NODAD so they are usable at once (no duplicate-address-detection
// wait). The address goes away with the namespace.
func (ns *NS) AddAddr(t testing.TB, link string, p netip.Prefix) {
	t.Helper()
	if err := ns.addAddr(link, p); err != nil {
		t.Fatal(err)
	}
}

func (ns *NS) addAddr(link string, p netip.Prefix) error {
	h, err := ns.netlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("find link %s in %s: %w", link, ns.Name, err)
	}
	a := &netlink.Addr{IPNet: prefixNet(p)}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	if err := h.AddrAdd(l, a); err != nil {
		return fmt.Errorf("add %s to %s in %s: %w", p, link, ns.Name, err)
	}
	return nil
}

// AddRoute adds a route to dst via gateway gw in ns; an invalid dst (the
// zero netip.Prefix) means the default route of gw's family.
func (ns *NS) AddRoute(t testing.TB, dst netip.Prefix, gw netip.Addr) {
	t.Helper()
	h, err := ns.netlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !dst.IsValid() {
		dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	}
	r := &netlink.Route{Dst: prefixNet(dst), Gw: net.IP(gw.AsSlice())}
	if err := h.RouteAdd(r); err != nil {
		t.Fatalf("add route %s via %s in %s: %v", dst, gw, ns.Name, err)
	}
}

func prefixNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}
