package heartbeat

// The real Transport: UDP sockets for the ucast, bcast and mcast media of
// ha.cf, as Heartbeat's HBcomm plugins open them (lib/plugins/HBcomm/
// ucast.c, bcast.c, mcast.c): every socket is bound to its interface with
// SO_BINDTODEVICE; ucast and bcast share one socket per interface and port
// (SO_BROADCAST on), mcast has its own, joined to the group on the
// interface with the configured TTL and loop flag.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// UDPConfig configures the UDP transport: the media of ha.cf.
type UDPConfig struct {
	Ucast []hacf.Ucast
	Bcast []hacf.Bcast
	Mcast []hacf.Mcast
	// Netns, when positive, is the network namespace the sockets are opened
	// in (tests); otherwise the process's.
	Netns  netns.NsHandle
	Logger *slog.Logger
}

// udpSock is one socket and the destinations sent through it.
type udpSock struct {
	link string
	conn *net.UDPConn
	raw  syscall.RawConn // conn's, for sendNow
	dsts []netip.AddrPort
	kind string // "ucast/bcast" or "mcast"
}

// UDP is the Transport over UDP sockets. Open it with OpenUDP; Close it
// when done.
type UDP struct {
	socks []*udpSock
	links []string
	first map[string]int // link -> first ha.cf line naming it
	log   *slog.Logger
}

var _ Transport = (*UDP)(nil)

// OpenUDP opens one socket per interface and port for the ucast and bcast
// media and one per mcast medium. A ucast line whose peer is an address of
// this host is skipped, so both nodes can share one ha.cf. Errors name the
// ha.cf line of the medium.
func OpenUDP(ctx context.Context, cfg UDPConfig) (*UDP, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	u := &UDP{log: log.With("component", "udp"), first: map[string]int{}}
	err := daemon.InNetns(cfg.Netns, func() error { return u.open(ctx, cfg) })
	if err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

func (u *UDP) open(ctx context.Context, cfg UDPConfig) error {
	local, err := localAddrs()
	if err != nil {
		return fmt.Errorf("opening heartbeat media: %w", err)
	}
	type key struct {
		iface string
		port  uint16
	}
	shared := map[key]*udpSock{}
	get := func(iface string, port uint16, line int) (*udpSock, error) {
		if s, ok := shared[key{iface, port}]; ok {
			return s, nil
		}
		conn, err := listenUDP(ctx, iface, netip.AddrPortFrom(netip.IPv4Unspecified(), port), true)
		if err != nil {
			return nil, fmt.Errorf("ha.cf:%d: opening udp port %d on %s: %w", line, port, iface, err)
		}
		s := &udpSock{link: iface, conn: conn, kind: "ucast/bcast"}
		shared[key{iface, port}] = s
		u.add(s, line)
		return s, nil
	}
	for _, m := range cfg.Ucast {
		addr, err := resolvePeer(ctx, m)
		if err != nil {
			return err
		}
		if local[addr] {
			u.log.Debug("ucast to a local address ignored", "iface", m.Iface, "peer", m.Peer)
			continue
		}
		s, err := get(m.Iface, m.Port, m.Line)
		if err != nil {
			return err
		}
		s.dsts = append(s.dsts, netip.AddrPortFrom(addr, m.Port))
		u.log.Info(fmt.Sprintf(MsgUcastStarted, m.Port, m.Iface, addr))
	}
	for _, m := range cfg.Bcast {
		brd, err := broadcastAddr(m.Iface)
		if err != nil {
			return fmt.Errorf("ha.cf:%d: bcast %s: %w", m.Line, m.Iface, err)
		}
		s, err := get(m.Iface, m.Port, m.Line)
		if err != nil {
			return err
		}
		s.dsts = append(s.dsts, netip.AddrPortFrom(brd, m.Port))
		u.log.Info(fmt.Sprintf(MsgBcastStarted, m.Port, m.Iface))
	}
	for _, m := range cfg.Mcast {
		s, err := openMcast(ctx, m)
		if err != nil {
			return err
		}
		u.add(s, m.Line)
		u.log.Info(fmt.Sprintf(MsgMcastStarted,
			m.Group, m.Port, m.Iface, m.TTL, m.Loop))
	}
	if len(u.links) == 0 {
		return errors.New("opening heartbeat media: no medium left (every ucast peer is a local address?)")
	}
	slices.SortStableFunc(u.links, func(a, b string) int { return u.first[a] - u.first[b] })
	return nil
}

func (u *UDP) add(s *udpSock, line int) {
	if s.raw == nil {
		s.raw, _ = s.conn.SyscallConn() // fails only for a nil conn
	}
	u.socks = append(u.socks, s)
	if f, ok := u.first[s.link]; !ok || line < f {
		u.first[s.link] = line
	}
	if !slices.Contains(u.links, s.link) {
		u.links = append(u.links, s.link)
	}
}

func openMcast(ctx context.Context, m hacf.Mcast) (*udpSock, error) {
	fail := func(err error) (*udpSock, error) {
		return nil, fmt.Errorf("ha.cf:%d: mcast %s %s: %w", m.Line, m.Iface, m.Group, err)
	}
	ifi, err := net.InterfaceByName(m.Iface)
	if err != nil {
		return fail(err)
	}
	conn, err := listenUDP(ctx, m.Iface, netip.AddrPortFrom(m.Group, m.Port), false)
	if err != nil {
		return fail(err)
	}
	pc := ipv4.NewPacketConn(conn)
	err = errors.Join(pc.JoinGroup(ifi, &net.UDPAddr{IP: m.Group.AsSlice()}), pc.SetMulticastInterface(ifi),
		pc.SetMulticastTTL(int(m.TTL)), pc.SetMulticastLoopback(m.Loop))
	if err != nil {
		conn.Close()
		return fail(err)
	}
	return &udpSock{link: m.Iface, conn: conn, dsts: []netip.AddrPort{netip.AddrPortFrom(m.Group, m.Port)}, kind: "mcast"}, nil
}

// listenUDP binds addr on iface only, with SO_REUSEADDR (several media and
// a restarting hbd share ports) and optionally SO_BROADCAST.
func listenUDP(ctx context.Context, iface string, addr netip.AddrPort, broadcast bool) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, iface)
			if serr != nil {
				serr = fmt.Errorf("SO_BINDTODEVICE %s: %w", iface, serr)
				return
			}
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if serr == nil && broadcast {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
			}
		})
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", addr.String())
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

// resolvePeer returns a ucast peer's IPv4 address.
func resolvePeer(ctx context.Context, m hacf.Ucast) (netip.Addr, error) {
	if m.Addr.IsValid() {
		return m.Addr, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", m.Peer)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("ha.cf:%d: ucast %s %s: cannot resolve the peer: %v", m.Line, m.Iface, m.Peer, err)
	}
	return addrs[0].Unmap(), nil
}

// localAddrs returns every address of this host (of the namespace).
func localAddrs() (map[netip.Addr]bool, error) {
	list, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("listing local addresses: %w", err)
	}
	out := map[netip.Addr]bool{}
	for _, a := range list {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out, nil
}

// broadcastAddr is the directed broadcast address of the interface's first
// IPv4 address, or 255.255.255.255 when it has none (bcast.c uses the
// interface's broadcast address).
func broadcastAddr(iface string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}, err
	}
	list, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range list {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil {
			continue
		}
		ip4, mask := n.IP.To4(), n.Mask
		if len(mask) == 16 {
			mask = mask[12:]
		}
		var b [4]byte
		for i := range b {
			b[i] = ip4[i] | ^mask[i]
		}
		return netip.AddrFrom4(b), nil
	}
	return netip.AddrFrom4([4]byte{255, 255, 255, 255}), nil
}

// Links implements Transport.
func (u *UDP) Links() []string { return slices.Clone(u.links) }

// Send implements Transport: buf goes to every destination of every socket
// of link.
func (u *UDP) Send(link string, buf []byte) error {
	var errs []error
	for _, s := range u.socks {
		if s.link != link {
			continue
		}
		for _, d := range s.dsts {
			if err := sendNow(s.raw, buf, d); err != nil {
				errs = append(errs, fmt.Errorf("sending to %s on %s: %w", d, link, err))
			}
		}
	}
	return errors.Join(errs...)
}

// sendNow writes one datagram without waiting: a full socket buffer drops
// it (EAGAIN), as the network drops a heartbeat, instead of blocking the
// engine. Going past net.UDPConn's write also spares a write deadline,
// which is a runtime timer armed per datagram and, at a 10 ms keepalive,
// a measurable share of hbd's idle CPU (issue 14).
func sendNow(rc syscall.RawConn, buf []byte, dst netip.AddrPort) error {
	sa := &unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
	var serr error
	err := rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), buf, unix.MSG_DONTWAIT, sa)
		return true // never wait for the socket to become writable
	})
	return errors.Join(err, serr)
}

// Receive implements Transport: one reader per socket.
func (u *UDP) Receive(ctx context.Context, out chan<- Packet) error {
	var wg sync.WaitGroup
	for _, s := range u.socks {
		stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
		wg.Go(func() { u.read(ctx, s, out) })
	}
	wg.Wait()
	return nil
}

func (u *UDP) read(ctx context.Context, s *udpSock, out chan<- Packet) {
	buf := make([]byte, maxDatagram)
	for {
		nb, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if readFailed(ctx, u.log, "receiving heartbeat", err, "link", s.link) {
				return
			}
			continue
		}
		p := Packet{Link: s.link, From: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()),
			Buf: slices.Clone(buf[:nb]), At: time.Now()}
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
	}
}

// readFailed handles a failed socket read: it reports whether the reader
// must stop (ctx ended or the socket is closed); otherwise it logs the
// error and waits a moment, so that a persistent error does not spin.
func readFailed(ctx context.Context, log *slog.Logger, what string, err error, attrs ...any) bool {
	if errors.Is(err, net.ErrClosed) {
		return true
	}
	log.Warn(what, append(attrs, "err", err)...)
	select {
	case <-ctx.Done():
		return true
	case <-time.After(100 * time.Millisecond):
		return false
	}
}

// Close closes every socket.
func (u *UDP) Close() error {
	var errs []error
	for _, s := range u.socks {
		errs = append(errs, s.conn.Close())
	}
	return errors.Join(errs...)
}
