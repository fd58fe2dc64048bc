//go:build vm

package ipvs

// Real-kernel tests of the sync-daemon client (SyncNetlink), the sysctl and
// connection-table helpers; they run only inside the test VM
// (test/vm/run.sh), each in network namespaces of its own. Read-backs are
// also checked against ipvsadm --list --daemon, so that our encoder and
// decoder cannot share a mistake unseen.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// dmesgOnFailure logs the kernel's messages (the sync threads log their
// start and stop) when t fails.
func dmesgOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "/bin/dmesg").CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Logf("dmesg (%v), last lines:\n%s", err, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	})
}

func openSyncInNS(t *testing.T, ns *vmnet.NS) *SyncNetlink {
	t.Helper()
	var n *SyncNetlink
	if err := ns.Do(func() (err error) { n, err = OpenSyncNetlink(); return err }); err != nil {
		t.Fatalf("OpenSyncNetlink in %s: %v", ns, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func daemons(t *testing.T, n *SyncNetlink) []SyncDaemon {
	t.Helper()
	ds, err := n.Daemons()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// ipvsadmDaemons returns the lines of "ipvsadm --list --daemon" in ns.
func ipvsadmDaemons(t *testing.T, ns *vmnet.NS) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ns.Run(ctx, "/opt/bin/ipvsadm", "--list", "--daemon")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// checkDaemons compares Daemons with want and with ipvsadm's listing,
// which prints the same fields in the format of SyncDaemon.String.
func checkDaemons(t *testing.T, ns *vmnet.NS, n *SyncNetlink, want []SyncDaemon) {
	t.Helper()
	got := daemons(t, n)
	if diff := cmp.Diff(want, got, cmpAddr); diff != "" {
		t.Errorf("Daemons (-want +got):\n%s", diff)
	}
	var wantLines []string
	for _, d := range want {
		wantLines = append(wantLines, d.String())
	}
	if diff := cmp.Diff(wantLines, ipvsadmDaemons(t, ns)); diff != "" {
		t.Errorf("ipvsadm --list --daemon (-want +got):\n%s", diff)
	}
}

func TestVMSyncDaemonRoundTrip(t *testing.T) {
	dmesgOnFailure(t)
	ns := vmnet.NewNS(t, "sync")
	ns.Dummy(t, "sync0", netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("2001:db8:5::1/64"))
	n := openSyncInNS(t, ns)
	checkDaemons(t, ns, n, []SyncDaemon{})

	// ipvsadm's defaults: the kernel fills in maxlen, group, port and ttl.
	master := SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: DefaultSyncID}
	if err := n.Start(master); err != nil {
		t.Fatal(err)
	}
	masterEff := master
	masterEff.MaxLen, masterEff.Group, masterEff.Port, masterEff.TTL = DefaultSyncMaxLen, DefaultSyncGroup, DefaultSyncPort, DefaultSyncTTL
	checkDaemons(t, ns, n, []SyncDaemon{masterEff})

	// Every optional attribute, on a backup running beside the master.
	backup := SyncDaemon{State: SyncBackup, Interface: "sync0", SyncID: 0, MaxLen: 4000,
		Group: netip.MustParseAddr("239.1.2.3"), Port: 9000, TTL: 3}
	if err := n.Start(backup); err != nil {
		t.Fatal(err)
	}
	checkDaemons(t, ns, n, []SyncDaemon{masterEff, backup})

	if err := n.Stop(SyncMaster); err != nil {
		t.Fatal(err)
	}
	checkDaemons(t, ns, n, []SyncDaemon{backup})
	if err := n.Stop(SyncBackup); err != nil {
		t.Fatal(err)
	}
	checkDaemons(t, ns, n, []SyncDaemon{})

	t.Run("backup default maxlen follows the MTU", func(t *testing.T) {
		// start_sync_thread: a backup's default is clamp(mtu, 1500, 65535)
		// less the IPv4 and UDP headers.
		if _, err := ns.Run(context.Background(), "/opt/bin/ip", "link", "set", "sync0", "mtu", "9000"); err != nil {
			t.Fatal(err)
		}
		if err := n.Start(SyncDaemon{State: SyncBackup, Interface: "sync0", SyncID: 1}); err != nil {
			t.Fatal(err)
		}
		got := daemons(t, n)
		if len(got) != 1 || got[0].MaxLen != 9000-28 {
			t.Errorf("backup on a 9000-byte MTU: %v, want maxlen 8972", got)
		}
		if err := n.Stop(SyncBackup); err != nil {
			t.Fatal(err)
		}
	})

	// A stop right after the start finds the daemon's kernel thread not yet
	// run: the kernel then answers nothing (EINTR swallowed by
	// netlink_rcv_skb), which Stop must handle without waiting for an
	// acknowledgement that never comes.
	t.Run("stop right after start", func(t *testing.T) {
		for i := range 5 {
			for _, s := range []SyncState{SyncMaster, SyncBackup} {
				if err := n.Start(SyncDaemon{State: s, Interface: "sync0", SyncID: uint8(i)}); err != nil {
					t.Fatal(err)
				}
				if err := n.Stop(s); err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
			}
			if ds := daemons(t, n); len(ds) != 0 {
				t.Fatalf("round %d: still running: %v", i, ds)
			}
		}
	})

	t.Run("IPv6 group", func(t *testing.T) {
		for _, s := range []SyncState{SyncMaster, SyncBackup} {
			d := SyncDaemon{State: s, Interface: "sync0", SyncID: 9, Group: netip.MustParseAddr("ff02::81"), Port: 8848, TTL: 1, MaxLen: 1400}
			if err := n.Start(d); err != nil {
				t.Fatal(err)
			}
			checkDaemons(t, ns, n, []SyncDaemon{d})
			if err := n.Stop(s); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestVMSyncDaemonErrors(t *testing.T) {
	dmesgOnFailure(t)
	ns := vmnet.NewNS(t, "syncerr")
	ns.Dummy(t, "sync0", netip.MustParsePrefix("10.0.0.1/24"))
	n := openSyncInNS(t, ns)
	master := SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: 5}

	t.Run("start twice", func(t *testing.T) {
		if err := n.Start(master); err != nil {
			t.Fatal(err)
		}
		err := n.Start(SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: 6})
		if !errors.Is(err, ErrSyncRunning) || !errors.Is(err, syscall.EEXIST) {
			t.Fatalf("second master start: got %v, want ErrSyncRunning and EEXIST", err)
		}
		t.Logf("second start: %v", err)
		checkDaemons(t, ns, n, []SyncDaemon{{State: SyncMaster, Interface: "sync0", SyncID: 5, MaxLen: 1472, Group: DefaultSyncGroup, Port: 8848, TTL: 1}})
		if err := n.Stop(SyncMaster); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("stop not running", func(t *testing.T) {
		for _, s := range []SyncState{SyncMaster, SyncBackup} {
			err := n.Stop(s)
			if !errors.Is(err, ErrSyncNotRunning) || !errors.Is(err, syscall.ESRCH) {
				t.Errorf("stop %s: got %v, want ErrSyncNotRunning and ESRCH", s, err)
			}
		}
	})

	t.Run("missing interface", func(t *testing.T) {
		err := n.Start(SyncDaemon{State: SyncBackup, Interface: "nosuch0", SyncID: 1})
		if !errors.Is(err, syscall.ENODEV) {
			t.Fatalf("start on a missing interface: got %v, want ENODEV", err)
		}
		t.Logf("missing interface: %v", err)
	})

	// What Validate refuses, the kernel refuses too: send it without the
	// Go validation and check the errno.
	for _, tt := range []struct {
		name string
		d    SyncDaemon
		want syscall.Errno
	}{
		{"unicast IPv4 group", SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: 1, Group: netip.MustParseAddr("10.0.0.2")}, syscall.EINVAL},
		{"unicast IPv6 group", SyncDaemon{State: SyncBackup, Interface: "sync0", SyncID: 1, Group: netip.MustParseAddr("2001:db8::2")}, syscall.EINVAL},
		{"16-byte interface name", SyncDaemon{State: SyncMaster, Interface: "abcdefghijklmnop", SyncID: 1}, syscall.EINVAL},
		{"state 3", SyncDaemon{State: 3, Interface: "sync0", SyncID: 1}, syscall.EINVAL},
		{"state 0", SyncDaemon{State: 0, Interface: "sync0", SyncID: 1}, syscall.EINVAL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verr := n.Start(tt.d)
			if verr == nil || errors.Is(verr, tt.want) {
				t.Errorf("Start: got %v, want our validation error (no errno)", verr)
			}
			kerr := n.exchange(request{payload: encodeStartDaemon(tt.d), flags: unix.NLM_F_ACK})[0]
			if !errors.Is(kerr, tt.want) {
				t.Errorf("kernel: got %v, want %v", kerr, tt.want)
			}
			t.Logf("validation: %v; kernel: %v", verr, kerr)
		})
	}
	t.Run("stop state 3", func(t *testing.T) {
		if err := n.Stop(3); err == nil || errors.Is(err, syscall.EINVAL) {
			t.Errorf("Stop(3): got %v, want our validation error", err)
		}
		if err := n.exchange(request{payload: encodeStopDaemon(3), flags: unix.NLM_F_ACK})[0]; !errors.Is(err, syscall.EINVAL) {
			t.Errorf("kernel DEL_DAEMON state 3: got %v, want EINVAL", err)
		}
	})
	checkDaemons(t, ns, n, []SyncDaemon{})
}

// syncLab is two directors A and B with the same NAT service, a client
// behind A and one real server; A, B and the real share the segment lan
// (a bridge in a namespace of its own), which carries the sync multicast:
//
//	client 198.51.100.2 2001:db8:100::2 --- A cli0 198.51.100.1 2001:db8:100::1
//	A vip0 203.0.113.10 2001:db8:203::10; services vip:8080 -> real:8080 masq
//	A eth1 192.0.2.1 2001:db8:2::1 ---+--- lan br0 ---+--- B eth1 192.0.2.2 2001:db8:2::2
//	                                  +--- rs eth0 192.0.2.11 2001:db8:2::11 (gateway A)
type syncLab struct {
	client, a, b, rs *vmnet.NS
	svc, svc6        ServiceKey
	svcP             ServiceKey // persistent (300 s), same real
	real, real6      netip.AddrPort
}

func newSyncLab(t *testing.T) *syncLab {
	t.Helper()
	p := netip.MustParsePrefix
	l := &syncLab{
		client: vmnet.NewNS(t, "client"), a: vmnet.NewNS(t, "dirA"), b: vmnet.NewNS(t, "dirB"), rs: vmnet.NewNS(t, "rs"),
		svc:   ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("203.0.113.10:8080")},
		svc6:  ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("[2001:db8:203::10]:8080")},
		svcP:  ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("203.0.113.10:8081")},
		real:  netip.MustParseAddrPort("192.0.2.11:8080"),
		real6: netip.MustParseAddrPort("[2001:db8:2::11]:8080"),
	}
	lan := vmnet.NewNS(t, "lan")
	lan.Bridge(t, "br0")
	vmnet.Veth(t, l.client, "eth0", p("198.51.100.2/24"), l.a, "cli0", p("198.51.100.1/24"))
	l.client.AddAddr(t, "eth0", p("2001:db8:100::2/64"))
	l.a.AddAddr(t, "cli0", p("2001:db8:100::1/64"))
	l.client.AddRoute(t, netip.Prefix{}, netip.MustParseAddr("198.51.100.1"))
	l.client.AddRoute(t, netip.Prefix{}, netip.MustParseAddr("2001:db8:100::1"))
	l.a.Dummy(t, "vip0", p("203.0.113.10/32"), p("2001:db8:203::10/128"))
	lan.VethToBridge(t, "br0", "a", l.a, "eth1", p("192.0.2.1/24"), p("2001:db8:2::1/64"))
	lan.VethToBridge(t, "br0", "b", l.b, "eth1", p("192.0.2.2/24"), p("2001:db8:2::2/64"))
	lan.VethToBridge(t, "br0", "rs", l.rs, "eth0", p("192.0.2.11/24"), p("2001:db8:2::11/64"))
	l.rs.AddRoute(t, netip.Prefix{}, netip.MustParseAddr("192.0.2.1"))
	l.rs.AddRoute(t, netip.Prefix{}, netip.MustParseAddr("2001:db8:2::1"))
	for _, d := range []*vmnet.NS{l.a, l.b} {
		for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv6.conf.all.forwarding", "1"}} {
			if err := d.Sysctl(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		k := openInNS(t, d)
		for _, s := range []struct {
			key  ServiceKey
			real netip.AddrPort
			bits uint8
			pers bool
		}{{l.svc, l.real, 32, false}, {l.svc6, l.real6, 128, false}, {l.svcP, l.real, 32, true}} {
			svc := Service{Key: s.key, Scheduler: "rr", NetmaskBits: s.bits}
			if s.pers {
				svc.Flags, svc.Timeout = FlagPersistent, 300
			}
			if err := k.AddService(svc); err != nil {
				t.Fatal(err)
			}
			if err := k.AddReal(s.key, Real{Addr: s.real, Weight: 1, Forward: Masq}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l
}

// sink serves the real server until the test ends: a connection whose
// first byte is 'd' gets 1 KB every 100 ms (a slow download: the client's
// ACKs are the incoming packets IPVS counts), any other is read and
// discarded (an upload).
func (l *syncLab) sink(t *testing.T) {
	t.Helper()
	ln, err := l.rs.Listen("tcp", "[::]:8080")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns { // unblocks a Write to a peer gone silent
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				first := make([]byte, 1)
				if _, err := io.ReadFull(c, first); err != nil || first[0] != 'd' {
					io.Copy(io.Discard, c)
					return
				}
				go io.Copy(io.Discard, c) // returns when c closes
				chunk := make([]byte, 1024)
				for {
					if _, err := c.Write(chunk); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}()
		}
	}()
}

// flow is a client connection through A: an upload sending one byte (one
// incoming packet for IPVS) every interval, or a download (interval 0 and
// download set) reading the real's 1 KB every 100 ms; interval 0 without
// download is an idle connection.
type flow struct {
	conn   net.Conn
	client netip.AddrPort
	stop   chan struct{}
	done   chan error
}

func (l *syncLab) startFlow(t *testing.T, vs ServiceKey, interval time.Duration, download bool) *flow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := l.client.DialContext(ctx, "tcp", vs.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	a := c.LocalAddr().(*net.TCPAddr).AddrPort()
	f := &flow{conn: c, client: netip.AddrPortFrom(a.Addr().Unmap(), a.Port()), stop: make(chan struct{}), done: make(chan error, 1)}
	if download {
		if _, err := c.Write([]byte("d")); err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := io.Copy(io.Discard, c)
			select {
			case <-f.stop:
				err = nil // closed by close
			default:
			}
			f.done <- err
		}()
		t.Cleanup(f.close)
		return f
	}
	go func() {
		var tick <-chan time.Time // nil: idle, never sends
		if interval > 0 {
			tk := time.NewTicker(interval)
			defer tk.Stop()
			tick = tk.C
		}
		for {
			select {
			case <-f.stop:
				f.done <- nil
				return
			case <-tick:
				if _, err := c.Write([]byte("x")); err != nil {
					f.done <- err
					return
				}
			}
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *flow) close() {
	select {
	case <-f.stop:
		return
	default:
	}
	close(f.stop)
	f.conn.Close()
	<-f.done
}

// findConn returns the entry of ns's connection table for client, if any.
func findConn(ns *vmnet.NS, client netip.AddrPort) (Conn, bool, error) {
	var conns []Conn
	if err := ns.Do(func() (err error) { conns, err = ReadConns(); return err }); err != nil {
		return Conn{}, false, err
	}
	for _, c := range conns {
		if c.Client == client && c.Proto == TCP {
			return c, true, nil
		}
	}
	return Conn{}, false, nil
}

// waitConn polls ns's table every 20 ms until the connection of client is
// there and ESTABLISHED, or limit passes; it returns the entry and how long
// it took from start.
func waitConn(t *testing.T, ns *vmnet.NS, client netip.AddrPort, start time.Time, limit time.Duration) (Conn, time.Duration, bool) {
	t.Helper()
	for {
		c, ok, err := findConn(ns, client)
		if err != nil {
			t.Fatal(err)
		}
		if ok && c.State == "ESTABLISHED" {
			return c, time.Since(start), true
		}
		if time.Since(start) > limit {
			return c, time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readProc(t *testing.T, ns *vmnet.NS, name string) string {
	t.Helper()
	var b []byte
	if err := ns.Do(func() (err error) { b, err = os.ReadFile("/proc/thread-self/net/" + name); return err }); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVMSyncConnection is the end-to-end proof: with a master on A and a
// backup on B, TCP connections through A's services appear in B's table,
// marked SYNC, ESTABLISHED, bound to the same real, IPv4 and IPv6, and a
// persistent service's template with them.
func TestVMSyncConnection(t *testing.T) {
	dmesgOnFailure(t)
	l := newSyncLab(t)
	l.sink(t)
	na, nb := openSyncInNS(t, l.a), openSyncInNS(t, l.b)
	if err := na.Start(SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 7}); err != nil {
		t.Fatal(err)
	}
	if err := nb.Start(SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 7}); err != nil {
		t.Fatal(err)
	}
	cmpConn := []cmp.Option{
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Expires" }, cmp.Ignore()),
	}
	// The connections stay open until the end, for the capture.
	for _, tt := range []struct {
		name string
		vs   ServiceKey
		real netip.AddrPort
	}{{"v4", l.svc, l.real}, {"v6", l.svc6, l.real6}, {"v4 persistent", l.svcP, l.real}} {
		start := time.Now()
		u := l.startFlow(t, tt.vs, 100*time.Millisecond, false)
		t.Run(tt.name, func(t *testing.T) {
			local, took, ok := waitConn(t, l.a, u.client, start, 5*time.Second)
			if !ok {
				t.Fatalf("connection %s not ESTABLISHED on A after %v: %+v", u.client, took, local)
			}
			got, delay, ok := waitConn(t, l.b, u.client, start, 10*time.Second)
			if !ok {
				t.Fatalf("connection %s not on the backup after %v (A has %+v)", u.client, delay, local)
			}
			t.Logf("FIGURE sync %s: connection on the backup %v after connect (A had it after %v)", tt.name, delay.Round(time.Millisecond), took.Round(time.Millisecond))
			want := Conn{Proto: TCP, Client: u.client, Virtual: tt.vs.Addr, Real: tt.real, State: "ESTABLISHED", Origin: OriginSync}
			if diff := cmp.Diff(want, got, cmpConn...); diff != "" {
				t.Errorf("backup's entry (-want +got):\n%s", diff)
			}
			if local.Origin != OriginLocal {
				t.Errorf("A's entry has origin %q, want LOCAL", local.Origin)
			}
			if got.Expires < 800*time.Second {
				t.Errorf("backup's entry expires in %v, want the established timeout (900 s) carried by sync v1", got.Expires)
			}
			if tt.vs != l.svcP {
				return
			}
			// The persistence template (client port 0) is synced with it.
			tpl := netip.AddrPortFrom(u.client.Addr(), 0)
			var conns []Conn
			if err := l.b.Do(func() (err error) { conns, err = ReadConns(); return err }); err != nil {
				t.Fatal(err)
			}
			for _, c := range conns {
				if c.Client == tpl && c.Virtual == tt.vs.Addr {
					t.Logf("template on the backup: %+v", c)
					if c.Real != tt.real || c.Origin != OriginSync || c.Expires < 250*time.Second {
						t.Errorf("template on the backup: %+v, want real %s, SYNC, about 300 s left", c, tt.real)
					}
					return
				}
			}
			t.Errorf("no persistence template %s -> %s on the backup: %+v", tpl, tt.vs.Addr, conns)
		})
	}
	// Captures for the parser's unit test (testdata/ip_vs_conn*.txt).
	t.Logf("CAPTURE A ip_vs_conn\n%sCAPTURE END", readProc(t, l.a, "ip_vs_conn"))
	t.Logf("CAPTURE A ip_vs_conn_sync\n%sCAPTURE END", readProc(t, l.a, "ip_vs_conn_sync"))
	t.Logf("CAPTURE B ip_vs_conn_sync\n%sCAPTURE END", readProc(t, l.b, "ip_vs_conn_sync"))
}

// TestVMSyncLateBackup measures the failback case: a backup that starts
// after a connection was established learns it only from the master's
// next sync message for it. Each case sets the master's sync sysctls,
// opens a connection, waits 3.5 s (so that the connection's first sync
// message, held up to 3 s in the master's buffer, has gone out to nobody),
// starts the backup and measures how long the connection takes to appear
// there. lateBackupSamples repeats every case.
func TestVMSyncLateBackup(t *testing.T) {
	dmesgOnFailure(t)
	samples := lateBackupSamples
	l := newSyncLab(t)
	l.sink(t)
	na, nb := openSyncInNS(t, l.a), openSyncInNS(t, l.b)
	if err := na.Start(SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 7}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		threshold string // sync_threshold on the master
		refresh   string // sync_refresh_period (seconds)
		interval  time.Duration
		download  bool
		appears   bool          // whether the connection must show up
		bound     time.Duration // within this (or how long to watch)
		extended  bool          // only with lateBackupAll (the vmbench tag)
	}{
		// 10 packets/s: the default re-syncs every 50th packet, so within
		// 5 s, plus up to 3 s in the master's buffer.
		{"default 3 50, upload 10 pkt/s", "3 50", "0", 100 * time.Millisecond, false, true, 12 * time.Second, true},
		{"default 3 50, download 10 KB/s", "3 50", "0", 0, true, true, 12 * time.Second, false},
		// A refresh period only throttles: with the default period 50 the
		// connection still waits for its 53rd packet, 25 s at 2 pkt/s.
		{"3 50 refresh 1 s, upload 2 pkt/s", "3 50", "1", 500 * time.Millisecond, false, false, 8 * time.Second, false},
		{"3 10, upload 10 pkt/s", "3 10", "0", 100 * time.Millisecond, false, true, 12 * time.Second, true},
		{"3 0 refresh 1 s, upload 10 pkt/s", "3 0", "1", 100 * time.Millisecond, false, true, 12 * time.Second, true},
		{"3 0 refresh 1 s, upload 2 pkt/s", "3 0", "1", 500 * time.Millisecond, false, true, 12 * time.Second, false},
		{"3 0 refresh 1 s, download 10 KB/s", "3 0", "1", 0, true, true, 12 * time.Second, false},
		// Period 0 and no refresh: only state changes are synced.
		{"3 0 refresh 0, upload 10 pkt/s", "3 0", "0", 100 * time.Millisecond, false, false, 8 * time.Second, true},
		// Nothing is ever synced without a packet.
		{"3 0 refresh 1 s, idle", "3 0", "1", 0, false, false, 8 * time.Second, true},
	} {
		if tt.extended && !lateBackupAll {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			var prevT, prevR string
			if err := l.a.Do(func() (err error) {
				if prevT, err = SetSysctl(SysctlSyncThreshold, tt.threshold); err != nil {
					return err
				}
				prevR, err = SetSysctl(SysctlSyncRefreshPeriod, tt.refresh)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				l.a.Do(func() error {
					_, e1 := SetSysctl(SysctlSyncThreshold, prevT)
					_, e2 := SetSysctl(SysctlSyncRefreshPeriod, prevR)
					return errors.Join(e1, e2)
				})
			})
			var took []string
			for range samples {
				if d, ok := lateBackupOnce(t, l, nb, tt.interval, tt.download, tt.bound); ok != tt.appears {
					if ok {
						t.Fatalf("connection on the backup after %v, want it never synced", d)
					}
					t.Fatalf("connection not on the backup within %v", tt.bound)
				} else {
					took = append(took, d.Round(10*time.Millisecond).String())
				}
			}
			if tt.appears {
				t.Logf("FIGURE late backup, %s: on the backup after %s (from the backup's start)", tt.name, strings.Join(took, ", "))
			} else {
				t.Logf("FIGURE late backup, %s: not on the backup after %s (as expected)", tt.name, strings.Join(took, ", "))
			}
		})
	}
}

// lateBackupSamples is how many times TestVMSyncLateBackup runs each case:
// 1 in make test; raise it by hand to measure the spread (the figures in
// the commit log used 4). make test runs the cases that pin what
// LVSSyncDaemonSwap relies on (about 30 s of VM time); the vmbench tag
// (lateBackupAll) runs all nine (about 70 s).
const lateBackupSamples = 1

// lateBackupAll: make test runs only the cases that pin what
// LVSSyncDaemonSwap relies on; latebackup_all_vm_test.go (vmbench) sets it.
var lateBackupAll = false

// lateBackupOnce opens a connection, lets its first sync go out to nobody,
// starts the backup and reports how long the connection took to appear
// there (or how long it was watched).
func lateBackupOnce(t *testing.T, l *syncLab, nb *SyncNetlink, interval time.Duration, download bool, bound time.Duration) (time.Duration, bool) {
	t.Helper()
	f := l.startFlow(t, l.svc, interval, download)
	defer f.close()
	if _, _, ok := waitConn(t, l.a, f.client, time.Now(), 5*time.Second); !ok {
		t.Fatal("connection not established on A")
	}
	time.Sleep(3500 * time.Millisecond)
	if _, ok, _ := findConn(l.b, f.client); ok {
		t.Fatal("the backup has the connection before it started")
	}
	start := time.Now()
	if err := nb.Start(SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 7}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := nb.Stop(SyncBackup); err != nil {
			t.Error(err)
		}
	}()
	_, took, ok := waitConn(t, l.b, f.client, start, bound)
	return took, ok
}

// TestVMSysctl: the IPVS sysctls of a fresh namespace have the kernel's
// defaults, a write stays in its namespace and returns the previous value,
// and a value of the right shape that the kernel refuses changes nothing.
func TestVMSysctl(t *testing.T) {
	a, b := vmnet.NewNS(t, "sysA"), vmnet.NewNS(t, "sysB")
	get := func(ns *vmnet.NS, name string) string {
		t.Helper()
		var v string
		if err := ns.Do(func() (err error) { v, err = Sysctl(name); return err }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, want := range map[string]string{
		SysctlSyncThreshold: "3 50", SysctlSyncRefreshPeriod: "0", SysctlSyncRetries: "0",
		SysctlSyncVersion: "1", SysctlBackupOnly: "0", SysctlSloppyTCP: "0",
	} {
		if got := get(a, name); got != want {
			t.Errorf("%s in a fresh namespace = %q, want %q", name, got, want)
		}
	}
	var prev string
	if err := a.Do(func() (err error) { prev, err = SetSysctl(SysctlSyncThreshold, "3 0"); return err }); err != nil || prev != "3 50" {
		t.Fatalf("SetSysctl = %q, %v; want previous 3 50", prev, err)
	}
	if got, other := get(a, SysctlSyncThreshold), get(b, SysctlSyncThreshold); got != "3 0" || other != "3 50" {
		t.Errorf("after the write: %q here, %q in another namespace; want 3 0 and 3 50", got, other)
	}
	// proc_do_sync_threshold refuses a threshold not below a non-zero period.
	err := a.Do(func() (err error) { _, err = SetSysctl(SysctlSyncThreshold, "50 3"); return err })
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("sync_threshold 50 3: got %v, want EINVAL", err)
	}
	if got := get(a, SysctlSyncThreshold); got != "3 0" {
		t.Errorf("after a refused write: %q, want 3 0 unchanged", got)
	}
	var conns []Conn
	if err := a.Do(func() (err error) { conns, err = ReadConns(); return err }); err != nil || len(conns) != 0 {
		t.Errorf("ReadConns in a fresh namespace = %v, %v; want an empty table", conns, err)
	}
}

// TestVMSyncID: a backup ignores a master's messages with another syncid,
// and a backup with syncid 0 takes every id.
func TestVMSyncID(t *testing.T) {
	dmesgOnFailure(t)
	l := newSyncLab(t)
	l.sink(t)
	na, nb := openSyncInNS(t, l.a), openSyncInNS(t, l.b)
	if err := na.Start(SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 7}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		backupID uint8
		synced   bool
	}{{8, false}, {0, true}, {7, true}} {
		t.Run(fmt.Sprintf("backup syncid %d", tt.backupID), func(t *testing.T) {
			if err := nb.Start(SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: tt.backupID}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := nb.Stop(SyncBackup); err != nil {
					t.Error(err)
				}
			}()
			start := time.Now()
			f := l.startFlow(t, l.svc, 100*time.Millisecond, false)
			defer f.close()
			// The first sync leaves the master within 3 s of the connection.
			_, took, ok := waitConn(t, l.b, f.client, start, 5*time.Second)
			if ok != tt.synced {
				t.Errorf("master syncid 7, backup syncid %d: synced %v after %v, want %v", tt.backupID, ok, took, tt.synced)
			}
		})
	}
}

// TestVMSyncNetlinkConcurrent: calls from several goroutines on one
// SyncNetlink each get their own answers (one socket, one mutex, sequence
// numbers).
func TestVMSyncNetlinkConcurrent(t *testing.T) {
	ns := vmnet.NewNS(t, "syncconc")
	ns.Dummy(t, "sync0", netip.MustParsePrefix("10.0.0.1/24"))
	n := openSyncInNS(t, ns)
	if err := n.Start(SyncDaemon{State: SyncMaster, Interface: "sync0", SyncID: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				ds, err := n.Daemons()
				if err == nil && (len(ds) == 0 || ds[0].State != SyncMaster) {
					err = fmt.Errorf("Daemons = %v, want the master first", ds)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 10 {
			err := n.Start(SyncDaemon{State: SyncBackup, Interface: "sync0", SyncID: 1})
			if err == nil {
				err = n.Stop(SyncBackup)
			}
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestVMSyncAllToAll is the scale-out mode (docs/scale-out.md): every
// director runs a master and a backup daemon with one sync id. A
// connection through A reaches B's table as SYNC, and B's master does not
// echo it back: A's entry stays LOCAL.
func TestVMSyncAllToAll(t *testing.T) {
	dmesgOnFailure(t)
	l := newSyncLab(t)
	l.sink(t)
	for _, n := range []*SyncNetlink{openSyncInNS(t, l.a), openSyncInNS(t, l.b)} {
		for _, s := range []SyncState{SyncMaster, SyncBackup} {
			if err := n.Start(SyncDaemon{State: s, Interface: "eth1", SyncID: 9}); err != nil {
				t.Fatalf("start %s: %v", s, err)
			}
		}
	}
	start := time.Now()
	u := l.startFlow(t, l.svc, 100*time.Millisecond, false)
	local, took, ok := waitConn(t, l.a, u.client, start, 5*time.Second)
	if !ok {
		t.Fatalf("connection %s not ESTABLISHED on A after %v: %+v", u.client, took, local)
	}
	got, delay, ok := waitConn(t, l.b, u.client, start, 10*time.Second)
	if !ok {
		t.Fatalf("connection %s not on B after %v (A has %+v)", u.client, delay, local)
	}
	t.Logf("FIGURE all-to-all: connection on B %v after connect", delay.Round(time.Millisecond))
	if got.Origin != OriginSync || got.Real != l.real {
		t.Errorf("B's entry %+v, want SYNC to %s", got, l.real)
	}
	time.Sleep(4 * time.Second) // a refresh period and the master's 3 s flush: any echo would be back by now
	again, ok, err := findConn(l.a, u.client)
	if err != nil || !ok || again.Origin != OriginLocal {
		t.Errorf("A's entry after 4 s: %+v (found %v, %v), want it still LOCAL", again, ok, err)
	}
}
