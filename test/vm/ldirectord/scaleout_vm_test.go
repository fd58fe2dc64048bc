//go:build vm

package ldirectord

// Issue 15's lab: several active directors behind a router's ECMP, each
// announcing the VIP over BGP (GoBGP inside the real ldirectord) to a real
// BIRD 2, with the kernel's all-to-all connection sync, sloppy_tcp and the
// mh scheduler keeping the flows a director's death or return moves.
//
//	client1 198.51.100.11 ─┐ brc 198.51.100.1   router (BIRD 2, AS 65000)
//	client2 198.51.100.12 ─┘                    br0 192.0.2.1, ECMP to the VIP
//	   d1 192.0.2.11 (AS 65001) ─┐              fib_multipath_hash_policy=1 (L4)
//	   d2 192.0.2.12 (AS 65002) ─┼─ br0 ─┬─ rs1 192.0.2.21 ┐ VIP 203.0.113.10 on lo
//	   d3 192.0.2.13 (AS 65003) ─┘       ├─ rs2 192.0.2.22 ├ (DR: they answer the
//	                                     └─ rs3 192.0.2.23 ┘  clients through the router)
//
// Every box is a network namespace of the VM; the directors hold the VIP
// on a dummy link and forward by direct routing (gate): with NAT the
// reals' replies would need to return through the director that has the
// connection, and a real has one gateway.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/test/e2e"
	"github.com/ultramonkey/ultramonkey/test/netlab"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// The lab's addresses and BGP settings.
var (
	soVIP      = netip.MustParseAddr("203.0.113.10")
	soVIPPort  = netip.AddrPortFrom(soVIP, 80)
	soRouter   = netip.MustParseAddr("192.0.2.1")
	soClientGW = netip.MustParseAddr("198.51.100.1")
)

const (
	// soHold is bgp_peer's holdtime and BIRD's hold time: ldirectord's
	// default, 9 s. 3 s (BGP's least) is what a quiet VM handles, but this
	// VM is emulated on a shared machine and can stall for seconds: a
	// stall longer than the hold time less a keepalive drops every session.
	soHold   = 9 * time.Second
	soSyncID = 10
	bird     = "/opt/bin/bird"
	birdc    = "/opt/bin/birdc"
)

// scaleLab is the topology above with its processes.
type scaleLab struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	router   *vmnet.NS
	birdSock string
	clients  []*vmnet.NS
	reals    []*realServer
	dirs     []*scaleDirector
}

// scaleDirector is one director; a boot gives it a fresh namespace (a
// reboot loses the VIP, the IPVS table and connections, the sync daemons).
type scaleDirector struct {
	name  string
	addr  netip.Addr
	asn   uint32
	ns    *vmnet.NS
	dir   string // this boot's config, log and run dir
	proc  *netlab.Proc
	boots int
}

func newScaleLab(t *testing.T, ctx context.Context) *scaleLab {
	t.Helper()
	for _, b := range []string{binary, bird, birdc} {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("%s missing (run.sh copies make build's ldirectord and the host's bird2): %v", b, err)
		}
	}
	l := &scaleLab{t: t, ctx: ctx, dir: t.TempDir(), router: vmnet.NewNS(t, "router")}
	l.router.Bridge(t, "br0", netip.PrefixFrom(soRouter, 24))
	l.router.Bridge(t, "brc", netip.PrefixFrom(soClientGW, 24))
	for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.fib_multipath_hash_policy", "1"}} {
		if err := l.router.Sysctl(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		c := vmnet.NewNS(t, fmt.Sprintf("client%d", i+1))
		l.router.VethToBridge(t, "brc", fmt.Sprintf("c%d", i+1), c, "eth0", netip.MustParsePrefix(fmt.Sprintf("198.51.100.%d/24", 11+i)))
		c.AddRoute(t, netip.Prefix{}, soClientGW)
		l.clients = append(l.clients, c)
	}
	for i := range 3 {
		name := fmt.Sprintf("rs%d", i+1)
		ns := vmnet.NewNS(t, name)
		l.router.VethToBridge(t, "br0", name, ns, "eth0", netip.MustParsePrefix(fmt.Sprintf("192.0.2.%d/24", 21+i)))
		ns.AddRoute(t, netip.Prefix{}, soRouter)
		ns.AddAddr(t, "lo", netip.PrefixFrom(soVIP, 32)) // DR: the real accepts the VIP, answers no ARP for it
		for _, kv := range [][2]string{{"net.ipv4.conf.all.arp_ignore", "1"}, {"net.ipv4.conf.all.arp_announce", "2"}} {
			if err := ns.Sysctl(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		rs := &realServer{name: name, ns: ns, addr: netip.MustParseAddrPort("0.0.0.0:80")}
		rs.start(t)
		t.Cleanup(rs.stop)
		l.reals = append(l.reals, rs)
	}
	l.startBIRD()
	for i := range 3 {
		d := &scaleDirector{name: fmt.Sprintf("d%d", i+1), addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(11 + i)}), asn: uint32(65001 + i)}
		l.dirs = append(l.dirs, d)
		l.boot(d)
	}
	t.Cleanup(func() {
		for _, d := range l.dirs {
			if d.proc != nil {
				d.proc.Kill(d.proc.Pid(), syscall.SIGTERM, 20*time.Second)
			}
		}
		if t.Failed() {
			l.dumpLogs()
		}
	})
	return l
}

// startBIRD starts the router's BIRD: passive sessions to the three
// directors (hold time soHold), VIP host routes only, merged into one ECMP
// route in the kernel (docs/scale-out.md's example).
func (l *scaleLab) startBIRD() {
	t := l.t
	var conf strings.Builder
	fmt.Fprintf(&conf, `log "%s" all;
router id %s;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { export all; };
	merge paths on limit 16;
}
template bgp director {
	local %s as 65000;
	passive on;
	hold time %d;
	error wait time 1, 5;   # accept a director again at once after an error (BIRD's default waits 60 s)
	ipv4 { import where net ~ [ 203.0.113.0/24{32,32} ]; export none; };
}
`, filepath.Join(l.dir, "bird.log"), soRouter, soRouter, int(soHold/time.Second))
	for i := range 3 {
		fmt.Fprintf(&conf, "protocol bgp d%d from director { neighbor 192.0.2.%d as %d; }\n", i+1, 11+i, 65001+i)
	}
	cf := filepath.Join(l.dir, "bird.conf")
	if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	l.birdSock = filepath.Join(l.dir, "bird.ctl")
	out, err := netlab.OpenOutput(filepath.Join(l.dir, "bird.out"), []string{bird})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(bird, "-f", "-c", cf, "-s", l.birdSock, "-P", filepath.Join(l.dir, "bird.pid"))
	cmd.Stdout, cmd.Stderr = out, out
	var p *netlab.Proc
	if err := l.router.Do(func() (err error) { p, err = netlab.StartProc(cmd, nil); return err }); err != nil {
		t.Fatalf("start bird: %v", err)
	}
	t.Cleanup(func() { p.Kill(p.Pid(), syscall.SIGKILL, 10*time.Second) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := l.birdc("show status"); err == nil {
			return
		}
		if time.Now().After(deadline) || !p.Running() {
			b, _ := os.ReadFile(filepath.Join(l.dir, "bird.out"))
			t.Fatalf("bird did not start: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *scaleLab) birdc(cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, birdc, append([]string{"-s", l.birdSock}, strings.Fields(cmd)...)...).CombinedOutput()
	return string(out), err
}

// boot gives d a fresh namespace plugged into br0 (port d.name) and the
// VIP on a dummy link, and starts ldirectord in it, which runs the
// all-to-all sync daemons and sets the scale-out sysctls itself
// (ipvs_sync); it returns when ldirectord is started (not when its route
// is up).
func (l *scaleLab) boot(d *scaleDirector) {
	t := l.t
	t.Helper()
	d.boots++
	d.ns = vmnet.NewNS(t, d.name)
	d.dir = filepath.Join(l.dir, fmt.Sprintf("%s.boot%d", d.name, d.boots))
	if err := os.MkdirAll(filepath.Join(d.dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	l.router.VethToBridge(t, "br0", d.name, d.ns, "eth0", netip.PrefixFrom(d.addr, 24))
	d.ns.Dummy(t, "vip0", netip.PrefixFrom(soVIP, 32))
	cf := filepath.Join(d.dir, "ldirectord.cf")
	var reals strings.Builder
	for i := range l.reals {
		fmt.Fprintf(&reals, "\treal=192.0.2.%d:80 gate\n", 21+i)
	}
	conf := fmt.Sprintf(`logfile=%q
checkinterval=1
checktimeout=5
failurecount=2
quiescent=yes
ipvs_sync = all-to-all eth0 syncid %d
bgp_asn = %d
bgp_router_id = %s
bgp_peer = %s asn 65000 holdtime %d local %s
virtual=%s
%s	scheduler=mh
	schedflags=mh-port,mh-fallback
	protocol=tcp
	checktype=connect
`, filepath.Join(d.dir, "ldirectord.log"), soSyncID, d.asn, d.addr, soRouter, int(soHold/time.Second), d.addr, soVIPPort, reals.String())
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := netlab.OpenOutput(filepath.Join(d.dir, "ldirectord.out"), []string{binary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	t.Logf("%s: %s boot %d: starting ldirectord", time.Now().Format("15:04:05.000"), d.name, d.boots)
	cmd := exec.Command(binary, "--foreground", "--rundir", filepath.Join(d.dir, "run"), cf, "start")
	cmd.Stdout, cmd.Stderr = out, out
	if err := d.ns.Do(func() (err error) {
		d.proc, err = netlab.StartProc(cmd, func(err error, expected bool) {
			if !expected {
				t.Errorf("%s: ldirectord exited unexpectedly: %v", d.name, err)
			}
		})
		return err
	}); err != nil {
		t.Fatalf("%s: start ldirectord: %v", d.name, err)
	}
}

// kill is a director's sudden death: its links go down (on both ends, so
// nothing it sends reaches the router: no BGP Cease, no TCP reset), then
// its processes die (SIGKILL). The router learns it from its hold timer.
func (l *scaleLab) kill(d *scaleDirector) time.Time {
	t := l.t
	t.Helper()
	if err := errors.Join(l.router.SetLinkUp(d.name, false), d.ns.SetLinkUp("eth0", false)); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	t.Logf("%s: %s's links down, killing its ldirectord", at.Format("15:04:05.000"), d.name)
	if err := d.proc.Kill(d.proc.Pid(), syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	d.proc = nil
	return at
}

// unplug removes a dead director's port from br0 (before its reboot plugs
// a new one in under the same name).
func (l *scaleLab) unplug(d *scaleDirector) {
	l.t.Helper()
	if _, err := l.router.Run(l.ctx, "/opt/bin/ip", "link", "del", d.name); err != nil {
		l.t.Fatal(err)
	}
}

// nextHops is the router's kernel route to the VIP: the directors it
// sends to (none: no route).
func (l *scaleLab) nextHops() ([]netip.Addr, error) {
	var hops []netip.Addr
	err := l.router.Do(func() error {
		filter := &netlink.Route{Dst: &net.IPNet{IP: soVIP.AsSlice(), Mask: net.CIDRMask(32, 32)}}
		rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_DST)
		for try := 0; errors.Is(err, netlink.ErrDumpInterrupted) && try < 5; try++ { // BIRD changed the table mid-dump
			rs, err = netlink.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_DST)
		}
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Gw != nil {
				a, _ := netip.AddrFromSlice(r.Gw)
				hops = append(hops, a.Unmap())
			}
			for _, nh := range r.MultiPath {
				a, _ := netip.AddrFromSlice(nh.Gw)
				hops = append(hops, a.Unmap())
			}
		}
		return nil
	})
	slices.SortFunc(hops, netip.Addr.Compare)
	return hops, err
}

// waitHops polls the router's route every 20 ms until its next hops are
// want's directors and returns how long that took (from now).
func (l *scaleLab) waitHops(what string, bound time.Duration, want ...*scaleDirector) time.Duration {
	l.t.Helper()
	var w []netip.Addr
	for _, d := range want {
		w = append(w, d.addr)
	}
	slices.SortFunc(w, netip.Addr.Compare)
	start := time.Now()
	for {
		got, err := l.nextHops()
		if err != nil {
			l.t.Fatal(err)
		}
		if slices.Equal(got, w) {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			proto, _ := l.birdc("show protocols all")
			l.t.Fatalf("%s: the router's next hops to %s are %v after %v, want %v\n%s", what, soVIP, got, bound, w, proto)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdHops fails unless the route keeps want's next hops for d.
func (l *scaleLab) holdHops(what string, d time.Duration, want ...*scaleDirector) {
	l.t.Helper()
	var w []netip.Addr
	for _, x := range want {
		w = append(w, x.addr)
	}
	slices.SortFunc(w, netip.Addr.Compare)
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		got, err := l.nextHops()
		if err != nil {
			l.t.Fatal(err)
		}
		if !slices.Equal(got, w) {
			l.t.Fatalf("%s: the router's next hops became %v, want %v throughout", what, got, w)
		}
	}
}

// owners maps each client end to the director that scheduled it (its
// LOCAL entry; the others hold it as SYNC).
func (l *scaleLab) owners() map[netip.AddrPort]string {
	l.t.Helper()
	out := map[netip.AddrPort]string{}
	for _, d := range l.dirs {
		if d.proc == nil {
			continue
		}
		for _, c := range l.conns(d) {
			if c.Virtual == soVIPPort && c.Origin == ipvs.OriginLocal && c.Established() {
				out[c.Client] = d.name
			}
		}
	}
	return out
}

// conns reads d's IPVS connection table.
func (l *scaleLab) conns(d *scaleDirector) []ipvs.Conn {
	l.t.Helper()
	var conns []ipvs.Conn
	if err := d.ns.Do(func() (err error) { conns, err = ipvs.ReadConns(); return err }); err != nil {
		l.t.Fatalf("%s: %v", d.name, err)
	}
	return conns
}

// synced counts, per director, the client ends in locals it holds as SYNC
// entries (learnt from the others' masters).
func (l *scaleLab) synced(locals []netip.AddrPort) map[string]int {
	l.t.Helper()
	want := map[netip.AddrPort]bool{}
	for _, a := range locals {
		want[a] = true
	}
	out := map[string]int{}
	for _, d := range l.dirs {
		if d.proc == nil {
			continue
		}
		for _, c := range l.conns(d) {
			if c.Origin == ipvs.OriginSync && want[c.Client] {
				out[d.name]++
			}
		}
	}
	return out
}

// downloads is a batch of slow downloads from both clients (half each).
type soBatch struct {
	parts []*e2e.Downloads
	plan  e2e.DownloadPlan
}

func (l *scaleLab) startDownloads(plan e2e.DownloadPlan, seed uint64) *soBatch {
	b := &soBatch{plan: plan}
	for i, c := range l.clients {
		// Idle 40 s: a flow through the dead director stalls until the
		// router drops its path (up to the hold time, 9 s) plus the
		// server's retransmission backoff (its retries 12.6 s and 25.4 s
		// after the first loss); TCP keeps it, the test must too.
		d := &e2e.Downloads{Dial: c.DialContext, Addr: soVIPPort, Bytes: plan.Bytes, Rate: plan.Rate,
			Idle: 40 * time.Second, Deadline: plan.Duration() + 60*time.Second}
		d.Start(l.ctx, plan.K/len(l.clients), seed+uint64(i*1000))
		b.parts = append(b.parts, d)
	}
	return b
}

// waitFlowing waits until every download carried a second's worth of bytes.
func (l *scaleLab) waitFlowing(b *soBatch) {
	l.t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		all := true
		for _, p := range b.parts {
			all = all && p.AllPast(b.plan.Rate)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range b.parts {
				l.t.Logf("stages: %v", p.Stages())
			}
			l.t.Fatalf("the downloads were not all flowing after 40 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *soBatch) locals() []netip.AddrPort {
	var out []netip.AddrPort
	for _, p := range b.parts {
		out = append(out, p.Locals()...)
	}
	return out
}

func (b *soBatch) wait() []e2e.Download {
	var out []e2e.Download
	for _, p := range b.parts {
		out = append(out, p.Wait()...)
	}
	return out
}

// byOwner splits ds by the director that scheduled each before the event.
func byOwner(ds []e2e.Download, owner map[netip.AddrPort]string) map[string][]e2e.Download {
	out := map[string][]e2e.Download{}
	for _, d := range ds {
		o := owner[d.Local]
		if o == "" {
			o = "unknown"
		}
		out[o] = append(out[o], d)
	}
	return out
}

func (l *scaleLab) dumpLogs() {
	for _, d := range l.dirs {
		for _, f := range []string{"ldirectord.log", "ldirectord.out"} {
			if b, err := os.ReadFile(filepath.Join(d.dir, f)); err == nil {
				l.t.Logf("%s %s:\n%s", d.name, f, netlab.Tail(string(b), 40))
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(l.dir, "bird.log")); err == nil {
		l.t.Logf("bird.log:\n%s", netlab.Tail(string(b), 60))
	}
}

// TestScaleOut is issue 15's proof in the real-IPVS VM: three directors
// running the real ldirectord (mh, all-to-all sync, sloppy_tcp, GoBGP)
// behind a BIRD 2 router's ECMP, two clients with 24 slow downloads.
//
//   - kill d2 (links, then processes): the router drops its path within
//     the hold time; every download survives, those d2 carried included;
//   - d2 boots again (a fresh namespace: empty table): its path returns
//     and no download breaks;
//   - a real fails behind d1 only (a blackhole route to it), then on every
//     director: no director withdraws; all reals fail: the VIP is
//     withdrawn; they come back: it returns.
func TestScaleOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	t0 := time.Now()
	l := newScaleLab(t, ctx)
	d1, d2, d3 := l.dirs[0], l.dirs[1], l.dirs[2]
	up := l.waitHops("start", 60*time.Second, d1, d2, d3)
	t.Logf("FIGURE scale-out: lab up, VIP routed over d1 d2 d3 %.1fs after ldirectord started (%.1fs from the start)",
		up.Seconds(), time.Since(t0).Seconds())
	if out, err := d1.ns.Run(ctx, "/opt/bin/ipvsadm", "-Ln"); err == nil {
		t.Logf("d1's table (ipvsadm -Ln):\n%s", out)
	}
	if st := l.status(d1); !strings.Contains(st, "BGP: asn 65001, router id 192.0.2.11, announcing 203.0.113.10/32\n  peer 192.0.2.1 asn 65000: established") {
		t.Errorf("d1's status lacks its route and session:\n%s", st)
	}

	plan := e2e.DownloadPlan{K: 24, Bytes: 120000, Rate: 6000} // 20 s each
	{                                                          // kill a director
		b := l.startDownloads(plan, 1)
		l.waitFlowing(b)
		time.Sleep(e2e.SyncSettle)
		owner := l.owners()
		l.waitAllToAll(b.locals(), owner)
		t.Logf("flows per director before the kill: %v; held as SYNC: %v", countOwners(owner, b.locals()), l.synced(b.locals()))
		at := l.kill(d2)
		gone := l.waitHops("d2 killed", soHold+10*time.Second, d1, d3)
		t.Logf("FIGURE scale-out: d2's path withdrawn %.2fs after its links and processes died (hold time %v)", gone.Seconds(), soHold)
		if gone > soHold+3*time.Second {
			t.Errorf("d2's path withdrawn after %v, want within the hold time %v (+3 s of slack: BIRD's timer, the FIB update and the emulated VM's stalls)", gone, soHold)
		}
		ds := b.wait()
		groups := byOwner(ds, owner)
		for _, name := range []string{"d1", "d2", "d3", "unknown"} {
			g := groups[name]
			if len(g) == 0 {
				continue
			}
			s := e2e.SummarizeDownloads(g, at)
			t.Logf("FIGURE scale-out kill: flows through %s: %s", name, s)
			for _, d := range g {
				if !d.OK() {
					t.Logf("  %s", d)
				}
			}
		}
		if s := e2e.SummarizeDownloads(ds, at); s.Kept != s.Total || s.NotSpanning > 0 {
			t.Errorf("downloads across the kill: %s, want every one kept and in flight at the kill", s)
		}
	}
	{ // a director comes back
		b := l.startDownloads(plan, 1001)
		l.waitFlowing(b)
		time.Sleep(e2e.SyncSettle)
		l.unplug(d2)
		at := time.Now()
		l.boot(d2)
		back := l.waitHops("d2 back", 60*time.Second, d1, d2, d3)
		t.Logf("FIGURE scale-out: d2's path back %.2fs after its ldirectord started", back.Seconds())
		// ldirectord held its first announcement 3 s after starting the
		// sync daemons: the backup should know every flow by now.
		n := len(b.locals())
		t.Logf("FIGURE scale-out: d2 holds %d of the %d flows as SYNC when its path comes back", l.synced(b.locals())["d2"], n)
		for deadline := time.Now().Add(10 * time.Second); l.synced(b.locals())["d2"] < n; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("d2 holds %d of the %d flows as SYNC 10 s after its path came back, want all", l.synced(b.locals())["d2"], n)
				break
			}
		}
		ds := b.wait()
		s := e2e.SummarizeDownloads(ds, at)
		t.Logf("FIGURE scale-out rejoin: %s", s)
		for _, d := range ds {
			if !d.OK() {
				t.Logf("  %s", d)
			}
		}
		if s.Kept != s.Total || s.NotSpanning > 0 {
			t.Errorf("downloads across d2's return: %s, want every one kept and in flight at the return", s)
		}
		if st, err := d2.ns.Run(ctx, "/opt/bin/ipvsadm", "-Ln", "--stats"); err == nil {
			t.Logf("d2's IPVS counters after the return (packets it forwarded):\n%s", st)
		}
	}
	{ // a real fails behind one director only (its path to rs1 breaks)
		if _, err := d1.ns.Run(ctx, "/opt/bin/ip", "route", "add", "blackhole", "192.0.2.21/32"); err != nil {
			t.Fatal(err)
		}
		l.waitWeight(d1, "192.0.2.21:80", 0)
		l.waitWeight(d2, "192.0.2.21:80", 1)
		l.holdHops("rs1 down behind d1", 3*time.Second, d1, d2, d3)
		t.Logf("rs1 down behind d1 only: the VIP stays announced by all three")
		if _, err := d1.ns.Run(ctx, "/opt/bin/ip", "route", "del", "blackhole", "192.0.2.21/32"); err != nil {
			t.Fatal(err)
		}
		l.waitWeight(d1, "192.0.2.21:80", 1)
	}
	{ // reals fail
		l.reals[0].closeListener()
		for _, d := range l.dirs {
			l.waitWeight(d, "192.0.2.21:80", 0)
		}
		l.holdHops("rs1 down", 3*time.Second, d1, d2, d3)
		t.Logf("rs1 down on every director: the VIP stays announced by all three")
		l.reals[1].closeListener()
		l.reals[2].closeListener()
		gone := l.waitHops("every real down", 30*time.Second)
		t.Logf("FIGURE scale-out: every real down -> VIP withdrawn by all directors in %.2fs (checkinterval 1 s)", gone.Seconds())
		for _, rs := range l.reals {
			rs.start(t)
		}
		back := l.waitHops("reals back", 30*time.Second, d1, d2, d3)
		t.Logf("FIGURE scale-out: reals back -> VIP announced again in %.2fs", back.Seconds())
	}
	t.Logf("FIGURE scale-out: whole lab %.0fs", time.Since(t0).Seconds())
}

// waitAllToAll waits until every running director holds as SYNC every
// flow of locals that another one scheduled (ldirectord's ipvs_sync ran
// a master and a backup on each), and checks the sysctls it set.
func (l *scaleLab) waitAllToAll(locals []netip.AddrPort, owner map[netip.AddrPort]string) {
	l.t.Helper()
	want := map[string]int{}
	for _, d := range l.dirs {
		if d.proc == nil {
			continue
		}
		for _, a := range locals {
			if o := owner[a]; o != "" && o != d.name {
				want[d.name]++
			}
		}
		for _, kv := range [][2]string{{"sloppy_tcp", "1"}, {"sync_threshold", "3 0"}, {"sync_refresh_period", "1"}} {
			var got string
			if err := d.ns.Do(func() (err error) { got, err = ipvs.Sysctl(kv[0]); return err }); err != nil || got != kv[1] {
				l.t.Errorf("%s: net.ipv4.vs.%s = %q (%v), want %q (ipvs_sync)", d.name, kv[0], got, err, kv[1])
			}
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := l.synced(locals)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("flows held as SYNC per director %v after 15 s, want %v (every other director's)", got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// countOwners counts the flows of locals per director.
func countOwners(owner map[netip.AddrPort]string, locals []netip.AddrPort) map[string]int {
	out := map[string]int{}
	for _, a := range locals {
		o := owner[a]
		if o == "" {
			o = "unknown"
		}
		out[o]++
	}
	return out
}

// waitWeight waits until d's IPVS table gives real (addr:port) weight w.
func (l *scaleLab) waitWeight(d *scaleDirector, real string, w int) {
	l.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	svc := "TCP " + soVIPPort.String() + " mh (mh-fallback,mh-port)"
	for {
		out, err := d.ns.Run(l.ctx, "/opt/bin/ipvsadm", "-Ln")
		if err != nil {
			l.t.Fatal(err)
		}
		tb, err := parseIpvsadm(string(out))
		if err != nil {
			l.t.Fatal(err)
		}
		got := tb[svc][real]
		if got == fmt.Sprintf("Route %d", w) {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: %s is %q after 30 s, want \"Route %d\":\n%s", d.name, real, got, w, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// status runs `ldirectord status` for d's running instance.
func (l *scaleLab) status(d *scaleDirector) string {
	l.t.Helper()
	out, err := d.ns.Run(l.ctx, binary, "--rundir", filepath.Join(d.dir, "run"), filepath.Join(d.dir, "ldirectord.cf"), "status")
	if err != nil {
		l.t.Fatalf("%s: %v", d.name, err)
	}
	return string(out)
}
