//go:build interop

package interop

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// The lab's interface names and documentation-range addresses (RFC 5737):
// the heartbeat pair of test/netlab.
const (
	LANLink = netlab.LANLink // link 0: the LAN, carries the VIP
	HBLink  = netlab.HBLink  // link 1: a second heartbeat-only link
)

var (
	// NodeNames are the node names, also their hostnames (uname -n).
	// node1 is always the preferred node of the VIP group; the role
	// assignment decides which implementation runs it.
	NodeNames = netlab.NodeNames
	// VIP is the virtual address of the lab's one resource group.
	VIP = netlab.VIP
	// LANBroadcast is the LAN's broadcast address.
	LANBroadcast = netlab.LANBroadcast
)

// namePrefix starts the name of every namespace the lab creates (run.sh
// removes leftovers by it).
const namePrefix = "hbi-"

// newNS creates the namespace namePrefix+label+"-"+6 random hex digits,
// deleted in t.Cleanup.
func newNS(t testing.TB, label string) *netlab.NS {
	t.Helper()
	return netlab.New(t, netlab.RandomName(namePrefix, label))
}

// AddrEvent is one address change in a node (see netlab.AddrEvent).
type AddrEvent = netlab.AddrEvent

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
// by New. Switch, Nodes, Peer, Cut and Heal come from netlab.PairOf.
type Lab struct {
	netlab.PairOf[*Node]

	// Addrs has every address change in the nodes since New.
	Addrs *netlab.Events[AddrEvent]

	ctx    context.Context
	cancel context.CancelCauseFunc
	pcap   string // tcpdump's file of the heartbeat link, "" without tcpdump
}

// Node is one cluster node: its name, namespace, addresses and directory
// (netlab.Member: LAN is eth0, HB eth1), its implementation and its
// sandbox. Dir holds the node's files: etc/ (its /etc/ha.d or hbd
// confdir), varlib/ (its /var/lib/heartbeat), state/ (hbd's --statedir),
// the log files, the reboot neutraliser and its log, and the captured
// output.
type Node struct {
	netlab.Member
	Impl Impl

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
	l := &Lab{Addrs: netlab.NewEvents[AddrEvent]()}
	l.ctx, l.cancel = context.WithCancelCause(t.Context())
	l.Pair = netlab.NewPair(t, newNS)
	l.AddNodes(t)
	for i := range NodeNames {
		n := &Node{Member: l.Member(i, t.TempDir(), "out"), Impl: impls[i], lab: l}
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
		netlab.WatchAddrs(t, n.NS, n.Name, l.Addrs)
	}
	l.capture(t)
	return l
}

// ByImpl returns the node running impl (the first one if both do).
func (l *Lab) ByImpl(impl Impl) *Node {
	if l.Nodes[0].Impl == impl {
		return l.Nodes[0]
	}
	return l.Nodes[1]
}

// varLibDir is bind-mounted over /var/lib/heartbeat for Heartbeat.
func (n *Node) varLibDir() string { return filepath.Join(n.Dir, "varlib") }

// stateDir is hbd's --statedir.
func (n *Node) stateDir() string { return filepath.Join(n.Dir, "state") }

// hbdRunDir is hbd's --rundir: inside the sandbox's private /run (a
// tmpfs), so a restart after kill -9 starts clean, as after a reboot.
const hbdRunDir = "/run/hbd"

// RebootLog is where the reboot neutraliser records every call.
func (n *Node) RebootLog() string { return filepath.Join(n.Dir, "reboot.log") }
