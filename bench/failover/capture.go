package failover

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Frame is one packet an AF_PACKET socket received, without its link
// header.
type Frame struct {
	At       time.Time        // kernel receive time (SO_TIMESTAMPNS)
	Src      net.HardwareAddr // link-layer source
	Outgoing bool             // sent by this host's interface (PACKET_OUTGOING)
	Data     []byte
}

// Capture is an AF_PACKET SOCK_DGRAM socket on one interface and one
// EtherType, with kernel receive timestamps.
//
// Concurrency: Read is called from one goroutine; Close may be called
// from any goroutine and makes a blocked Read return.
type Capture struct {
	f     *os.File
	proto uint16 // EtherType, host order
}

// ListenCapture opens a capture of EtherType proto (unix.ETH_P_ARP,
// unix.ETH_P_IP) on the interface named ifname of the calling thread's
// network namespace (call it inside NS.Do for another namespace).
//
// The socket is bound to ETH_P_ALL and filters proto itself: on a bridge
// port the bridge's rx handler consumes every frame before the kernel
// hands it to protocol-specific packet sockets, and only ETH_P_ALL taps
// (__netif_receive_skb_core's ptype_all) see it.
func ListenCapture(ifname string, proto uint16) (*Capture, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", ifname, err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("capture on %s: socket: %w", ifname, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture on %s: SO_TIMESTAMPNS: %w", ifname, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture on %s: bind: %w", ifname, err)
	}
	// A non-blocking descriptor joins the runtime poller, so Close
	// unblocks a pending Read.
	return &Capture{f: os.NewFile(uintptr(fd), "packet:"+ifname), proto: proto}, nil
}

// Read waits for the next frame of the capture's EtherType. After Close
// it returns an error.
func (c *Capture) Read() (Frame, error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return Frame{}, fmt.Errorf("read capture: %w", err)
	}
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err = rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if err != nil {
			return Frame{}, fmt.Errorf("read capture: %w", err)
		}
		if rerr != nil {
			return Frame{}, fmt.Errorf("read capture: %w", rerr)
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Protocol != htons(c.proto) { // sll_protocol is in network order
			continue
		}
		return Frame{
			At:       stamp(oob[:oobn]),
			Src:      net.HardwareAddr(append([]byte(nil), ll.Addr[:ll.Halen]...)),
			Outgoing: ll.Pkttype == unix.PACKET_OUTGOING,
			Data:     append([]byte(nil), buf[:n]...),
		}, nil
	}
}

// stamp is the SCM_TIMESTAMPNS in oob, or now when the kernel sent none.
func stamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
				// struct timespec on 64-bit Linux: two native int64.
				sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
				nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
				return time.Unix(sec, nsec)
			}
		}
	}
	return time.Now()
}

// Close closes the socket.
func (c *Capture) Close() error { return c.f.Close() }

func htons(v uint16) uint16 { return v<<8 | v>>8 }
