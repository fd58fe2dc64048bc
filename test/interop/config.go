//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// Cluster is the lab's ha.cf settings, the same on both nodes except the
// ucast peers and the log files (netlab.Cluster, with HaCf taking
// interop nodes).
type Cluster netlab.Cluster

// Fast is the lab's default timing: keepalive 200 ms, deadtime 1 s. It
// lies between heartbeat-wire.md's two measured profiles (k100ms_d500ms
// and k1d3) and leaves the real Heartbeat, which runs shell resource
// scripts, room on a busy two-core machine.
var Fast = Cluster{Keepalive: 200 * time.Millisecond, Deadtime: time.Second, Initdead: 2 * time.Second, AutoFailback: "on"}

// Auth is the authkeys method and secret (no secret for crc).
type Auth = netlab.Auth

// SHA1 is the lab's default key (heartbeat-wire.md's lab used the same).
var SHA1 = netlab.SHA1

// HaCf renders ha.cf for self, talking to peer over ucast on both links
// (anchors.md §1.8 is the layout).
func (c Cluster) HaCf(self, peer *Node) string {
	return netlab.Cluster(c).HaCf(netlab.HaCfNode{
		Comment:   fmt.Sprintf("interop lab: %s (%s)", self.Name, self.Impl),
		LogFile:   self.LogFile(),
		DebugFile: self.DebugFile(),
		PeerLAN:   peer.LAN.Addr(),
		PeerHB:    peer.HB.Addr(),
	})
}

// HaResources renders haresources: one group, the VIP, preferred on node1
// (IPaddr::ip/bits/iface/broadcast, as anchors.md §1.8), followed by extra
// resources.
func HaResources(extra ...string) string { return netlab.HaResources(extra...) }

// packageHaD are the files of Debian's /etc/ha.d that a Heartbeat node
// needs besides its configuration: harc runs rc.d hooks, resource.d holds
// IPaddr and the other wrappers, shellfuncs is sourced by both.
var packageHaD = []string{"harc", "rc.d", "resource.d", "shellfuncs"}

// Configure writes ha.cf, authkeys (mode 0600) and haresources into the
// node's configuration directory. A Heartbeat node also gets a copy of
// the package's /etc/ha.d scripts and of its /var/lib/heartbeat skeleton.
func (n *Node) Configure(t testing.TB, c Cluster, a Auth, haresources string) {
	t.Helper()
	if n.Impl == Heartbeat {
		for _, f := range packageHaD {
			copyTree(t, filepath.Join("/etc/ha.d", f), n.ConfDir())
		}
		copyTree(t, "/var/lib/heartbeat/.", n.varLibDir())
	}
	n.WriteConf(t, "ha.cf", c.HaCf(n, n.lab.Peer(n)), 0o644)
	n.WriteConf(t, "authkeys", a.AuthKeys(), 0o600)
	n.WriteConf(t, "haresources", haresources, 0o644)
}

// WriteConf writes one file (a path relative to the configuration
// directory) with mode.
func (n *Node) WriteConf(t testing.TB, name, text string, mode os.FileMode) {
	t.Helper()
	if err := netlab.WriteFile(filepath.Join(n.ConfDir(), name), text, mode); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies src (file or directory, "dir/." for its contents) into
// dir, keeping modes and owners (cp -a).
func copyTree(t testing.TB, src, dir string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v: %s (is the heartbeat package installed?)", src, dir, err, out)
	}
}

func msec(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
