package netlab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// handle opens a route netlink handle bound to ns; the caller closes it.
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

// AddAddr adds p to link name in ns. IPv6 addresses are added with
// IFA_F_NODAD, so they are usable at once (no duplicate address detection
// wait). The address goes away with the namespace.
func (ns *NS) AddAddr(name string, p netip.Prefix) error {
	return ns.withLink(name, func(h *netlink.Handle, l netlink.Link) error {
		a := &netlink.Addr{IPNet: IPNet(p)}
		if p.Addr().Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(l, a); err != nil {
			return fmt.Errorf("add %s to %s in %s: %w", p, name, ns.Name, err)
		}
		return nil
	})
}

// DelAddr removes p from link name in ns.
func (ns *NS) DelAddr(name string, p netip.Prefix) error {
	return ns.withLink(name, func(h *netlink.Handle, l netlink.Link) error {
		if err := h.AddrDel(l, &netlink.Addr{IPNet: IPNet(p)}); err != nil {
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
		if p, ok := PrefixOf(*a.IPNet); ok {
			m[idx[a.LinkIndex]] = append(m[idx[a.LinkIndex]], p)
		}
	}
	return m, nil
}

// AddBridge creates bridge name in ns, up, with addrs. STP stays off, so
// a port forwards as soon as it has carrier.
func (ns *NS) AddBridge(name string, addrs ...netip.Prefix) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	return ns.addLink(&netlink.Bridge{LinkAttrs: attrs}, addrs)
}

// AddDummy creates dummy interface name in ns (where a director keeps its
// VIPs), up, with addrs.
func (ns *NS) AddDummy(name string, addrs ...netip.Prefix) error {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	return ns.addLink(&netlink.Dummy{LinkAttrs: attrs}, addrs)
}

func (ns *NS) addLink(l netlink.Link, addrs []netip.Prefix) error {
	h, err := ns.handle()
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.LinkAdd(l); err != nil {
		return fmt.Errorf("add %s %s in %s: %w", l.Type(), l.Attrs().Name, ns.Name, err)
	}
	return ns.upWithAddrs(l.Attrs().Name, addrs)
}

// upWithAddrs sets link name up and adds the valid prefixes of addrs.
func (ns *NS) upWithAddrs(name string, addrs []netip.Prefix) error {
	if err := ns.SetLinkUp(name, true); err != nil {
		return err
	}
	for _, p := range addrs {
		if !p.IsValid() {
			continue
		}
		if err := ns.AddAddr(name, p); err != nil {
			return err
		}
	}
	return nil
}

// AddVeth connects ns and peer with a veth pair, name in ns and peerName
// in peer, both up; the valid prefixes of addrs and peerAddrs go on either
// end. The links go away with their namespaces.
func (ns *NS) AddVeth(name string, addrs []netip.Prefix, peer *NS, peerName string, peerAddrs []netip.Prefix) error {
	if err := ns.addVeth(name, peer, peerName, ""); err != nil {
		return err
	}
	if err := ns.upWithAddrs(name, addrs); err != nil {
		return err
	}
	return peer.upWithAddrs(peerName, peerAddrs)
}

// Plug connects peer to bridge (a bridge in ns made with AddBridge) with
// a veth pair: port on the bridge side in ns, peerName in peer with
// peerAddrs. Both ends end up up.
func (ns *NS) Plug(bridge, port string, peer *NS, peerName string, peerAddrs ...netip.Prefix) error {
	if err := ns.addVeth(port, peer, peerName, bridge); err != nil {
		return err
	}
	if err := ns.SetLinkUp(port, true); err != nil {
		return err
	}
	return peer.upWithAddrs(peerName, peerAddrs)
}

// addVeth creates veth name in ns with its peer peerName in peer; with a
// non-empty master the local end is enslaved to that bridge.
func (ns *NS) addVeth(name string, peer *NS, peerName, master string) error {
	h, err := ns.handle()
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

// AddRoute adds a route to dst via gateway gw in ns; an invalid dst (the
// zero netip.Prefix) means the default route of gw's family.
func (ns *NS) AddRoute(dst netip.Prefix, gw netip.Addr) error {
	h, err := ns.handle()
	if err != nil {
		return err
	}
	defer h.Close()
	if !dst.IsValid() {
		dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	}
	r := &netlink.Route{Dst: IPNet(dst), Gw: net.IP(gw.AsSlice())}
	if err := h.RouteAdd(r); err != nil {
		return fmt.Errorf("add route %s via %s in %s: %w", dst, gw, ns.Name, err)
	}
	return nil
}

// IPNet converts p for the netlink library.
func IPNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

// PrefixOf converts a netlink address back; IPv4-mapped addresses come
// back as IPv4. It reports false for an invalid IP.
func PrefixOf(n net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
