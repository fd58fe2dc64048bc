//go:build vm

package ipvs

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// TestVMSyncTakeover is the kernel-level failover: a slow download through
// director A is synced to B; A loses power (its links go down); B takes the
// VIP and the real's gateway address, swaps its daemon to master, and the
// neighbour caches of client and real are flushed (what gratuitous ARP does
// in the pair). The download must go on through B, on the same TCP
// connection, with no reset. Addresses move, so the lab is its own:
//
//	client 198.51.100.2 ---- front br0 ---- A eth0 198.51.100.11, B eth0 198.51.100.12
//	VIP 198.51.100.10 (floating), service VIP:8080 -> 192.0.2.11:8080 masq on A and B
//	rs 192.0.2.11 (gateway 192.0.2.254, floating) ---- back br0 ---- A eth1 192.0.2.1, B eth1 192.0.2.2
//
// The control runs the same without the backup daemon: the download must
// then stall (B's IPVS has no entry, the real's packets reach the client
// un-NATed and are refused).
func TestVMSyncTakeover(t *testing.T) {
	dmesgOnFailure(t)
	t.Run("synced", func(t *testing.T) { takeover(t, true) })
	t.Run("control without sync", func(t *testing.T) { takeover(t, false) })
}

func takeover(t *testing.T, withSync bool) {
	p := netip.MustParsePrefix
	client, a, b, rs := vmnet.NewNS(t, "client"), vmnet.NewNS(t, "dirA"), vmnet.NewNS(t, "dirB"), vmnet.NewNS(t, "rs")
	front, back := vmnet.NewNS(t, "front"), vmnet.NewNS(t, "back")
	front.Bridge(t, "br0")
	back.Bridge(t, "br0")
	front.VethToBridge(t, "br0", "client", client, "eth0", p("198.51.100.2/24"))
	front.VethToBridge(t, "br0", "a", a, "eth0", p("198.51.100.11/24"))
	front.VethToBridge(t, "br0", "b", b, "eth0", p("198.51.100.12/24"))
	back.VethToBridge(t, "br0", "a", a, "eth1", p("192.0.2.1/24"))
	back.VethToBridge(t, "br0", "b", b, "eth1", p("192.0.2.2/24"))
	back.VethToBridge(t, "br0", "rs", rs, "eth0", p("192.0.2.11/24"))
	vip, gw := p("198.51.100.10/32"), p("192.0.2.254/24")
	a.AddAddr(t, "eth0", vip)
	a.AddAddr(t, "eth1", gw)
	rs.AddRoute(t, netip.Prefix{}, gw.Addr())
	svc := ServiceKey{Proto: TCP, Addr: netip.AddrPortFrom(vip.Addr(), 8080)}
	syncs := map[*vmnet.NS]*SyncNetlink{}
	for _, d := range []*vmnet.NS{a, b} {
		if err := d.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
			t.Fatal(err)
		}
		k := openInNS(t, d)
		if err := k.AddService(Service{Key: svc, Scheduler: "rr", NetmaskBits: 32}); err != nil {
			t.Fatal(err)
		}
		if err := k.AddReal(svc, Real{Addr: netip.MustParseAddrPort("192.0.2.11:8080"), Weight: 1, Forward: Masq}); err != nil {
			t.Fatal(err)
		}
		syncs[d] = openSyncInNS(t, d)
	}
	if err := syncs[a].Start(SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 3}); err != nil {
		t.Fatal(err)
	}
	if withSync {
		if err := syncs[b].Start(SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 3}); err != nil {
			t.Fatal(err)
		}
	}
	(&syncLab{rs: rs}).sink(t)

	// The download: 1 KB every 100 ms from the real, counted by the client.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, "tcp", svc.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	var readErr atomic.Value // error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			got.Add(int64(n))
			if err != nil {
				readErr.Store(err)
				return
			}
		}
	}()
	closed := false
	t.Cleanup(func() {
		if !closed {
			c.Close()
			wg.Wait()
		}
	})
	if _, err := c.Write([]byte("d")); err != nil {
		t.Fatal(err)
	}
	a4 := c.LocalAddr().(*net.TCPAddr).AddrPort()
	me := netip.AddrPortFrom(a4.Addr().Unmap(), a4.Port())
	if withSync {
		if _, took, ok := waitConn(t, b, me, time.Now(), 10*time.Second); !ok {
			t.Fatalf("connection not synced to B after %v", took)
		} else {
			t.Logf("synced to B after %v; %d bytes so far", took.Round(time.Millisecond), got.Load())
		}
	} else {
		time.Sleep(3 * time.Second) // as long as the sync would have taken
	}

	// Power cut on A, takeover on B.
	crash := time.Now()
	before := got.Load()
	for _, l := range []string{"eth0", "eth1"} {
		if err := a.SetLinkUp(l, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := syncs[b].Stop(SyncBackup); err != nil && withSync {
		t.Fatal(err)
	}
	if err := syncs[b].Start(SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 3}); err != nil {
		t.Fatal(err)
	}
	b.AddAddr(t, "eth0", vip)
	b.AddAddr(t, "eth1", gw)
	for _, ns := range []*vmnet.NS{client, rs} {
		if _, err := ns.Run(ctx, "/opt/bin/ip", "neigh", "flush", "dev", "eth0"); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(crash)

	// The same connection keeps receiving (or, without sync, stalls).
	watch := 20 * time.Second
	if !withSync {
		watch = 8 * time.Second
	}
	var resumed time.Duration
	for deadline := time.Now().Add(watch); ; time.Sleep(20 * time.Millisecond) {
		if resumed == 0 && got.Load() > before+1024 {
			resumed = time.Since(crash)
		}
		if got.Load() >= before+10*1024 {
			break
		}
		if time.Now().After(deadline) {
			if withSync {
				t.Fatalf("download stalled after the takeover: %d bytes since the crash (read error %v)", got.Load()-before, readErr.Load())
			}
			t.Logf("FIGURE takeover without sync: the download stalled (%d bytes in %v after the crash)", got.Load()-before, watch)
			return
		}
	}
	if !withSync {
		t.Fatalf("without sync the download went on through B (%d bytes): the control cannot tell", got.Load()-before)
	}
	t.Logf("FIGURE takeover: the download resumed through B %v after the crash (takeover steps took %v); %d bytes since", resumed.Round(time.Millisecond), took.Round(time.Millisecond), got.Load()-before)
	if local, ok, err := findConn(b, me); err != nil || !ok || local.State != "ESTABLISHED" {
		t.Errorf("B's entry after the takeover: %+v %v %v", local, ok, err)
	}
	closed = true
	c.Close()
	wg.Wait()
	if err, _ := readErr.Load().(error); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		t.Errorf("download ended with %v, want only our close", err)
	}
}
