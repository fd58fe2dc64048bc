//go:build interop

package interop

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The lab's interface names and documentation-range addresses (RFC 5737).
const (
	LANLink = "eth0" // link 0: the LAN, carries the VIP
	HBLink  = "eth1" // link 1: a second heartbeat-only link
)

var (
	// NodeNames are the node names, also their hostnames (uname -n).
	// node1 is always the preferred node of the VIP group; the role
	// assignment decides which implementation runs it.
	NodeNames = [2]string{"node1", "node2"}
	// VIP is the virtual address of the lab's one resource group.
	VIP = netip.MustParsePrefix("192.0.2.100/24")
	// LANBroadcast is the LAN's broadcast address.
	LANBroadcast = netip.MustParseAddr("192.0.2.255")

	lanAddrs = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")}
	hbAddrs  = [2]netip.Prefix{netip.MustParsePrefix("198.51.100.1/24"), netip.MustParsePrefix("198.51.100.2/24")}
	bridges  = [2]string{"br0", "br1"}
)

// Impl is the program a node runs.
type Impl int

const (
	// Heartbeat is Debian's heartbeat 3.0.6 (/usr/libexec/heartbeat/heartbeat).
	Heartbeat Impl = iota
	// HBD is our bin/hbd.
	HBD
)

// String names the implementation ("heartbeat", "hbd").
func (i Impl) String() string {
	if i == HBD {
		return "hbd"
	}
	return "heartbeat"
}

// Lab is a two-node cluster on a switch namespace with two bridges, built
// by New.
type Lab struct {
	Switch *NS
	Nodes  [2]*Node
	// Addrs has every address change in the nodes since New.
	Addrs *Events[AddrEvent]

	ctx    context.Context
	cancel context.CancelCauseFunc
	pcap   string // tcpdump's file of the heartbeat link, "" without tcpdump
}

// Node is one cluster node: its namespace, addresses, implementation and
// private directories.
type Node struct {
	Name string
	Impl Impl
	NS   *NS
	LAN  netip.Prefix // eth0
	HB   netip.Prefix // eth1
	// Dir holds the node's files: etc/ (its /etc/ha.d or hbd confdir),
	// varlib/ (its /var/lib/heartbeat), state/ (hbd's --statedir), the log
	// files, the reboot neutraliser and its log, and the captured output.
	Dir string

	lab *Lab
	box *sandbox
}

// Context ends with the test, or as soon as a node's process tree exits
// without being told to; its cause then names the node. Every wait of the
// lab derives from it.
func (l *Lab) Context() context.Context { return l.ctx }

// New builds the topology for the implementations impls (node1, node2),
// starts the address watchers and registers the cleanup (and a dump of
// every node's configuration and logs when t failed).
func New(t testing.TB, impls [2]Impl) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the interop lab needs root (network, mount and pid namespaces)")
	}
	l := &Lab{Addrs: newEvents[AddrEvent]()}
	l.ctx, l.cancel = context.WithCancelCause(t.Context())
	l.Switch = NewNS(t, "sw")
	for _, br := range bridges {
		if err := l.Switch.addBridge(br); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range NodeNames {
		n := &Node{Name: name, Impl: impls[i], NS: NewNS(t, name), LAN: lanAddrs[i], HB: hbAddrs[i], Dir: t.TempDir(), lab: l}
		for k, link := range []string{LANLink, HBLink} {
			if err := l.Switch.plug(bridges[k], n.port(link), n.NS, link, []netip.Prefix{n.LAN, n.HB}[k]); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{n.ConfDir(), n.varLibDir(), n.stateDir()} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		l.Nodes[i] = n
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("INTEROP_VERBOSE") != "" {
			l.dump(t)
		}
	})
	for _, n := range l.Nodes {
		watchAddrs(t, n.NS, n.Name, l.Addrs)
	}
	l.capture(t)
	return l
}

// Peer returns the other node.
func (l *Lab) Peer(n *Node) *Node {
	if l.Nodes[0] == n {
		return l.Nodes[1]
	}
	return l.Nodes[0]
}

// ByImpl returns the node running impl (the first one if both do).
func (l *Lab) ByImpl(impl Impl) *Node {
	if l.Nodes[0].Impl == impl {
		return l.Nodes[0]
	}
	return l.Nodes[1]
}

// port is the switch-side name of the node's link ("node2-eth1").
func (n *Node) port(link string) string { return n.Name + "-" + link }

// Cut takes the node's switch port for link down: the node's interface
// loses carrier, as when a cable is pulled.
func (l *Lab) Cut(t testing.TB, n *Node, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := l.Switch.SetLinkUp(n.port(link), false); err != nil {
		t.Fatal(err)
	}
	return at
}

// Heal undoes Cut.
func (l *Lab) Heal(t testing.TB, n *Node, link string) time.Time {
	t.Helper()
	at := time.Now()
	if err := l.Switch.SetLinkUp(n.port(link), true); err != nil {
		t.Fatal(err)
	}
	return at
}

// ConfDir is the node's configuration directory: bind-mounted over
// /etc/ha.d for Heartbeat, --confdir for hbd.
func (n *Node) ConfDir() string { return filepath.Join(n.Dir, "etc") }

// varLibDir is bind-mounted over /var/lib/heartbeat for Heartbeat.
func (n *Node) varLibDir() string { return filepath.Join(n.Dir, "varlib") }

// stateDir is hbd's --statedir.
func (n *Node) stateDir() string { return filepath.Join(n.Dir, "state") }

// hbdRunDir is hbd's --rundir: inside the sandbox's private /run (a
// tmpfs), so a restart after kill -9 starts clean, as after a reboot.
const hbdRunDir = "/run/hbd"

// LogFile is ha.cf's logfile.
func (n *Node) LogFile() string { return filepath.Join(n.Dir, "ha-log") }

// DebugFile is ha.cf's debugfile.
func (n *Node) DebugFile() string { return filepath.Join(n.Dir, "ha-debug") }

// OutFile holds the sandbox's and the daemon's stdout and stderr.
func (n *Node) OutFile() string { return filepath.Join(n.Dir, "out") }

// RebootLog is where the reboot neutraliser records every call.
func (n *Node) RebootLog() string { return filepath.Join(n.Dir, "reboot.log") }
