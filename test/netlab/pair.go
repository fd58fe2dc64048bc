package netlab

import (
	"net/netip"
	"path/filepath"
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
// A lab embeds a PairOf its node type rather than a Pair.
type Pair struct {
	Switch *NS
	NodeNS [2]*NS // the nodes' namespaces by NodeNames index; nil before AddNodes
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
		p.NodeNS[i] = p.newNS(t, name)
		for k, addr := range []netip.Prefix{LANAddrs[i], HBAddrs[i]} {
			if err := p.Switch.Plug(Bridges[k], Port(name, Links[k]), p.NodeNS[i], Links[k], addr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Port is the switch-side name of a node's link ("node2-eth1").
func Port(node, link string) string { return node + "-" + link }

// SetPort sets node's switch port for link up or down: down, the node's
// interface loses carrier, as when a cable is pulled.
func (p *Pair) SetPort(node, link string, up bool) error {
	return p.Switch.SetLinkUp(Port(node, link), up)
}

// Member returns node i of the pair (after AddNodes) with its private
// directory dir, whose file outName holds the node's captured output.
func (p *Pair) Member(i int, dir, outName string) Member {
	return Member{Name: NodeNames[i], NS: p.NodeNS[i], LAN: LANAddrs[i], HB: HBAddrs[i], Dir: dir, OutName: outName}
}

// Member is what the node types of the heartbeat labs share: the node's
// name, namespace and addresses, and its private directory with the files
// both labs lay out alike. A lab's Node embeds it.
type Member struct {
	Name string
	NS   *NS
	LAN  netip.Prefix // eth0
	HB   netip.Prefix // eth1
	// Dir is the node's private directory (a t.TempDir()).
	Dir string
	// OutName is the file in Dir that holds the captured output.
	OutName string
}

func (m *Member) member() *Member { return m }

// ConfDir is the node's configuration directory (ha.cf, authkeys,
// haresources).
func (m *Member) ConfDir() string { return filepath.Join(m.Dir, "etc") }

// LogFile is ha.cf's logfile.
func (m *Member) LogFile() string { return filepath.Join(m.Dir, "ha-log") }

// DebugFile is ha.cf's debugfile.
func (m *Member) DebugFile() string { return filepath.Join(m.Dir, "ha-debug") }

// OutFile holds the node's captured stdout and stderr.
func (m *Member) OutFile() string { return filepath.Join(m.Dir, m.OutName) }

// Logs returns the node's log file followed by its captured output
// (either may be missing).
func (m *Member) Logs() string { return ReadFiles(m.LogFile(), m.OutFile()) }

// LogCount counts the lines of Logs that contain s.
func (m *Member) LogCount(s string) int { return CountLines(m.Logs(), s) }

// PairNode is a lab's node type: a pointer to a struct that embeds
// Member.
type PairNode interface {
	comparable
	member() *Member
}

// PairOf is a Pair with the lab's own node values; a lab embeds it, which
// gives it Switch, Nodes, Peer, Cut and Heal.
type PairOf[N PairNode] struct {
	*Pair
	Nodes [2]N // by NodeNames index
}

// Peer returns the other node.
func (p *PairOf[N]) Peer(n N) N {
	if p.Nodes[0] == n {
		return p.Nodes[1]
	}
	return p.Nodes[0]
}

// Cut takes the node's port for link down on the switch: the node's
// interface loses carrier, as when a cable is pulled. It returns the
// moment just before, once the kernel has done it.
func (p *PairOf[N]) Cut(t testing.TB, n N, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := p.SetPort(n.member().Name, link, false); err != nil {
		t.Fatal(err)
	}
	return at
}

// Heal undoes Cut.
func (p *PairOf[N]) Heal(t testing.TB, n N, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := p.SetPort(n.member().Name, link, true); err != nil {
		t.Fatal(err)
	}
	return at
}
