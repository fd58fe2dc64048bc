package ldbench

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Impl names a subject under measurement.
type Impl string

// The subjects.
const (
	ImplGo         Impl = "go"         // this project's director (ipvstest fake or real IPVS)
	ImplPerl       Impl = "perl"       // Debian's ldirectord 4.12 with the ipvsadm stand-in
	ImplKeepalived Impl = "keepalived" // keepalived 2.2.7, checker only (real IPVS, VM)
)

// PointConfig describes one measured point: one subject, N reals.
type PointConfig struct {
	Impl Impl
	N    int
	Dir  string   // scratch directory of this point
	Self []string // argv prefix that runs a role of this program ("ldbench" or "x.test ldbench-role")

	Base    string // real address prefix: "127.1" (host) or "198.18" (VM AnyIP)
	VIP     string // virtual address
	Port    uint16 // real and virtual port
	Forward string // gate or masq
	Netlink bool   // Go subject against the real IPVS

	FarmCtl  string   // farm control address
	FarmWrap []string // argv prefix for the farm (e.g. ip netns exec farm)
	FarmAny  bool     // one wildcard listener (AnyIP) instead of one per address

	Interval time.Duration // checkinterval / delay_loop
	Timeout  time.Duration // negotiatetimeout / connect_timeout

	StartBound time.Duration // give up waiting for a complete table after this
	Settle     time.Duration
	Window     time.Duration // steady-state and stretch windows

	DetectKinds  []Mode
	Rounds       int // detection rounds per kind
	PerRound     int // reals failed per round (wrong, refuse)
	HangPerRound int // reals failed per round for hang
	StretchK     []int

	PerlScript    string // patched ldirectord (Perl)
	Standin       string // ipvsadm stand-in binary (Perl)
	KeepalivedBin string
	EngineArgs    []string // extra flags of the Go engine role (profiling)
	EngineEnv     []string // extra environment of the Go engine role (GOMAXPROCS=1)
	FarmEnv       []string // extra environment of the farm
}

func (c PointConfig) reals() []string {
	out := make([]string, c.N)
	for i := range out {
		out[i] = RealAddr(c.Base, i).String()
	}
	return out
}

// writeLdirectordCf writes the config both ldirectord implementations read:
// one virtual, N reals, negotiate http with receive="ok".
func writeLdirectordCf(c PointConfig, path, logfile string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "checkinterval=%d\nnegotiatetimeout=%d\nfailurecount=1\n", int(c.Interval/time.Second), int(c.Timeout/time.Second))
	fmt.Fprintf(&b, "quiescent=no\nautoreload=no\nfork=no\nsupervised=yes\nlogfile=\"%s\"\n", logfile)
	fmt.Fprintf(&b, "virtual=%s:%d\n", c.VIP, c.Port)
	for _, r := range c.reals() {
		fmt.Fprintf(&b, "\treal=%s:%d %s 1\n", r, c.Port, c.Forward)
	}
	fmt.Fprintf(&b, "\tservice=http\n\tchecktype=negotiate\n\trequest=\"/index.html\"\n\treceive=\"ok\"\n\tscheduler=wrr\n\tprotocol=tcp\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeKeepalivedConf writes the reference's keepalived.conf: delay_loop,
// HTTP_GET status 200, connect_timeout, everything else default.
func writeKeepalivedConf(c PointConfig, path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id bench\n}\n")
	fmt.Fprintf(&b, "virtual_server %s %d {\n  delay_loop %d\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n", c.VIP, c.Port, int(c.Interval/time.Second))
	for _, r := range c.reals() {
		fmt.Fprintf(&b, "  real_server %s %d {\n    weight 1\n    HTTP_GET {\n      url {\n        path /index.html\n        status_code 200\n      }\n      connect_timeout %d\n    }\n  }\n", r, c.Port, int(c.Timeout/time.Second))
	}
	b.WriteString("}\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
