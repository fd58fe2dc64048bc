package netlab

// This file touches the network: an AF_PACKET watcher of ARP frames.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// ARPEvent is one ARP frame seen by a watcher.
type ARPEvent struct {
	At       time.Time        // when the watcher received it
	From     net.HardwareAddr // Ethernet source
	Op       arp.Operation
	SenderHW net.HardwareAddr
	SenderIP netip.Addr
	TargetIP netip.Addr
}

// Gratuitous reports whether the frame announces ip: sender and target
// address are both ip (RFC 5227 announcement, request or reply).
func (e ARPEvent) Gratuitous(ip netip.Addr) bool { return e.SenderIP == ip && e.TargetIP == ip }

// String renders the event for logs.
func (e ARPEvent) String() string {
	return fmt.Sprintf("arp %v %s is-at %s (eth src %s) target %s @%s",
		e.Op, e.SenderIP, e.SenderHW, e.From, e.TargetIP, e.At.Format("15:04:05.000"))
}

// WatchARP records every ARP frame that crosses link in ns (received, or
// sent from ns) into ev until t's cleanup, from an AF_PACKET socket bound
// to ETH_P_ARP. It fails the test when the socket cannot be opened.
func WatchARP(t testing.TB, ns *NS, link string, ev *Events[ARPEvent]) {
	t.Helper()
	var c *packet.Conn
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", link, ns.Name, err)
		}
		c, err = packet.Listen(ifi, packet.Datagram, unix.ETH_P_ARP, nil)
		if err != nil {
			return fmt.Errorf("listen for ARP on %s in %s: %w", link, ns.Name, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- readARP(c, ev) }()
	t.Cleanup(func() {
		c.Close()
		if err := <-done; !ClosedErr(err) {
			t.Errorf("ARP watch in %s: %v", ns.Name, err)
		}
	})
}

func readARP(c *packet.Conn, ev *Events[ARPEvent]) error {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		at := time.Now()
		var p arp.Packet
		if err := p.UnmarshalBinary(buf[:n]); err != nil {
			continue // not Ethernet/IPv4 ARP
		}
		e := ARPEvent{At: at, Op: p.Operation, SenderHW: p.SenderHardwareAddr, SenderIP: p.SenderIP, TargetIP: p.TargetIP}
		if a, ok := from.(*packet.Addr); ok {
			e.From = a.HardwareAddr
		}
		ev.Add(e)
	}
}

// ClosedErr reports whether err is what a read on a socket closed by the
// watcher's cleanup returns.
func ClosedErr(err error) bool {
	return err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, unix.EBADF) ||
		strings.Contains(err.Error(), "closed") || strings.Contains(err.Error(), "bad file descriptor")
}
