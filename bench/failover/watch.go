//go:build bench

package failover

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
	"github.com/ultramonkey/ultramonkey/test/netlab"
	"golang.org/x/sys/unix"
)

// arpSeen is one ARP packet on the LAN bridge.
type arpSeen struct {
	At time.Time
	ARP
}

// hbSeen is one heartbeat datagram a node sent, seen on its switch port.
type hbSeen struct {
	At   time.Time
	Port string // switch port ("node1-eth0")
	Src  netip.Addr
}

// watch records, in the lab's switch namespace, every ARP packet reaching
// the LAN bridge br0 (what a client on the LAN receives: a gratuitous ARP
// is broadcast, so the bridge delivers it locally too; heartbeat-wire.md
// §1 timed GARPs with tcpdump on the bridge as well) and every heartbeat
// datagram each node sends, on the switch side of its ports.
type watch struct {
	arps *netlab.Events[arpSeen]
	hbs  *netlab.Events[hbSeen]
}

// startWatch opens the captures and closes them in t.Cleanup.
func startWatch(t testing.TB, l *interop.Lab) *watch {
	t.Helper()
	w := &watch{arps: netlab.NewEvents[arpSeen](), hbs: netlab.NewEvents[hbSeen]()}
	capture(t, l.Switch, "br0", unix.ETH_P_ARP, func(f Frame) {
		if a, ok := ParseARP(f.Data); ok {
			w.arps.Add(arpSeen{At: f.At, ARP: a})
		}
	})
	for _, n := range l.Nodes {
		for _, link := range []string{interop.LANLink, interop.HBLink} {
			port := netlab.Port(n.Name, link)
			capture(t, l.Switch, port, unix.ETH_P_IP, func(f Frame) {
				if f.Outgoing {
					return // towards the node
				}
				if src, _, ok := ParseHeartbeat(f.Data, HeartbeatPort); ok {
					w.hbs.Add(hbSeen{At: f.At, Port: port, Src: src})
				}
			})
		}
	}
	return w
}

// capture runs one ListenCapture in ns, feeding handle until t's cleanup.
func capture(t testing.TB, ns *netlab.NS, ifname string, proto uint16, handle func(Frame)) {
	t.Helper()
	var c *Capture
	if err := ns.Do(func() (err error) { c, err = ListenCapture(ifname, proto); return err }); err != nil {
		t.Fatalf("%s: %v", ns.Name, err)
	}
	done := make(chan error, 1)
	go func() {
		for {
			f, err := c.Read()
			if err != nil {
				done <- err
				return
			}
			handle(f)
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
}

// lastFrom is the time of the last heartbeat datagram from any of srcs
// (zero if none).
func (w *watch) lastFrom(srcs ...netip.Addr) time.Time {
	var last time.Time
	for _, h := range w.hbs.Since(0) {
		for _, s := range srcs {
			if h.Src == s && h.At.After(last) {
				last = h.At
			}
		}
	}
	return last
}

// gaps are the Intervals between datagrams from src on port within
// [from, to].
func (w *watch) gaps(port string, src netip.Addr, from, to time.Time) []time.Duration {
	var at []time.Time
	for _, h := range w.hbs.Since(0) {
		if h.Port == port && h.Src == src {
			at = append(at, h.At)
		}
	}
	return Intervals(at, from, to)
}
