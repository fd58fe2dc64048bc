package lab

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// HeartbeatPort is the UDP port of the lab's heartbeats (ha.cf udpport).
const HeartbeatPort = 694

// WireEvent is one heartbeat datagram seen on a node's interface, in
// either direction.
type WireEvent struct {
	At       time.Time // when the watcher received it
	Node     string    // the node whose interface saw it
	Link     string    // that interface
	Src, Dst netip.Addr
}

// String renders the event for logs.
func (e WireEvent) String() string {
	return fmt.Sprintf("%s %s: udp %s -> %s:%d @%s", e.Node, e.Link, e.Src, e.Dst, HeartbeatPort, e.At.Format("15:04:05.000"))
}

// watchWire records every IPv4 UDP datagram to HeartbeatPort that link in
// node's netns sends or receives, from an AF_PACKET socket bound to
// ETH_P_IP, until t's cleanup.
func watchWire(t testing.TB, n *Node, link string, ev *Events[WireEvent]) {
	t.Helper()
	var c *packet.Conn
	err := n.NS.Do(func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", link, n.NS.Name, err)
		}
		c, err = packet.Listen(ifi, packet.Datagram, unix.ETH_P_IP, nil)
		if err != nil {
			return fmt.Errorf("listen for IPv4 on %s in %s: %w", link, n.NS.Name, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- readWire(c, n.Name, link, ev) }()
	t.Cleanup(func() {
		c.Close()
		if err := <-done; !netlab.ClosedErr(err) {
			t.Errorf("heartbeat watch on %s %s: %v", n.Name, link, err)
		}
	})
}

func readWire(c *packet.Conn, node, link string, ev *Events[WireEvent]) error {
	buf := make([]byte, 128) // headers only; the rest of the datagram is cut
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		at := time.Now()
		if src, dst, ok := heartbeatUDP(buf[:n]); ok {
			ev.Add(WireEvent{At: at, Node: node, Link: link, Src: src, Dst: dst})
		}
	}
}

// heartbeatUDP parses an IPv4 header and reports the addresses of a UDP
// datagram to HeartbeatPort (first fragment only).
func heartbeatUDP(b []byte) (src, dst netip.Addr, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != unix.IPPROTO_UDP {
		return src, dst, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+4 || binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return src, dst, false
	}
	if binary.BigEndian.Uint16(b[ihl+2:ihl+4]) != HeartbeatPort {
		return src, dst, false
	}
	return netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20])), true
}
