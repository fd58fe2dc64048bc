package failover

import (
	"crypto/rand"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCaptureLoopback sends one UDP datagram to port 694 of a random
// loopback address and expects the capture on lo to return it, parsed,
// with a kernel timestamp between the send and the read; then Close ends
// a blocked Read.
func TestCaptureLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("AF_PACKET needs root (CAP_NET_RAW)")
	}
	c, err := ListenCapture("lo", unix.ETH_P_IP)
	if err != nil {
		t.Fatal(err)
	}
	var r [3]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	dst := netip.AddrFrom4([4]byte{127, r[0], r[1], max(r[2], 2)})
	conn, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, HeartbeatPort)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := time.Now()
	if _, err := conn.Write([]byte("###\n")); err != nil {
		t.Fatal(err)
	}
	got := make(chan Frame, 1)
	go func() {
		for {
			f, err := c.Read()
			if err != nil {
				close(got)
				return
			}
			if _, d, ok := ParseHeartbeat(f.Data, HeartbeatPort); ok && d == dst {
				got <- f
				for { // drain until Close
					if _, err := c.Read(); err != nil {
						close(got)
						return
					}
				}
			}
		}
	}()
	var f Frame
	select {
	case f = <-got:
	case <-time.After(5 * time.Second):
		c.Close()
		t.Fatal("the datagram to port 694 never showed in the capture on lo")
	}
	after := time.Now()
	if f.At.Before(before.Round(0)) || f.At.After(after.Round(0)) {
		t.Errorf("timestamp %v not within send %v .. read %v", f.At, before, after)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, open := <-got:
		if open {
			t.Error("a second matching frame arrived")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5 s after Close")
	}
	if _, err := c.Read(); err == nil {
		t.Error("Read after Close returned no error")
	}
}
