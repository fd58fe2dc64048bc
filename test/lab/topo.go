package lab

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// The lab's names and documentation-range addresses (RFC 5737): the
// heartbeat pair of test/netlab.
const (
	LANLink = netlab.LANLink // link0: the LAN, carries the VIP
	HBLink  = netlab.HBLink  // link1: a second heartbeat-only link
)

var (
	// NodeNames are the node names, also their hostnames (uname -n).
	NodeNames = netlab.NodeNames
	// VIP is the virtual address of the lab's one resource group.
	VIP = netlab.VIP
	// LANBroadcast is the LAN's broadcast address.
	LANBroadcast = netlab.LANBroadcast
	// ClientAddr is the client's LAN address.
	ClientAddr = netip.MustParsePrefix("192.0.2.50/24")
)

// Lab is one two-node cluster with a client, built by New. Switch,
// Nodes, Peer, Cut and Heal come from netlab.PairOf.
type Lab struct {
	netlab.PairOf[*Node]
	Client *NS

	// Addrs has every address change in the nodes since New.
	Addrs *Events[AddrEvent]
	// ARPs has every ARP frame the client received since New.
	ARPs *Events[ARPEvent]
	// Wire has every heartbeat datagram each node's eth0 and eth1 sent
	// or received since New.
	Wire *Events[WireEvent]

	ctx    context.Context
	cancel context.CancelCauseFunc
}

// Context ends with the test, or as soon as an hbd exits that was not
// stopped by Kill9 or Stop; its cause then names the node and the exit.
// Every wait of the lab derives from it, so a crashed hbd fails the test
// at once instead of at a timeout.
func (l *Lab) Context() context.Context { return l.ctx }

// Node is one cluster node: its name, namespace, addresses and directory
// (netlab.Member: LAN is eth0, HB eth1) and its hbd. Dir holds etc/
// (confdir), run/ (rundir), state/ (statedir), the log files and hbd's
// captured output.
type Node struct {
	netlab.Member
	MAC net.HardwareAddr // eth0's, the sender of its gratuitous ARP

	lab  *Lab
	proc *netlab.Proc
}

// New builds the topology of the package doc, starts the address and ARP
// watchers, and registers the cleanup (and the dump of every node's
// output and logs when t failed).
func New(t testing.TB) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the hbd lab needs root (network namespaces)")
	}
	l := &Lab{Addrs: netlab.NewEvents[AddrEvent](), ARPs: netlab.NewEvents[ARPEvent](), Wire: netlab.NewEvents[WireEvent]()}
	l.ctx, l.cancel = context.WithCancelCause(t.Context())
	l.Pair = netlab.NewPair(t, NewNS)
	l.Client = NewNS(t, "client")
	if err := l.Switch.Plug(netlab.Bridges[0], "client-eth0", l.Client, LANLink, ClientAddr); err != nil {
		t.Fatal(err)
	}
	l.AddNodes(t)
	for i := range NodeNames {
		l.Nodes[i] = l.newNode(t, i)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("LAB_VERBOSE") != "" {
			l.dump(t)
		}
	})
	for _, n := range l.Nodes {
		netlab.WatchAddrs(t, n.NS, n.Name, l.Addrs)
		watchWire(t, n, LANLink, l.Wire)
		watchWire(t, n, HBLink, l.Wire)
	}
	watchARP(t, l.Client, LANLink, l.ARPs)
	return l
}

// newNode makes node i of the pair's namespaces a lab node with its
// directories.
func (l *Lab) newNode(t testing.TB, i int) *Node {
	t.Helper()
	n := &Node{Member: l.Member(i, t.TempDir(), "hbd.out"), lab: l}
	for _, d := range []string{n.ConfDir(), n.RunDir(), n.StateDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mac, err := n.NS.MAC(LANLink)
	if err != nil {
		t.Fatal(err)
	}
	n.MAC = mac
	return n
}

// RunDir is hbd's --rundir.
func (n *Node) RunDir() string { return filepath.Join(n.Dir, "run") }

// StateDir is hbd's --statedir.
func (n *Node) StateDir() string { return filepath.Join(n.Dir, "state") }

// Configure writes ha.cf, authkeys (mode 0600, sha1 secret) and
// haresources into the node's confdir.
func (n *Node) Configure(t testing.TB, c Cluster, secret string) {
	t.Helper()
	files := []struct {
		name, text string
		mode       os.FileMode
	}{
		{"ha.cf", c.HaCf(n, n.lab.Peer(n)), 0o644},
		{"authkeys", AuthKeys(secret), 0o600},
		{"haresources", HaResources(), 0o644},
	}
	for _, f := range files {
		if err := netlab.WriteFile(filepath.Join(n.ConfDir(), f.name), f.text, f.mode); err != nil {
			t.Fatal(err)
		}
	}
}
