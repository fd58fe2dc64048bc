package netlab

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Cluster is a Pair's ha.cf settings, the same on both nodes except the
// ucast peers and the log files.
type Cluster struct {
	Keepalive time.Duration // ha.cf keepalive
	Deadtime  time.Duration // ha.cf deadtime
	// Initdead is ha.cf initdead; Heartbeat's derived default would be
	// 12 s below a 6 s deadtime, which only slows a lab down.
	Initdead     time.Duration
	AutoFailback string // "on" or "off"
}

// HaCfNode is what one node's ha.cf says besides the Cluster settings.
type HaCfNode struct {
	Comment   string // the first line, after "# "
	LogFile   string // ha.cf logfile
	DebugFile string // ha.cf debugfile
	// PeerLAN and PeerHB are the other node's addresses, the ucast
	// targets on LANLink and HBLink.
	PeerLAN, PeerHB netip.Addr
}

// HaCf renders ha.cf for n, talking to its peer over ucast on both links
// (anchors.md §1.8 is the layout).
func (c Cluster) HaCf(n HaCfNode) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# %s", n.Comment)
	w("logfile %s", n.LogFile)
	w("debugfile %s", n.DebugFile)
	w("use_logd no")
	w("keepalive %s", msec(c.Keepalive))
	w("deadtime %s", msec(c.Deadtime))
	w("initdead %s", msec(c.Initdead))
	w("udpport 694")
	w("ucast %s %s", LANLink, n.PeerLAN)
	w("ucast %s %s", HBLink, n.PeerHB)
	w("auto_failback %s", c.AutoFailback)
	w("node %s", NodeNames[0])
	w("node %s", NodeNames[1])
	w("crm off")
	return b.String()
}

func msec(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// Auth is the authkeys method and secret (no secret for crc).
type Auth struct {
	Method string // sha1, md5, crc
	Secret string
}

// SHA1 is the labs' default key (heartbeat-wire.md's lab used the same).
var SHA1 = Auth{Method: "sha1", Secret: "hbd-lab-secret"}

// AuthKeys renders authkeys with a at index 1.
func (a Auth) AuthKeys() string {
	line := "1 " + a.Method
	if a.Secret != "" {
		line += " " + a.Secret
	}
	return "auth 1\n" + line + "\n"
}

// HaResources renders haresources: one group, the VIP, preferred on
// node1 (IPaddr::ip/bits/iface/broadcast, as anchors.md §1.8), followed
// by extra resources.
func HaResources(extra ...string) string {
	res := append([]string{NodeNames[0], fmt.Sprintf("IPaddr::%s/%s/%s", VIP, LANLink, LANBroadcast)}, extra...)
	return strings.Join(res, " ") + "\n"
}
