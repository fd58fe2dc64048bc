package lab

import (
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// Cluster is the lab's ha.cf settings, the same on both nodes except the
// ucast peers (netlab.Cluster, with HaCf taking lab nodes).
type Cluster netlab.Cluster

// Fast is the lab's default timing: keepalive 100 ms, deadtime 500 ms
// (heartbeat-wire.md's k100ms_d500ms profile).
var Fast = Cluster{Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: time.Second, AutoFailback: "on"}

// S1Timing is seeds.md S1's keepalive 1 s / deadtime 3 s (the k1d3
// profile of heartbeat-wire.md).
var S1Timing = Cluster{Keepalive: time.Second, Deadtime: 3 * time.Second, Initdead: 3 * time.Second, AutoFailback: "on"}

// HaCf renders ha.cf for self, talking to peer over ucast on both links,
// logging to the node's files (anchors.md §1.8 is the layout).
func (c Cluster) HaCf(self, peer *Node) string {
	return netlab.Cluster(c).HaCf(netlab.HaCfNode{
		Comment:   "hbd lab: " + self.Name,
		LogFile:   self.LogFile(),
		DebugFile: self.DebugFile(),
		PeerLAN:   peer.LAN.Addr(),
		PeerHB:    peer.HB.Addr(),
	})
}

// AuthKeys renders authkeys with sha1 key secret at index 1.
func AuthKeys(secret string) string {
	return netlab.Auth{Method: "sha1", Secret: secret}.AuthKeys()
}

// HaResources renders haresources: one group, the VIP, preferred on node1
// (IPaddr::ip/bits/iface/broadcast, as anchors.md §1.8).
func HaResources() string { return netlab.HaResources() }
