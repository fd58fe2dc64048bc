package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Ping is checktype=ping, and the connect check of UDP virtuals
// (ldirectord check_ping, Net::Ping "icmp"): up to checkcount ICMP echo
// requests, each waiting checktimeout for its reply. IPv4 and IPv6. It
// uses an unprivileged ICMP socket when net.ipv4.ping_group_range allows
// one, else a raw socket (root).
type Ping struct{}

// Check pings t's real server.
func (Ping) Check(ctx context.Context, t Target) Result {
	start := time.Now()
	attempts := max(t.CheckCount, 1)
	var last string
	for i := 0; i < attempts && ctx.Err() == nil; i++ {
		r := run(ctx, t.Timeout, func(ctx context.Context) error { return pingOnce(ctx, t.Real.Addr()) })
		if r.Up {
			r.Duration = time.Since(start)
			return r
		}
		last = r.Err
	}
	if attempts > 1 {
		last = fmt.Sprintf("%s (%d attempts)", last, attempts)
	}
	if last == "" {
		last = "ping: " + netErr(ctx, ctx.Err()).Error()
	}
	return Down(last, start)
}

// pingOnce sends one echo request to addr and waits for its reply.
func pingOnce(ctx context.Context, addr netip.Addr) error {
	addr = addr.Unmap()
	pc, raw, err := listenICMP(addr.Is4())
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		pc.SetDeadline(dl)
	}
	var idSeq [4]byte
	rand.Read(idSeq[:])
	echo := &icmp.Echo{ID: int(binary.BigEndian.Uint16(idSeq[:2])), Seq: int(binary.BigEndian.Uint16(idSeq[2:])), Data: make([]byte, 56)}
	rand.Read(echo.Data)
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: echo}
	proto, reply := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
	if !addr.Is4() {
		msg.Type, proto, reply = ipv6.ICMPTypeEchoRequest, 58, ipv6.ICMPTypeEchoReply
	}
	b, err := msg.Marshal(nil)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	var dst net.Addr = &net.UDPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
	if raw {
		dst = &net.IPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
	}
	if _, err := pc.WriteTo(b, dst); err != nil {
		return fmt.Errorf("ping: %w", netErr(ctx, err))
	}
	buf := make([]byte, 1500)
	for {
		n, peer, err := pc.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("ping: no reply: %w", netErr(ctx, err))
		}
		from, _ := netip.ParseAddrPort(peer.String())
		if a, err := netip.ParseAddr(peer.String()); err == nil {
			from = netip.AddrPortFrom(a, 0)
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != reply || from.Addr().Unmap().WithZone("") != addr.WithZone("") {
			continue
		}
		got, ok := m.Body.(*icmp.Echo)
		// An unprivileged socket's ID is its port, set by the kernel.
		if ok && got.Seq == echo.Seq && (!raw || got.ID == echo.ID) && bytes.Equal(got.Data, echo.Data) {
			return nil
		}
	}
}

// listenICMP opens an ICMP socket: a datagram one if allowed, else raw.
func listenICMP(v4 bool) (pc *icmp.PacketConn, raw bool, err error) {
	dgram, rawNet, any := "udp4", "ip4:icmp", "0.0.0.0"
	if !v4 {
		dgram, rawNet, any = "udp6", "ip6:ipv6-icmp", "::"
	}
	if pc, err := icmp.ListenPacket(dgram, any); err == nil {
		return pc, false, nil
	}
	pc, err = icmp.ListenPacket(rawNet, any)
	if err != nil {
		return nil, false, fmt.Errorf("opening an ICMP socket: %w", unwrapOp(err))
	}
	return pc, true, nil
}
