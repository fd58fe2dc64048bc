package heartbeat

// The real Pinger: ICMP echo over a raw IPv4 socket, as Heartbeat's ping
// and ping_group media send it (lib/plugins/HBcomm/ping.c, ping_group.c):
// one echo request per ping node address each keepalive, icmp_id the
// process id, the payload a signed heartbeat message; replies whose id is
// not ours are ignored.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// ICMPConfig configures the ICMP ping medium.
type ICMPConfig struct {
	// ID is the icmp_id of the echo requests; 0 takes the process id's
	// low 16 bits, as ping.c does.
	ID int
	// Netns, when positive, is the network namespace the socket is opened
	// in (tests); otherwise the process's.
	Netns  netns.NsHandle
	Logger *slog.Logger
}

// ICMP is the Pinger over a raw ICMP socket (root). Open it with OpenICMP;
// Close it when done.
type ICMP struct {
	conn *icmp.PacketConn
	id   int
	seq  int // owned by the caller of Ping (the loop goroutine)
	log  *slog.Logger
}

var _ Pinger = (*ICMP)(nil)

// OpenICMP opens the raw ICMP socket.
func OpenICMP(cfg ICMPConfig) (*ICMP, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	id := cfg.ID & 0xffff
	if id == 0 {
		id = os.Getpid() & 0xffff
	}
	p := &ICMP{id: id, log: log.With("component", "ping")}
	err := daemon.InNetns(cfg.Netns, func() error {
		c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		p.conn = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening the ICMP socket for ping nodes: %w", err)
	}
	return p, nil
}

// pingSendTimeout bounds one echo request's write; a full socket buffer
// drops it.
const pingSendTimeout = 100 * time.Millisecond

// Ping implements Pinger: one echo request to dst carrying payload.
func (p *ICMP) Ping(dst netip.Addr, payload []byte) error {
	p.seq = (p.seq + 1) & 0xffff
	m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: payload}}
	b, err := m.Marshal(nil)
	if err != nil {
		return fmt.Errorf("building echo request to %s: %w", dst, err)
	}
	p.conn.SetWriteDeadline(time.Now().Add(pingSendTimeout))
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return fmt.Errorf("sending echo request to %s: %w", dst, err)
	}
	return nil
}

// Receive implements Pinger: it delivers every echo reply whose icmp_id
// is ours until ctx ends.
func (p *ICMP) Receive(ctx context.Context, out chan<- Echo) error {
	stop := context.AfterFunc(ctx, func() { p.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		nb, from, err := p.conn.ReadFrom(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if readFailed(ctx, p.log, "receiving echo replies", err) {
				return nil
			}
			continue
		}
		e, ok := p.parse(buf[:nb], from)
		if !ok {
			continue
		}
		select {
		case out <- e:
		case <-ctx.Done():
			return nil
		}
	}
}

// parse keeps echo replies with our id.
func (p *ICMP) parse(b []byte, from net.Addr) (Echo, bool) {
	m, err := icmp.ParseMessage(1, b) // 1: ICMP for IPv4
	if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
		return Echo{}, false
	}
	body, ok := m.Body.(*icmp.Echo)
	if !ok || body.ID != p.id {
		return Echo{}, false
	}
	ipa, ok := from.(*net.IPAddr)
	if !ok {
		return Echo{}, false
	}
	addr, ok := netip.AddrFromSlice(ipa.IP)
	if !ok {
		return Echo{}, false
	}
	return Echo{From: addr.Unmap(), Payload: slices.Clone(body.Data), At: time.Now()}, true
}

// Close closes the socket.
func (p *ICMP) Close() error { return p.conn.Close() }
