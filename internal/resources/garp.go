package resources

// Gratuitous ARP: frames built with mdlayher/arp, written to a send-only
// AF_PACKET socket from mdlayher/packet (golibs.md §3: arp.Client cannot
// send from the VIP, and an ETH_P_ARP socket that is never read queues
// every ARP frame of the link).

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netns"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// Burst is how many gratuitous ARP rounds to send and how far apart. Each
// round is one request and one reply.
type Burst struct {
	Count    int
	Interval time.Duration
}

// Heartbeat's bursts: resource-agents IPaddr defaults ARP_REPEAT=10 and
// ARP_INTERVAL_MS=500 (the lab saw 10 request+reply pairs 500 ms apart);
// IPaddr2 defaults arp_count=5, arp_interval=200 ms.
var (
	IPaddrBurst  = Burst{Count: 10, Interval: 500 * time.Millisecond}
	IPaddr2Burst = Burst{Count: 5, Interval: 200 * time.Millisecond}
)

// Announcer announces that this host now holds ip on iface.
//
// Concurrency: safe for concurrent use; Announce blocks until the burst is
// sent or ctx ends, and returns ctx.Err() in the latter case.
type Announcer interface {
	Announce(ctx context.Context, iface string, ip netip.Addr, b Burst) error
}

// ARPConfig configures ARP.
type ARPConfig struct {
	// Netns, when positive, is the network namespace whose interfaces ARP
	// sends on; otherwise the calling thread's (the process's) namespace.
	Netns netns.NsHandle
}

// ARP is the real Announcer: for each round it sends, broadcast to
// ff:ff:ff:ff:ff:ff from the interface's MAC, an ARP request
// (op 1, sender = target = ip, target MAC 00:00:00:00:00:00, the RFC 5227
// announcement) and an ARP reply (op 2, sender = target = ip, target MAC =
// our MAC). It needs CAP_NET_RAW.
type ARP struct {
	cfg ARPConfig
}

var _ Announcer = (*ARP)(nil)

// NewARP returns an ARP announcer. It opens nothing until Announce.
func NewARP(cfg ARPConfig) *ARP { return &ARP{cfg: cfg} }

// Announce sends b.Count rounds, b.Interval apart, on iface. The socket is
// opened for the burst and closed after it.
func (a *ARP) Announce(ctx context.Context, iface string, ip netip.Addr, b Burst) error {
	var conn *packet.Conn
	var mac net.HardwareAddr
	err := daemon.InNetns(a.cfg.Netns, func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return fmt.Errorf("looking up interface %s: %w", iface, err)
		}
		mac = ifi.HardwareAddr
		conn, err = packet.Listen(ifi, packet.Raw, 0, nil) // protocol 0: send only
		if err != nil {
			return fmt.Errorf("opening packet socket on %s: %w", iface, err)
		}
		return nil
	})
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return fmt.Errorf("announcing %s: %w", ip, err)
	}
	defer conn.Close()
	frames, err := GARPFrames(mac, ip)
	if err != nil {
		return fmt.Errorf("announcing %s on %s: %w", ip, iface, err)
	}
	dst := &packet.Addr{HardwareAddr: broadcastMAC}
	for i := range b.Count {
		if i > 0 && !sleepCtx(ctx, b.Interval) {
			return ctx.Err()
		}
		for _, f := range frames {
			if _, err := conn.WriteTo(f, dst); err != nil {
				return fmt.Errorf("announcing %s on %s: sending: %w", ip, iface, err)
			}
		}
	}
	return ctx.Err()
}

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// etherTypeARP is the Ethernet type of ARP (ETH_P_ARP).
const etherTypeARP = 0x0806

// GARPFrames returns the two Ethernet frames of one gratuitous ARP round
// for ip from mac: the request, then the reply. It is pure.
func GARPFrames(mac net.HardwareAddr, ip netip.Addr) ([2][]byte, error) {
	var out [2][]byte
	req, err := arp.NewPacket(arp.OperationRequest, mac, ip, net.HardwareAddr{0, 0, 0, 0, 0, 0}, ip)
	if err != nil {
		return out, fmt.Errorf("building ARP request: %w", err)
	}
	rep, err := arp.NewPacket(arp.OperationReply, mac, ip, mac, ip)
	if err != nil {
		return out, fmt.Errorf("building ARP reply: %w", err)
	}
	for i, p := range []*arp.Packet{req, rep} {
		body, _ := p.MarshalBinary() // never fails
		f := make([]byte, 0, 14+len(body))
		f = append(f, broadcastMAC...)
		f = append(f, mac...)
		f = append(f, etherTypeARP>>8, etherTypeARP&0xff)
		out[i] = append(f, body...)
	}
	return out, nil
}
