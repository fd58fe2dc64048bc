package vmnet

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
)

// Lab is the standard director topology, every box a namespace of its own
// (the ipvs-vm.md lab, with the director moved out of the root namespace):
//
//	Client    eth0 198.51.100.2/24  2001:db8:100::2/64   default via Director
//	   | veth
//	Director  cli0 198.51.100.1/24  2001:db8:100::1/64
//	          vip0 (dummy) 203.0.113.10/32  2001:db8:203::10/128
//	          br0 (bridge) 192.0.2.1/24  2001:db8:2::1/64   IPv4 and IPv6 forwarding on
//	   | one veth per real: bridge port rsN
//	Reals[i]  eth0 192.0.2.(11+i)/24  2001:db8:2::(11+i)/64   default via br0's address
//
// All addresses are documentation ranges and exist only inside the lab's
// namespaces. Client, director and reals share the bridge segment, so NAT
// (masq) and, after adding the VIP to the reals' loopback, direct routing
// (gate) both work. Open the IPVS table of the director with
// Director.Do(func() error { k, err = ipvs.OpenNetlink(); return err }) or
// start a director process with Director.Start.
type Lab struct {
	Client, Director *NS
	Reals            []*NS
	// RealNames are "rs1", "rs2", ...: the body each real's HTTP server
	// answers with (when LabConfig.HTTPPort is set).
	RealNames []string

	ClientAddr, ClientAddr6     netip.Addr // client's address
	DirectorAddr, DirectorAddr6 netip.Addr // director, client side
	BridgeAddr, BridgeAddr6     netip.Addr // director, real side: the reals' gateway
	VIP, VIP6                   netip.Addr // on the director's vip0
	RealAddrs, RealAddrs6       []netip.Addr
}

// LabConfig sizes a Lab.
type LabConfig struct {
	// Reals is the number of real-server namespaces (at least 1).
	Reals int
	// HTTPPort, when non-zero, starts an HTTP server in every real, on all
	// its addresses (IPv4 and IPv6) at this port, answering its RealNames
	// entry.
	HTTPPort uint16
}

// NewLab builds the Lab topology; everything is removed in t.Cleanup.
func NewLab(t testing.TB, cfg LabConfig) *Lab {
	t.Helper()
	if cfg.Reals < 1 {
		t.Fatalf("vmnet.NewLab: want at least 1 real, got %d", cfg.Reals)
	}
	l := &Lab{
		Client:        NewNS(t, "client"),
		Director:      NewNS(t, "director"),
		ClientAddr:    netip.MustParseAddr("198.51.100.2"),
		ClientAddr6:   netip.MustParseAddr("2001:db8:100::2"),
		DirectorAddr:  netip.MustParseAddr("198.51.100.1"),
		DirectorAddr6: netip.MustParseAddr("2001:db8:100::1"),
		BridgeAddr:    netip.MustParseAddr("192.0.2.1"),
		BridgeAddr6:   netip.MustParseAddr("2001:db8:2::1"),
		VIP:           netip.MustParseAddr("203.0.113.10"),
		VIP6:          netip.MustParseAddr("2001:db8:203::10"),
	}
	d := l.Director
	Veth(t, l.Client, "eth0", netip.PrefixFrom(l.ClientAddr, 24), d, "cli0", netip.PrefixFrom(l.DirectorAddr, 24))
	l.Client.AddAddr(t, "eth0", netip.PrefixFrom(l.ClientAddr6, 64))
	d.AddAddr(t, "cli0", netip.PrefixFrom(l.DirectorAddr6, 64))
	l.Client.AddRoute(t, netip.Prefix{}, l.DirectorAddr)
	l.Client.AddRoute(t, netip.Prefix{}, l.DirectorAddr6)
	d.Dummy(t, "vip0", netip.PrefixFrom(l.VIP, 32), netip.PrefixFrom(l.VIP6, 128))
	d.Bridge(t, "br0", netip.PrefixFrom(l.BridgeAddr, 24), netip.PrefixFrom(l.BridgeAddr6, 64))
	for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv6.conf.all.forwarding", "1"}} {
		if err := d.Sysctl(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range cfg.Reals {
		name := fmt.Sprintf("rs%d", i+1)
		a4 := netip.AddrFrom4([4]byte{192, 0, 2, byte(11 + i)})
		a6 := l.BridgeAddr6.As16()
		a6[15] = byte(0x11 + i)
		rs := NewNS(t, name)
		d.VethToBridge(t, "br0", name, rs, "eth0", netip.PrefixFrom(a4, 24), netip.PrefixFrom(netip.AddrFrom16(a6), 64))
		rs.AddRoute(t, netip.Prefix{}, l.BridgeAddr)
		rs.AddRoute(t, netip.Prefix{}, l.BridgeAddr6)
		if cfg.HTTPPort != 0 {
			rs.ServeHTTP(t, netip.AddrPortFrom(netip.IPv6Unspecified(), cfg.HTTPPort), Text(name))
		}
		l.Reals = append(l.Reals, rs)
		l.RealNames = append(l.RealNames, name)
		l.RealAddrs = append(l.RealAddrs, a4)
		l.RealAddrs6 = append(l.RealAddrs6, netip.AddrFrom16(a6))
	}
	return l
}

// Tally makes n HTTP GETs of url from the client namespace, each on a new
// connection, and counts the answers by body. The first failed request
// stops it and is returned with the counts so far.
func (l *Lab) Tally(ctx context.Context, url string, n int) (map[string]int, error) {
	got := map[string]int{}
	for i := range n {
		body, err := l.Client.Get(ctx, url)
		if err != nil {
			return got, fmt.Errorf("request %d of %d: %w", i+1, n, err)
		}
		got[body]++
	}
	return got, nil
}
