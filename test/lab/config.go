package lab

import (
	"fmt"
	"strings"
	"time"
)

// Cluster is the lab's ha.cf settings, the same on both nodes except the
// ucast peers.
type Cluster struct {
	Keepalive time.Duration // ha.cf keepalive
	Deadtime  time.Duration // ha.cf deadtime
	// Initdead is ha.cf initdead; Heartbeat's derived default would be
	// 12 s below a 6 s deadtime, which only slows the lab down.
	Initdead     time.Duration
	AutoFailback string // "on" or "off"
}

// Fast is the lab's default timing: keepalive 100 ms, deadtime 500 ms
// (heartbeat-wire.md's k100ms_d500ms profile).
var Fast = Cluster{Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: time.Second, AutoFailback: "on"}

// S1Timing is seeds.md S1's keepalive 1 s / deadtime 3 s (the k1d3
// profile of heartbeat-wire.md).
var S1Timing = Cluster{Keepalive: time.Second, Deadtime: 3 * time.Second, Initdead: 3 * time.Second, AutoFailback: "on"}

// HaCf renders ha.cf for self, talking to peer over ucast on both links,
// logging to the node's files (anchors.md §1.8 is the layout).
func (c Cluster) HaCf(self, peer *Node) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# hbd lab: %s", self.Name)
	w("logfile %s", self.LogFile())
	w("debugfile %s", self.DebugFile())
	w("use_logd no")
	w("keepalive %s", msec(c.Keepalive))
	w("deadtime %s", msec(c.Deadtime))
	w("initdead %s", msec(c.Initdead))
	w("udpport 694")
	w("ucast %s %s", LANLink, peer.LAN.Addr())
	w("ucast %s %s", HBLink, peer.HB.Addr())
	w("auto_failback %s", c.AutoFailback)
	w("node %s", NodeNames[0])
	w("node %s", NodeNames[1])
	w("crm off")
	return b.String()
}

// AuthKeys renders authkeys with sha1 key secret at index 1.
func AuthKeys(secret string) string { return "auth 1\n1 sha1 " + secret + "\n" }

// HaResources renders haresources: one group, the VIP, preferred on node1
// (IPaddr::ip/bits/iface/broadcast, as anchors.md §1.8).
func HaResources() string {
	return fmt.Sprintf("%s IPaddr::%s/%s/%s\n", NodeNames[0], VIP, LANLink, LANBroadcast)
}

func msec(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
