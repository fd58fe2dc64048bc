package netlab

// This file touches the network: an AF_PACKET watcher of ARP frames.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
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
	watchARP(t, ns, link, ev, false)
}

// WatchARPPort is WatchARP for a bridge port: the bridge takes the frames
// a port receives before any protocol's socket sees them, so it listens
// to every frame (ETH_P_ALL, as tcpdump does: both directions) and keeps
// the ARP ones.
func WatchARPPort(t testing.TB, ns *NS, port string, ev *Events[ARPEvent]) {
	t.Helper()
	watchARP(t, ns, port, ev, true)
}

func watchARP(t testing.TB, ns *NS, link string, ev *Events[ARPEvent], all bool) {
	t.Helper()
	var c *packet.Conn
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", link, ns.Name, err)
		}
		if all {
			c, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: arpOnly})
		} else {
			c, err = packet.Listen(ifi, packet.Datagram, unix.ETH_P_ARP, nil)
		}
		if err != nil {
			return fmt.Errorf("listen for ARP on %s in %s: %w", link, ns.Name, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- readARP(c, ev, all) }()
	t.Cleanup(func() {
		c.Close()
		if err := <-done; !ClosedErr(err) {
			t.Errorf("ARP watch in %s: %v", ns.Name, err)
		}
	})
}

// arpOnly is a classic BPF filter that passes only Ethernet frames of
// EtherType ARP: "ldh [12]; jeq #0x806, keep, drop" (tcpdump -dd arp). The
// kernel then wakes the watcher for ARP frames only, not for every frame
// of the traffic crossing the port.
var arpOnly = []bpf.RawInstruction{
	{Op: 0x28, K: 12},                  // ldh [12]
	{Op: 0x15, Jt: 0, Jf: 1, K: 0x806}, // jeq #0x806
	{Op: 0x06, K: 0x40000},             // ret #262144
	{Op: 0x06, K: 0},                   // ret #0
}

// readARP reads frames until the socket is closed: ARP payloads, or
// whole Ethernet frames when raw (then only those of EtherType ARP, 0x0806,
// are kept).
func readARP(c *packet.Conn, ev *Events[ARPEvent], raw bool) error {
	buf := make([]byte, 1600)
	for {
		n, from, err := c.ReadFrom(buf)
		if errors.Is(err, unix.ENETDOWN) {
			// The link went down (a port of a powered-off box); the
			// socket stays bound and reads again once it is up.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		at := time.Now()
		payload, src := buf[:n], net.HardwareAddr(nil)
		if raw {
			if n < 14 || buf[12] != 0x08 || buf[13] != 0x06 {
				continue
			}
			payload, src = buf[14:n], net.HardwareAddr(slices.Clone(buf[6:12]))
		} else if a, ok := from.(*packet.Addr); ok {
			src = a.HardwareAddr
		}
		var p arp.Packet
		if err := p.UnmarshalBinary(payload); err != nil {
			continue // not Ethernet/IPv4 ARP
		}
		ev.Add(ARPEvent{At: at, From: src, Op: p.Operation, SenderHW: p.SenderHardwareAddr, SenderIP: p.SenderIP, TargetIP: p.TargetIP})
	}
}

// ClosedErr reports whether err is what a read on a socket closed by the
// watcher's cleanup returns.
func ClosedErr(err error) bool {
	return err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, unix.EBADF) ||
		strings.Contains(err.Error(), "closed") || strings.Contains(err.Error(), "bad file descriptor")
}
