package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/test/netlab"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// Director is one load balancer of the pair: a network namespace with
// eth0 on the LAN and eth1 on the inside network, and per boot a holder
// process owning its private mount and UTS namespaces (package doc).
type Director struct {
	Index int    // 0 for test1.com, 1 for test2.com
	Name  string // node name and hostname
	NS    *vmnet.NS
	// Dir holds etc/ (bind-mounted on /etc/ha.d), log/ (on /var/log) and
	// state/ (on /var/lib/hbd).
	Dir string

	// Web is the director's own web server in ModeColocatedDR (nil
	// otherwise): it answers the director's name on every address, the
	// VIP included, and runs from boot to power failure.
	Web *Web

	pair   *Pair
	holder *netlab.Proc
	hbd    *netlab.Proc
	websrv *http.Server
}

// startProc starts cmd in its own process group, killed when the test
// binary dies (the VM has no run.sh to sweep leftovers).
func startProc(cmd *exec.Cmd) (*netlab.Proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return netlab.StartProc(cmd, nil)
}

func (p *Pair) newDirector(t testing.TB, i int) *Director {
	t.Helper()
	d := &Director{Index: i, Name: NodeNames[i], NS: vmnet.NewNS(t, fmt.Sprintf("test%d", i+1)), Dir: t.TempDir(), pair: p}
	p.Switch.VethToBridge(t, lanBridge, d.port("lan"), d.NS, "eth0", LANAddrs[i])
	p.Switch.VethToBridge(t, insideBridge, d.port("in"), d.NS, "eth1", InsideAddrs[i])
	if err := d.NS.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	if p.Mode == ModeColocatedDR {
		d.Web = &Web{Name: d.Name, Addr: LANAddrs[i].Addr()}
	}
	for _, sub := range []string{"etc", "log", "state"} {
		if err := os.MkdirAll(filepath.Join(d.Dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []struct {
		name, text string
		mode       os.FileMode
	}{
		{"ha.cf", HaCf(i, p.Timers), 0o644},
		{"authkeys", AuthKeys, 0o600},
		{"haresources", p.Mode.HaResources(), 0o644},
		{"ldirectord.cf", p.Mode.LdirectordCf(3, p.Timers), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(d.EtcDir(), f.name), []byte(f.text), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := d.killAll(); err != nil {
			t.Errorf("%s: cleanup: %v", d.Name, err)
		}
		d.stopWeb()
	})
	return d
}

// port is the director's port name on the switch ("d1-lan").
func (d *Director) port(net string) string { return fmt.Sprintf("d%d-%s", d.Index+1, net) }

// EtcDir is the director's /etc/ha.d as seen from outside.
func (d *Director) EtcDir() string { return filepath.Join(d.Dir, "etc") }

// LogDir is the director's /var/log as seen from outside: ha-log,
// ldirectord.log and hbd.out (hbd's stdout and stderr).
func (d *Director) LogDir() string { return filepath.Join(d.Dir, "log") }

// holderScript sets up a boot's namespaces: hostname, /etc/ha.d, /var/log,
// /var/lib/hbd and a fresh /run, then says "ready" and sleeps.
const holderScript = `hostname "$0" &&
mkdir -p /etc/ha.d /var/log /var/lib/hbd &&
mount --bind "$1" /etc/ha.d &&
mount --bind "$2" /var/log &&
mount --bind "$3" /var/lib/hbd &&
mount -t tmpfs tmpfs /run &&
echo ready &&
exec sleep 1000000`

// Boot starts the director as its init would: in ModeColocatedDR its web
// server, then the holder, "hbd run" inside it and, with a warm standby
// (ModeSync, ModeColocatedDR), `ldirectord ldirectord.cf start` (its init
// script, ordered after hbd as the unit is).
func (d *Director) Boot(ctx context.Context) error {
	if d.holder.Running() {
		return fmt.Errorf("boot %s: already running", d.Name)
	}
	if err := d.startWeb(); err != nil {
		return err
	}
	if err := d.startHolder(ctx); err != nil {
		return err
	}
	if err := d.StartHBD(); err != nil {
		return err
	}
	if d.pair.Mode.WarmStandby() {
		return d.StartLdirectord(ctx)
	}
	return nil
}

// StartLdirectord runs `ldirectord ldirectord.cf start` in the director,
// as its init script or unit does at boot or after a crash; it returns
// once ldirectord has synced the IPVS table (what start waits for).
func (d *Director) StartLdirectord(ctx context.Context) error {
	out, code, err := d.Ldirectord(ctx, "start")
	if err != nil || code != 0 {
		return fmt.Errorf("%s: ldirectord ldirectord.cf start: exit %d, %v: %s", d.Name, code, err, out)
	}
	return nil
}

// startWeb starts the director's own web server (ModeColocatedDR) on
// port 80 of every address of its namespace.
func (d *Director) startWeb() error {
	if d.Web == nil {
		return nil
	}
	l, err := d.NS.Listen("tcp", fmt.Sprintf(":%d", HTTPPort))
	if err != nil {
		return fmt.Errorf("%s: web server: %w", d.Name, err)
	}
	d.Web.NS = d.NS
	d.websrv = &http.Server{Handler: d.Web, ReadHeaderTimeout: 5 * time.Second}
	go d.websrv.Serve(l) // ends with ErrServerClosed at stopWeb
	return nil
}

// stopWeb closes the director's web server and its connections (at power
// failure: nothing of it leaves the unplugged namespace).
func (d *Director) stopWeb() {
	if d.websrv != nil {
		d.websrv.Close()
		d.websrv = nil
	}
}

// startHolder starts the boot's holder process (package doc) and waits
// for its namespaces to be ready.
func (d *Director) startHolder(ctx context.Context) error {
	ip, err := lookPath("ip")
	if err != nil {
		return err
	}
	cmd := exec.Command(ip, "netns", "exec", d.NS.Name, "unshare", "-m", "-u", "--propagation", "private",
		"sh", "-c", holderScript, d.Name, d.EtcDir(), d.LogDir(), filepath.Join(d.Dir, "state"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("boot %s: %w", d.Name, err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	h, err := startProc(cmd)
	if err != nil {
		return fmt.Errorf("boot %s: start holder: %w", d.Name, err)
	}
	d.holder = h
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	select {
	case line := <-ready:
		if line != "ready" {
			return fmt.Errorf("boot %s: holder: %v: %s", d.Name, h.Err(), stderr.String())
		}
	case <-ctx.Done():
		return fmt.Errorf("boot %s: holder not ready: %w", d.Name, ctx.Err())
	}
	return nil
}

// StartHBD starts "hbd run" in the director (stdout and stderr appended to
// LogDir()/hbd.out).
func (d *Director) StartHBD() error {
	if d.hbd.Running() {
		return fmt.Errorf("%s: hbd already running", d.Name)
	}
	f, err := os.OpenFile(filepath.Join(d.LogDir(), "hbd.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd, err := d.command(context.Background(), d.pair.Bins.HBD, "run")
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = f, f
	p, err := startProc(cmd)
	if err != nil {
		return fmt.Errorf("%s: start hbd: %w", d.Name, err)
	}
	d.hbd = p
	return nil
}

// PoweredOn reports whether the director is booted (its holder runs).
func (d *Director) PoweredOn() bool { return d.holder.Running() }

// HBDRunning reports whether the hbd started by Boot is still running.
func (d *Director) HBDRunning() bool { return d.hbd.Running() }

// HBDExited is closed when the hbd started by Boot exits.
func (d *Director) HBDExited() <-chan struct{} { return d.hbd.Done() }

// command returns argv run in the director's namespaces (nsenter into the
// holder: network, UTS and mount).
func (d *Director) command(ctx context.Context, argv ...string) (*exec.Cmd, error) {
	if !d.holder.Running() {
		return nil, fmt.Errorf("%s is powered off", d.Name)
	}
	nsenter, err := lookPath("nsenter")
	if err != nil {
		return nil, err
	}
	args := append([]string{"-F", "-t", strconv.Itoa(d.holder.Pid()), "-m", "-u", "-n", "--"}, argv...)
	return exec.CommandContext(ctx, nsenter, args...), nil
}

// Exec runs argv in the director and returns its combined output and exit
// code; err is set only when it could not run or was killed.
func (d *Director) Exec(ctx context.Context, argv ...string) (string, int, error) {
	cmd, err := d.command(ctx, argv...)
	if err != nil {
		return "", -1, err
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return string(out), ee.ExitCode(), nil
	}
	if err != nil {
		return string(out), -1, fmt.Errorf("%s: %s: %w", d.Name, strings.Join(argv, " "), err)
	}
	return string(out), 0, nil
}

// HBD runs "hbd args..." in the director.
func (d *Director) HBD(ctx context.Context, args ...string) (string, int, error) {
	return d.Exec(ctx, append([]string{d.pair.Bins.HBD}, args...)...)
}

// Ldirectord runs "ldirectord ldirectord.cf args..." in the director.
func (d *Director) Ldirectord(ctx context.Context, args ...string) (string, int, error) {
	return d.Exec(ctx, append([]string{d.pair.Bins.Ldirectord, "ldirectord.cf"}, args...)...)
}

// PowerOff is a power failure: every process in the director's network
// namespace is killed with SIGKILL and its switch ports go down (then its
// web server, in ModeColocatedDR, dies too). It returns the moment just
// before the kill.
func (d *Director) PowerOff() (time.Time, error) {
	at := time.Now()
	if err := d.killAll(); err != nil {
		return at, err
	}
	for _, n := range []string{"lan", "in"} {
		if err := d.setPort(d.port(n), false); err != nil {
			return at, err
		}
	}
	d.stopWeb()
	return at, nil
}

// PowerOn reboots a director that PowerOff stopped: it gets a fresh
// network namespace (reboot), the ports come up and Boot runs. Call it
// from the test goroutine.
func (d *Director) PowerOn(ctx context.Context) error {
	if err := d.reboot(); err != nil {
		return err
	}
	for _, n := range []string{"lan", "in"} {
		if err := d.setPort(d.port(n), true); err != nil {
			return err
		}
	}
	return d.Boot(ctx)
}

// killAll sends SIGKILL to every process in the director's network
// namespace until none is left (bounded: 10 s), and reaps the holder and
// hbd.
func (d *Director) killAll() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := d.Pids()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: processes %v survive SIGKILL", d.Name, pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond) // let the kernel finish the kills before rescanning
	}
	for _, p := range []*netlab.Proc{d.hbd, d.holder} {
		if p == nil {
			continue
		}
		select {
		case <-p.Done():
		case <-time.After(10 * time.Second):
			return fmt.Errorf("%s: pid %d not reaped", d.Name, p.Pid())
		}
	}
	return nil
}

// Pids lists the processes inside the director's network namespace.
func (d *Director) Pids() ([]int, error) {
	var st unix.Stat_t
	if err := unix.Stat(d.NS.Path(), &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, nil // deleted at cleanup, after its processes were killed
		}
		return nil, fmt.Errorf("stat %s: %w", d.NS.Path(), err)
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	return findPids(func(pid int) bool {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		return err == nil && l == want
	})
}

// LdirectordPids lists the ldirectord processes in the director.
func (d *Director) LdirectordPids() ([]int, error) {
	pids, err := d.Pids()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, pid := range pids {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && filepath.Base(exe) == "ldirectord" {
			out = append(out, pid)
		}
	}
	return out, nil
}

func findPids(match func(int) bool) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if match(pid) {
			out = append(out, pid)
		}
	}
	return out, nil
}

func (d *Director) setPort(name string, up bool) error {
	return d.pair.Switch.SetLinkUp(name, up)
}

// VIPs returns the IPv4 addresses on eth0 and eth1 other than the
// director's own (the VIPs it holds).
func (d *Director) VIPs() (map[netip.Addr]bool, error) {
	h, err := netlink.NewHandleAt(d.NS.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", d.NS.Name, err)
	}
	defer h.Close()
	out := map[netip.Addr]bool{}
	for _, link := range []string{"eth0", "eth1"} {
		l, err := h.LinkByName(link)
		if err != nil {
			return nil, fmt.Errorf("%s: find %s: %w", d.Name, link, err)
		}
		addrs, err := h.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return nil, fmt.Errorf("%s: list addresses of %s: %w", d.Name, link, err)
		}
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP.To4())
			if ip != LANAddrs[d.Index].Addr() && ip != InsideAddrs[d.Index].Addr() {
				out[ip] = true
			}
		}
	}
	return out, nil
}

// reboot gives the director a fresh network namespace, as a reboot gives
// it a fresh kernel: eth0 and eth1 move into it (keeping their MAC
// addresses and switch ports) with only the director's own addresses and
// ip_forward on (its sysctl.conf). Everything else of the old kernel stays
// behind in the old namespace, which nothing reaches any more and which
// is deleted at the end of the test: the VIPs, the IPVS table and its
// connections, the kernel's sync daemons (kernel threads that survive the
// SIGKILL of every process) and every sysctl hbd or ldirectord set.
func (d *Director) reboot() error {
	if d.holder.Running() {
		return fmt.Errorf("reboot %s: still powered on", d.Name)
	}
	old := d.NS
	fresh := vmnet.NewNS(d.pair.t, fmt.Sprintf("test%d", d.Index+1))
	// Cleanups run last-in first-out: this one stops what runs in the
	// fresh namespace before its deletion (registered by NewNS) runs.
	d.pair.t.Cleanup(func() {
		if err := d.killAll(); err != nil {
			d.pair.t.Errorf("%s: cleanup: %v", d.Name, err)
		}
		d.stopWeb()
	})
	h, err := netlink.NewHandleAt(old.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", old.Name, err)
	}
	defer h.Close()
	for _, l := range []struct {
		name string
		addr netip.Prefix
	}{{"eth0", LANAddrs[d.Index]}, {"eth1", InsideAddrs[d.Index]}} {
		link, err := h.LinkByName(l.name)
		if err != nil {
			return fmt.Errorf("reboot %s: find %s: %w", d.Name, l.name, err)
		}
		if err := h.LinkSetNsFd(link, int(fresh.Handle())); err != nil {
			return fmt.Errorf("reboot %s: move %s: %w", d.Name, l.name, err)
		}
		if err := fresh.NS.AddAddr(l.name, l.addr); err != nil {
			return fmt.Errorf("reboot %s: %w", d.Name, err)
		}
		if err := fresh.SetLinkUp(l.name, true); err != nil {
			return fmt.Errorf("reboot %s: %w", d.Name, err)
		}
	}
	if err := fresh.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
		return fmt.Errorf("reboot %s: %w", d.Name, err)
	}
	d.NS = fresh
	return nil
}
