package netlab

import (
	"net/netip"
	"testing"
	"time"
)

// The heartbeat pair's interface names (the same in every node).
const (
	LANLink = "eth0" // link 0: the LAN, carries the VIP
	HBLink  = "eth1" // link 1: a second heartbeat-only link
)

// The heartbeat pair's names and documentation-range addresses (RFC 5737);
// they exist only inside a lab's own namespaces.
var (
	// NodeNames are the node names, also their hostnames (uname -n).
	// node1 is the preferred node of the VIP group.
	NodeNames = [2]string{"node1", "node2"}
	// VIP is the virtual address of the pair's one resource group.
	VIP = netip.MustParsePrefix("192.0.2.100/24")
	// LANBroadcast is the LAN's broadcast address.
	LANBroadcast = netip.MustParseAddr("192.0.2.255")
	// LANAddrs are the nodes' eth0 addresses, HBAddrs their eth1 ones.
	LANAddrs = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")}
	HBAddrs  = [2]netip.Prefix{netip.MustParsePrefix("198.51.100.1/24"), netip.MustParsePrefix("198.51.100.2/24")}
	// Links are the interface names by link number; Bridges[k] is the
	// switch's bridge for Links[k].
	Links   = [2]string{LANLink, HBLink}
	Bridges = [2]string{"br0", "br1"}
)

// Pair is the wiring of a two-node heartbeat cluster, built by NewPair
// and AddNodes:
//
//	switch netns: br0 (link 0, LAN)         br1 (link 1, heartbeat only)
//	                |node1-eth0 |node2-eth0    |node1-eth1 |node2-eth1
//	node1 netns  eth0 192.0.2.1/24          eth1 198.51.100.1/24
//	node2 netns  eth0 192.0.2.2/24          eth1 198.51.100.2/24
//
// More namespaces (a client) can be plugged into the bridges with Plug.
type Pair struct {
	Switch *NS
	Nodes  [2]*NS // by NodeNames index; nil before AddNodes
	newNS  func(t testing.TB, label string) *NS
}

// NewPair creates the switch namespace (label "sw") with its bridges. The
// namespaces come from newNS, so each lab keeps its own namespace names.
// Plug what must be wired before the nodes (test/lab's client), then call
// AddNodes. Everything goes away in t.Cleanup.
func NewPair(t testing.TB, newNS func(t testing.TB, label string) *NS) *Pair {
	t.Helper()
	p := &Pair{Switch: newNS(t, "sw"), newNS: newNS}
	for _, br := range Bridges {
		if err := p.Switch.AddBridge(br); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// AddNodes creates the node namespaces (labels: the node names) and plugs
// each into both bridges with its addresses.
func (p *Pair) AddNodes(t testing.TB) {
	t.Helper()
	for i, name := range NodeNames {
		p.Nodes[i] = p.newNS(t, name)
		for k, addr := range []netip.Prefix{LANAddrs[i], HBAddrs[i]} {
			if err := p.Switch.Plug(Bridges[k], Port(name, Links[k]), p.Nodes[i], Links[k], addr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Port is the switch-side name of a node's link ("node2-eth1").
func Port(node, link string) string { return node + "-" + link }

// Cut takes node's switch port for link down: the node's interface loses
// carrier, as when a cable is pulled. It returns the moment just before,
// once the kernel has done it.
func (p *Pair) Cut(t testing.TB, node, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := p.Switch.SetLinkUp(Port(node, link), false); err != nil {
		t.Fatal(err)
	}
	return at
}

// Heal undoes Cut.
func (p *Pair) Heal(t testing.TB, node, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := p.Switch.SetLinkUp(Port(node, link), true); err != nil {
		t.Fatal(err)
	}
	return at
}
