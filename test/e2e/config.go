package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Timers are the pair's short timers: ha.cf keepalive/deadtime/initdead
// and ldirectord.cf checkinterval/checktimeout (S1 uses 1 s/30 s default
// and 5 s/10 s; shortened so the scenario takes about a minute).
type Timers struct {
	Keepalive, Deadtime, Initdead time.Duration
	CheckInterval, CheckTimeout   time.Duration
}

// DefaultTimers is keepalive 200 ms, deadtime 1 s, initdead 2 s,
// checkinterval 1 s, checktimeout 1 s.
var DefaultTimers = Timers{
	Keepalive: 200 * time.Millisecond, Deadtime: time.Second, Initdead: 2 * time.Second,
	CheckInterval: time.Second, CheckTimeout: time.Second,
}

// SlackTimers are the issue 11 tests' timers: DefaultTimers with deadtime
// 3 s (keepalive 500 ms, initdead 6 s) and checktimeout 2 s. The test VM
// emulates its CPU; on a busy host (2 cores, a dozen runnable processes)
// heartbeats were seen 2.6 s late and checks time out, and a spurious split
// brain or reals quiesced by slow checks would blur what these tests
// measure (which connections a move keeps). The bounds scale with them
// (deadtime + 1 s for the first new connection after a crash).
var SlackTimers = Timers{
	Keepalive: 500 * time.Millisecond, Deadtime: 3 * time.Second, Initdead: 6 * time.Second,
	CheckInterval: time.Second, CheckTimeout: 2 * time.Second,
}

// The pair's names and addresses: seeds.md S1 with 10.1.1.0/24 moved to
// 203.0.113.0/24 (LAN) and 192.168.2.0/24 to 192.0.2.0/24 (inside).
var (
	// NodeNames are the directors' node names and hostnames (uname -n).
	NodeNames = [2]string{"test1.com", "test2.com"}
	// VIP is the service address on the LAN (eth0).
	VIP = netip.MustParsePrefix("203.0.113.10/24")
	// InsideVIP is the real servers' default gateway (eth1).
	InsideVIP = netip.MustParsePrefix("192.0.2.240/24")
	// ClientAddr is the client's LAN address.
	ClientAddr = netip.MustParsePrefix("203.0.113.24/24")
	// LANAddrs and InsideAddrs are the directors' own eth0 and eth1.
	LANAddrs    = [2]netip.Prefix{netip.MustParsePrefix("203.0.113.2/24"), netip.MustParsePrefix("203.0.113.3/24")}
	InsideAddrs = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.241/24"), netip.MustParsePrefix("192.0.2.242/24")}
	// WebAddrs are web1..web4; the first three are in ldirectord.cf from
	// the start, the fourth is added by a reload.
	WebAddrs = []netip.Addr{
		netip.MustParseAddr("192.0.2.236"), netip.MustParseAddr("192.0.2.237"),
		netip.MustParseAddr("192.0.2.238"), netip.MustParseAddr("192.0.2.239"),
	}
)

// HTTPPort is the virtual service's and the real servers' port.
const HTTPPort = 80

// AuthKeys is S1's authkeys (written with mode 0600).
const AuthKeys = "auth 2\n2 sha1 PASSWORD\n"

// HaCf renders /etc/ha.d/ha.cf for director i (0 or 1): S1's file with
// the short timers, ucast to the peer on both links, and logs under
// /var/log (each director's own). logfacility and ipfail's respawn line
// are left out: there is no syslog in the VM, and S1 names no ping node
// for ipfail to act on (seeds.md X12).
func HaCf(i int, tm Timers) string {
	peer := 1 - i
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# /etc/ha.d/ha.cf on %s (seeds.md S1, short timers)", NodeNames[i])
	w("logfile /var/log/ha-log")
	w("keepalive %dms", tm.Keepalive.Milliseconds())
	w("deadtime %dms", tm.Deadtime.Milliseconds())
	w("initdead %dms", tm.Initdead.Milliseconds())
	w("udpport 694")
	w("ucast eth0 %s #<------- other server's IP", LANAddrs[peer].Addr())
	w("ucast eth1 %s #<------- other server's IP", InsideAddrs[peer].Addr())
	w("auto_failback on")
	w("node %s", NodeNames[0])
	w("node %s", NodeNames[1])
	return b.String()
}

// HaResources renders S1's haresources: test1.com preferred, ldirectord
// first, then the LAN VIP, then the inside VIP.
func HaResources() string {
	return fmt.Sprintf("%s ldirectord::ldirectord.cf IPaddr::%s/eth0 IPaddr::%s/eth1\n",
		NodeNames[0], VIP, InsideVIP)
}

// LdirectordCf renders S1's ldirectord.cf with the first reals web
// servers (3 at start, 4 after the reload) and the short timers.
func LdirectordCf(reals int, tm Timers) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# /etc/ha.d/ldirectord.cf (seeds.md S1, short timers)")
	w("checktimeout=%d", int(tm.CheckTimeout.Seconds()))
	w("checkinterval=%d", int(tm.CheckInterval.Seconds()))
	w("autoreload=yes")
	w(`logfile="/var/log/ldirectord.log"`)
	w("quiescent=yes")
	w("virtual=%s", netip.AddrPortFrom(VIP.Addr(), HTTPPort))
	for _, a := range WebAddrs[:reals] {
		w("\treal=%s masq", netip.AddrPortFrom(a, HTTPPort))
	}
	w("\tservice=http")
	w(`	request="index.html"`)
	w(`	receive="ok"`)
	w("\tscheduler=wrr")
	w("\tprotocol=tcp")
	w("\tchecktype=negotiate")
	return b.String()
}
