package netlab

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testNS creates a namespace for this package's tests ("nlt-" prefix).
func testNS(t testing.TB, label string) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	return New(t, RandomName("nlt-", label))
}

// reach reports whether a UDP datagram from src's from to dst's to
// arrives within wait (a bound on a network delivery, not a timing
// assertion).
func reach(t *testing.T, src *NS, from netip.Addr, dst *NS, to netip.Addr) bool {
	t.Helper()
	rc, err := dst.ListenPacket("udp", netip.AddrPortFrom(to, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc, err := src.ListenPacket("udp", netip.AddrPortFrom(from, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.WriteTo([]byte("netlab"), rc.LocalAddr()); err != nil {
		return false
	}
	rc.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	n, _, err := rc.ReadFrom(buf)
	return err == nil && string(buf[:n]) == "netlab"
}

// waitCarrier polls (bounded) until link in ns has carrier want; the
// kernel updates the operational state asynchronously (linkwatch).
func waitCarrier(t *testing.T, ns *NS, link string, want bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := ns.Carrier(link)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("carrier of %s in %s = %v after 5 s, want %v", link, ns.Name, got, want)
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel, not ordering events
	}
}

// testNode is a lab node type as the labs declare theirs.
type testNode struct {
	Member
}

func TestPair(t *testing.T) {
	p := &PairOf[*testNode]{Pair: NewPair(t, testNS)}
	p.AddNodes(t)
	for i := range p.Nodes {
		p.Nodes[i] = &testNode{Member: p.Member(i, t.TempDir(), "out")}
	}
	n1, n2 := p.NodeNS[0], p.NodeNS[1]
	if p.Peer(p.Nodes[0]) != p.Nodes[1] || p.Peer(p.Nodes[1]) != p.Nodes[0] {
		t.Errorf("Peer does not return the other node")
	}
	for i, ns := range p.NodeNS {
		got, err := ns.Addrs()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]netip.Prefix{"lo": {netip.MustParsePrefix("127.0.0.1/8")}, LANLink: {LANAddrs[i]}, HBLink: {HBAddrs[i]}}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
			t.Errorf("%s addresses (-want +got):\n%s", NodeNames[i], diff)
		}
	}
	links := []struct {
		name     string
		from, to netip.Addr
	}{
		{"LAN", LANAddrs[0].Addr(), LANAddrs[1].Addr()},
		{"heartbeat", HBAddrs[0].Addr(), HBAddrs[1].Addr()},
	}
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			if !reach(t, n1, l.from, n2, l.to) {
				t.Errorf("%s -> %s: not delivered", l.from, l.to)
			}
		})
	}
	t.Run("cut and heal", func(t *testing.T) {
		p.Cut(t, p.Nodes[1], LANLink)
		waitCarrier(t, n2, LANLink, false)
		if reach(t, n1, LANAddrs[0].Addr(), n2, LANAddrs[1].Addr()) {
			t.Errorf("LAN delivered across a cut port")
		}
		if !reach(t, n1, HBAddrs[0].Addr(), n2, HBAddrs[1].Addr()) {
			t.Errorf("heartbeat link broken by a LAN cut")
		}
		p.Heal(t, p.Nodes[1], LANLink)
		waitCarrier(t, n2, LANLink, true)
	})
}

func TestNSLinks(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var name string
	t.Run("inside", func(t *testing.T) {
		a, b := testNS(t, "a"), testNS(t, "b")
		name = a.Name
		a4, b4 := netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")
		b6 := netip.MustParsePrefix("2001:db8::2/64")
		if err := a.AddVeth("v0", []netip.Prefix{a4}, b, "v1", []netip.Prefix{b4, b6, {}}); err != nil {
			t.Fatal(err)
		}
		// IFA_F_NODAD: the IPv6 address is not tentative, so a bind works
		// at once.
		c, err := b.ListenPacket("udp", netip.AddrPortFrom(b6.Addr(), 0).String())
		if err != nil {
			t.Fatalf("bind to %s just after adding it: %v", b6.Addr(), err)
		}
		c.Close()
		// A bridge without ports holds the extra address (the host kernel
		// may lack the dummy module; the VM labs use AddDummy).
		if err := a.AddBridge("d0", netip.MustParsePrefix("203.0.113.10/32")); err != nil {
			t.Fatal(err)
		}
		if err := b.AddRoute(netip.Prefix{}, a4.Addr()); err != nil {
			t.Fatal(err)
		}
		if !reach(t, b, b4.Addr(), a, netip.MustParseAddr("203.0.113.10")) {
			t.Errorf("the dummy's address is not reached over the default route")
		}
		if err := a.DelAddr("v0", a4); err != nil {
			t.Fatal(err)
		}
		got, err := a.Addrs()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got["v0"]; ok {
			t.Errorf("v0 still has %v after DelAddr", got["v0"])
		}
		if err := a.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
			t.Fatal(err)
		}
		out, err := a.Run(ctx, "cat", "/proc/sys/net/ipv4/ip_forward")
		if err != nil || string(out) != "1\n" {
			t.Errorf("ip_forward in %s = %q, %v; want 1", a.Name, out, err)
		}
		idx, err := a.LinkIndexes()
		if err != nil {
			t.Fatal(err)
		}
		names := slices.Sorted(func(yield func(string) bool) {
			for _, n := range idx {
				if !yield(n) {
					return
				}
			}
		})
		if diff := cmp.Diff([]string{"d0", "lo", "v0"}, names); diff != "" {
			t.Errorf("links in %s (-want +got):\n%s", a.Name, diff)
		}
	})
	if _, err := os.Stat(filepath.Join("/run/netns", name)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("netns %s still mounted after its test: stat err %v", name, err)
	}
}

func TestWatchAddrs(t *testing.T) {
	ns := testNS(t, "watch")
	first := netip.MustParsePrefix("192.0.2.1/24")
	if err := ns.AddBridge("d0", first); err != nil {
		t.Fatal(err)
	}
	ev := NewEvents[AddrEvent]()
	WatchAddrs(t, ns, "node1", ev)
	if h := Holders(ev.Since(0), first.Addr()); !h["node1"] {
		t.Errorf("present address not listed: %v", ev.Since(0))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	vip := netip.MustParsePrefix("192.0.2.100/24")
	for _, added := range []bool{true, false} {
		mark := ev.Len()
		change := ns.AddAddr
		if !added {
			change = ns.DelAddr
		}
		if err := change("d0", vip); err != nil {
			t.Fatal(err)
		}
		e, _, err := ev.First(ctx, mark, func(e AddrEvent) bool { return e.Prefix == vip })
		if err != nil {
			t.Fatalf("added=%v: %v", added, err)
		}
		if e.Added != added || e.Node != "node1" || e.Link != "d0" {
			t.Errorf("event %v, want node1 d0 added=%v", e, added)
		}
	}
	if h := Holders(ev.Since(0), vip.Addr()); len(h) != 0 {
		t.Errorf("VIP holders after delete = %v, want none", h)
	}
}

func TestProc(t *testing.T) {
	type exit struct {
		err      error
		expected bool
	}
	start := func(t *testing.T, argv ...string) (*Proc, chan exit) {
		t.Helper()
		exits := make(chan exit, 1)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		p, err := StartProc(cmd, func(err error, expected bool) { exits <- exit{err, expected} })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.KillGroup(syscall.SIGKILL, 10*time.Second) })
		return p, exits
	}
	t.Run("unexpected exit", func(t *testing.T) {
		p, exits := start(t, "sh", "-c", "exit 3")
		e := <-exits
		var ee *exec.ExitError
		if e.expected || !errors.As(e.err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exit = %+v, want exit status 3, unexpected", e)
		}
		if p.Running() || !errors.Is(p.Err(), e.err) {
			t.Errorf("Running = %v, Err = %v after the exit", p.Running(), p.Err())
		}
	})
	t.Run("killed group", func(t *testing.T) {
		p, exits := start(t, "sh", "-c", "sleep 60 & wait")
		if !p.Running() {
			t.Fatal("not running after start")
		}
		if err := p.KillGroup(syscall.SIGKILL, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if e := <-exits; !e.expected {
			t.Errorf("a Kill's exit reported as unexpected: %v", e.err)
		}
		if err := p.KillGroup(syscall.SIGKILL, time.Second); err != nil {
			t.Errorf("Kill of an exited program: %v", err)
		}
		select {
		case <-p.Done():
		default:
			t.Error("Done not closed after the exit")
		}
	})
	t.Run("never started", func(t *testing.T) {
		var p *Proc
		if p.Running() || p.Done() != nil {
			t.Error("a nil Proc looks started")
		}
	})
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if want, _ := filepath.Abs(filepath.Join(wd, "..", "..")); root != want {
		t.Errorf("RepoRoot = %s, want %s", root, want)
	}
	t.Setenv("NETLAB_TEST_BIN", "/bin/sh")
	if got := RepoBinary(t, "NETLAB_TEST_BIN", "sh"); got != "/bin/sh" {
		t.Errorf("RepoBinary with $NETLAB_TEST_BIN = %s, want /bin/sh", got)
	}
}
