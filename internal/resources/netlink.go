package resources

// The real Addrs, over rtnetlink with vishvananda/netlink (golibs.md §4:
// broadcast as a 4-byte IP, dumps retried on ErrDumpInterrupted, labels as
// given).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dumpTries bounds the retries of a dump interrupted by a concurrent
// change; after the last one the partial result is used.
const dumpTries = 8

// Netlink is the Addrs of one network namespace.
//
// Concurrency: safe for concurrent use (a netlink.Handle serialises its
// requests per socket).
type Netlink struct {
	h   *netlink.Handle
	log *slog.Logger
}

var _ Addrs = (*Netlink)(nil)

// NetlinkConfig configures OpenNetlink.
type NetlinkConfig struct {
	// Netns, when positive, is the namespace to manage; otherwise the
	// calling thread's.
	Netns  netns.NsHandle
	Logger *slog.Logger
}

// OpenNetlink opens a rtnetlink handle. Close releases it.
func OpenNetlink(cfg NetlinkConfig) (*Netlink, error) {
	var h *netlink.Handle
	var err error
	if cfg.Netns > 0 {
		h, err = netlink.NewHandleAt(cfg.Netns, unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	if err != nil {
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Netlink{h: h, log: log.With("component", "resources")}, nil
}

// Close releases the netlink sockets.
func (n *Netlink) Close() error {
	n.h.Close()
	return nil
}

// retryDump runs a dump until it is not interrupted, at most dumpTries
// times, then accepts the partial result with a warning.
func retryDump[T any](n *Netlink, what string, dump func() (T, error)) (T, error) {
	var v T
	var err error
	for range dumpTries {
		v, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	n.log.Warn("netlink dump kept being interrupted; using partial result", "dump", what, "tries", dumpTries)
	return v, nil
}

func (n *Netlink) linkNames() (map[int]string, error) {
	links, err := retryDump(n, "links", n.h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return names, nil
}

// List returns the IPv4 addresses of every link. A label equal to the link
// name (the kernel's default) is reported as "".
func (n *Netlink) List(ctx context.Context) ([]Addr, error) {
	names, err := n.linkNames()
	if err != nil {
		return nil, err
	}
	list, err := retryDump(n, "addresses", func() ([]netlink.Addr, error) { return n.h.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	out := make([]Addr, 0, len(list))
	for _, a := range list {
		ip, ok := netip.AddrFromSlice(a.IP.To4())
		if !ok {
			continue
		}
		bits, _ := a.Mask.Size()
		x := Addr{Prefix: netip.PrefixFrom(ip, bits), Iface: names[a.LinkIndex], Label: a.Label}
		if x.Label == x.Iface {
			x.Label = ""
		}
		if b, ok := netip.AddrFromSlice(a.Broadcast.To4()); ok && !b.IsUnspecified() {
			x.Broadcast = b
		}
		out = append(out, x)
	}
	return out, nil
}

func (n *Netlink) nlAddr(a Addr) (netlink.Link, *netlink.Addr, error) {
	if !a.Prefix.Addr().Is4() {
		return nil, nil, fmt.Errorf("%s is not an IPv4 prefix", a.Prefix)
	}
	link, err := n.h.LinkByName(a.Iface)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%w: %s", ErrNoLink, a.Iface)
		}
		return nil, nil, fmt.Errorf("looking up link %s: %w", a.Iface, err)
	}
	ip := a.Prefix.Addr().As4()
	na := &netlink.Addr{
		IPNet: &net.IPNet{IP: net.IP(ip[:]), Mask: net.CIDRMask(a.Prefix.Bits(), 32)},
		Label: a.Label,
		// No broadcast must be said with 0.0.0.0, or AddrAdd computes one.
		Broadcast: net.IPv4zero.To4(),
	}
	if a.Broadcast.IsValid() {
		b := a.Broadcast.As4()
		na.Broadcast = net.IP(b[:]) // 4 bytes: a 16-byte IP is read as 0.0.0.0
	}
	return link, na, nil
}

// Add adds a; ErrAddrExists when it is already there.
func (n *Netlink) Add(ctx context.Context, a Addr) error {
	link, na, err := n.nlAddr(a)
	if err != nil {
		return fmt.Errorf("adding %s: %w", a.Prefix, err)
	}
	if err := n.h.AddrAdd(link, na); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("adding %s on %s: %w", a.Prefix, a.Iface, ErrAddrExists)
		}
		return fmt.Errorf("adding %s on %s: %w", a.Prefix, a.Iface, err)
	}
	return nil
}

// Del deletes a, matched by prefix and, when a.Label is set, label;
// ErrAddrNotFound when it is not there.
func (n *Netlink) Del(ctx context.Context, a Addr) error {
	link, na, err := n.nlAddr(a)
	if err != nil {
		return fmt.Errorf("deleting %s: %w", a.Prefix, err)
	}
	na.Broadcast = nil
	if err := n.h.AddrDel(link, na); err != nil {
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("deleting %s from %s: %w", a.Prefix, a.Iface, ErrAddrNotFound)
		}
		return fmt.Errorf("deleting %s from %s: %w", a.Prefix, a.Iface, err)
	}
	return nil
}

// Routes returns the main table's IPv4 routes of scope link with a
// destination: the connected networks findif chooses from.
func (n *Netlink) Routes(ctx context.Context) ([]Route, error) {
	names, err := n.linkNames()
	if err != nil {
		return nil, err
	}
	rs, err := retryDump(n, "routes", func() ([]netlink.Route, error) {
		return n.h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	var out []Route
	for _, r := range rs {
		if r.Scope != netlink.SCOPE_LINK || r.Dst == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(r.Dst.IP.To4())
		if !ok {
			continue
		}
		bits, _ := r.Dst.Mask.Size()
		out = append(out, Route{Dst: netip.PrefixFrom(ip, bits), Iface: names[r.LinkIndex]})
	}
	return out, nil
}
