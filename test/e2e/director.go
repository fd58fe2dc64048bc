package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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

	pair   *Pair
	holder *netlab.Proc
	hbd    *netlab.Proc
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
		{"haresources", HaResources(), 0o644},
		{"ldirectord.cf", LdirectordCf(3, p.Timers), 0o644},
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

// Boot starts the director: the holder, then "hbd run" inside it.
func (d *Director) Boot(ctx context.Context) error {
	if d.holder.Running() {
		return fmt.Errorf("boot %s: already running", d.Name)
	}
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
	return d.StartHBD()
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
// namespace is killed with SIGKILL and its switch ports go down. It
// returns the moment just before the kill.
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
	return at, nil
}

// PowerOn reboots a director that PowerOff stopped: the addresses hbd had
// added and the IPVS table are gone (as after a reboot), the ports come up
// and Boot runs.
func (d *Director) PowerOn(ctx context.Context) error {
	if err := d.clearRuntimeState(); err != nil {
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

// clearRuntimeState removes what a reboot loses: the VIPs and the IPVS
// table.
func (d *Director) clearRuntimeState() error {
	h, err := netlink.NewHandleAt(d.NS.Handle(), unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", d.NS.Name, err)
	}
	defer h.Close()
	for _, link := range []string{"eth0", "eth1"} {
		l, err := h.LinkByName(link)
		if err != nil {
			return fmt.Errorf("%s: find %s: %w", d.Name, link, err)
		}
		addrs, err := h.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return fmt.Errorf("%s: list addresses of %s: %w", d.Name, link, err)
		}
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP.To4())
			if ip == LANAddrs[d.Index].Addr() || ip == InsideAddrs[d.Index].Addr() {
				continue
			}
			if err := h.AddrDel(l, &a); err != nil {
				return fmt.Errorf("%s: remove %s from %s: %w", d.Name, ip, link, err)
			}
		}
	}
	return d.flushIPVS()
}
