package e2e

// This file is pure: the three configurations of the pair (issue 11) as
// configuration text.

import (
	"fmt"
	"net/netip"
	"strings"
)

// Mode is how the pair is set up.
type Mode int

const (
	// ModeStock is S1 as Ultra Monkey shipped it: ldirectord in
	// haresources, started on the active director only; no connection
	// sync.
	ModeStock Mode = iota
	// ModeSync is the NAT pair that keeps connections: LVSSyncDaemonSwap
	// in haresources, ldirectord started on both directors at boot by its
	// init script (a warm standby), only the VIPs move.
	ModeSync
	// ModeColocatedDR is seed S2: the two directors are also the two real
	// servers, DR forwarding, IPaddrDR and LVSSyncDaemonSwap in
	// haresources, ldirectord warm on both.
	ModeColocatedDR
)

// String names the mode in logs.
func (m Mode) String() string {
	switch m {
	case ModeStock:
		return "stock (ldirectord in haresources)"
	case ModeSync:
		return "sync (LVSSyncDaemonSwap, warm standby)"
	case ModeColocatedDR:
		return "colocated DR (IPaddrDR, LVSSyncDaemonSwap, warm standby)"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// WarmStandby reports whether ldirectord runs on both directors from boot
// (started by its init script, not by hbd).
func (m Mode) WarmStandby() bool { return m != ModeStock }

// HaResources is the mode's haresources.
func (m Mode) HaResources() string {
	switch m {
	case ModeSync:
		return HaResourcesSync()
	case ModeColocatedDR:
		return HaResourcesDR()
	}
	return HaResources()
}

// LdirectordCf is the mode's ldirectord.cf (reals: the NAT modes' number
// of web servers; the DR mode always has both directors).
func (m Mode) LdirectordCf(reals int, tm Timers) string {
	if m == ModeColocatedDR {
		return LdirectordCfDR(tm)
	}
	return LdirectordCf(reals, tm)
}

// HaResourcesSync is S1's haresources with the connection sync and
// without ldirectord (which its init script starts on both directors):
// the node holding the group runs the sync daemon as master, the other as
// backup (defaults: eth0, syncid 255, 224.0.0.81:8848).
func HaResourcesSync() string {
	return fmt.Sprintf("%s LVSSyncDaemonSwap::master IPaddr::%s/eth0 IPaddr::%s/eth1\n",
		NodeNames[0], VIP, InsideVIP)
}

// HaResourcesDR is S2's haresources: the sync daemon, and the VIP held by
// IPaddrDR (on eth0 on the active director, on lo without ARP on the
// standby, which serves it as a real server).
func HaResourcesDR() string {
	return fmt.Sprintf("%s LVSSyncDaemonSwap::master IPaddrDR::%s/eth0\n", NodeNames[0], VIP)
}

// DRReals are the real servers of S2: the directors' own LAN addresses.
func DRReals() []netip.Addr { return []netip.Addr{LANAddrs[0].Addr(), LANAddrs[1].Addr()} }

// LdirectordCfDR renders S2's ldirectord.cf: both directors as DR (gate)
// reals, round robin so that requests alternate, and the negotiate check.
func LdirectordCfDR(tm Timers) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# /etc/ha.d/ldirectord.cf (seed S2: the directors are the real servers, DR)")
	w("checktimeout=%d", int(tm.CheckTimeout.Seconds()))
	w("checkinterval=%d", int(tm.CheckInterval.Seconds()))
	w(`logfile="/var/log/ldirectord.log"`)
	w("quiescent=yes")
	w("virtual=%s", netip.AddrPortFrom(VIP.Addr(), HTTPPort))
	for _, a := range DRReals() {
		w("\treal=%s gate", netip.AddrPortFrom(a, HTTPPort))
	}
	w("\tservice=http")
	w(`	request="index.html"`)
	w(`	receive="ok"`)
	w("\tscheduler=rr")
	w("\tprotocol=tcp")
	w("\tchecktype=negotiate")
	return b.String()
}
