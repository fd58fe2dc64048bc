package heartbeat

// Root-only: the UDP transport against a real kernel. The test creates two
// network namespaces joined by two veth pairs (hb0: 10.77.0.0/24, hb1:
// 10.77.1.0/24; .1 in the first namespace, .2 in the second) and removes
// them in t.Cleanup. No traffic leaves them.

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

func newNS(t *testing.T) netns.NsHandle {
	t.Helper()
	type result struct {
		ns  netns.NsHandle
		err error
	}
	// netns.New switches the calling thread, so it runs on a locked thread of
	// its own that switches back before it is unlocked.
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, err}
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if serr := netns.Set(orig); serr != nil {
			done <- result{ns, serr} // the thread stays locked and dies with the goroutine
			return
		}
		runtime.UnlockOSThread()
		done <- result{ns, err}
	}()
	r := <-done
	if r.ns > 0 {
		t.Cleanup(func() { r.ns.Close() })
	}
	if r.err != nil {
		t.Fatalf("creating netns: %v", r.err)
	}
	return r.ns
}

// twoHosts builds the two namespaces and their links.
func twoHosts(t *testing.T) [2]netns.NsHandle {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	ns := [2]netns.NsHandle{newNS(t), newNS(t)}
	var h [2]*netlink.Handle
	for i := range ns {
		var err error
		if h[i], err = netlink.NewHandleAt(ns[i]); err != nil {
			t.Fatalf("netlink handle: %v", err)
		}
		t.Cleanup(h[i].Close)
	}
	for i, name := range []string{"hb0", "hb1"} {
		if err := h[0].LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}); err != nil {
			t.Fatalf("adding veth %s: %v", name, err)
		}
		peer, err := h[0].LinkByName(name + "p")
		if err != nil {
			t.Fatal(err)
		}
		if err := h[0].LinkSetNsFd(peer, int(ns[1])); err != nil {
			t.Fatalf("moving %sp: %v", name, err)
		}
		if peer, err = h[1].LinkByName(name + "p"); err != nil {
			t.Fatal(err)
		}
		if err := h[1].LinkSetName(peer, name); err != nil {
			t.Fatalf("renaming %sp: %v", name, err)
		}
		for j := range 2 {
			link, err := h[j].LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := netlink.ParseAddr(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 77, byte(i), byte(j + 1)}), 24).String())
			if err := h[j].AddrAdd(link, a); err != nil {
				t.Fatalf("address on %s: %v", name, err)
			}
			if err := h[j].LinkSetUp(link); err != nil {
				t.Fatalf("setting %s up: %v", name, err)
			}
			lo, _ := h[j].LinkByName("lo")
			h[j].LinkSetUp(lo)
		}
	}
	return ns
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestUDPTransportInNetns(t *testing.T) {
	ns := twoHosts(t)
	for _, tc := range []struct {
		name      string
		cfg       [2]UDPConfig
		wantLinks []string
		wantDsts  []string // node 0's destinations
		// every datagram node 0 sends on a link arrives at node 1 from
		// this address
		from map[string]netip.Addr
	}{
		{
			name: "ucast on two links, own address ignored",
			cfg: [2]UDPConfig{
				{Ucast: []hacf.Ucast{
					{Line: 1, Iface: "hb0", Peer: "10.77.0.1", Addr: ip("10.77.0.1"), Port: 694},
					{Line: 2, Iface: "hb0", Peer: "10.77.0.2", Addr: ip("10.77.0.2"), Port: 694},
					{Line: 3, Iface: "hb1", Peer: "10.77.1.2", Addr: ip("10.77.1.2"), Port: 694},
				}},
				{Ucast: []hacf.Ucast{
					{Line: 1, Iface: "hb0", Peer: "10.77.0.1", Addr: ip("10.77.0.1"), Port: 694},
					{Line: 3, Iface: "hb1", Peer: "10.77.1.1", Addr: ip("10.77.1.1"), Port: 694},
				}},
			},
			wantLinks: []string{"hb0", "hb1"},
			wantDsts:  []string{"hb0 10.77.0.2:694", "hb1 10.77.1.2:694"},
			from:      map[string]netip.Addr{"hb0": ip("10.77.0.1"), "hb1": ip("10.77.1.1")},
		},
		{
			name: "bcast",
			cfg: [2]UDPConfig{
				{Bcast: []hacf.Bcast{{Line: 1, Iface: "hb0", Port: 695}, {Line: 1, Iface: "hb1", Port: 695}}},
				{Bcast: []hacf.Bcast{{Line: 1, Iface: "hb0", Port: 695}, {Line: 1, Iface: "hb1", Port: 695}}},
			},
			wantLinks: []string{"hb0", "hb1"},
			wantDsts:  []string{"hb0 10.77.0.255:695", "hb1 10.77.1.255:695"},
			from:      map[string]netip.Addr{"hb0": ip("10.77.0.1"), "hb1": ip("10.77.1.1")},
		},
		{
			name: "mcast and ucast together",
			cfg: [2]UDPConfig{
				{Mcast: []hacf.Mcast{{Line: 1, Iface: "hb1", Group: ip("239.0.0.43"), Port: 696, TTL: 1}},
					Ucast: []hacf.Ucast{{Line: 2, Iface: "hb0", Peer: "10.77.0.2", Addr: ip("10.77.0.2"), Port: 694}}},
				{Mcast: []hacf.Mcast{{Line: 1, Iface: "hb1", Group: ip("239.0.0.43"), Port: 696, TTL: 1}},
					Ucast: []hacf.Ucast{{Line: 2, Iface: "hb0", Peer: "10.77.0.1", Addr: ip("10.77.0.1"), Port: 694}}},
			},
			wantLinks: []string{"hb1", "hb0"},
			wantDsts:  []string{"hb0 10.77.0.2:694", "hb1 239.0.0.43:696"},
			from:      map[string]netip.Addr{"hb0": ip("10.77.0.1"), "hb1": ip("10.77.1.1")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var tr [2]*UDP
			for i := range tr {
				tc.cfg[i].Netns = ns[i]
				u, err := OpenUDP(ctx, tc.cfg[i])
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				t.Cleanup(func() { u.Close() })
				tr[i] = u
			}
			if diff := cmp.Diff(tc.wantLinks, tr[0].Links()); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
			var dsts []string
			for _, s := range tr[0].socks {
				for _, d := range s.dsts {
					dsts = append(dsts, s.link+" "+d.String())
				}
			}
			slices.Sort(dsts)
			if diff := cmp.Diff(tc.wantDsts, dsts); diff != "" {
				t.Errorf("destinations (-want +got):\n%s", diff)
			}
			got := make(chan Packet, 64)
			rctx, rcancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- tr[1].Receive(rctx, got) }()
			t.Cleanup(func() {
				rcancel()
				if err := <-done; err != nil {
					t.Errorf("receive: %v", err)
				}
			})
			for _, link := range tr[0].Links() {
				msg := []byte("hello on " + link)
				// Send until it arrives: the first datagram may race the
				// receiver's start; bounded by ctx.
				tick := time.NewTicker(50 * time.Millisecond)
				for arrived := false; !arrived; {
					if err := tr[0].Send(link, msg); err != nil {
						t.Fatalf("send on %s: %v", link, err)
					}
					select {
					case p := <-got:
						if string(p.Buf) != string(msg) {
							continue // an earlier link's late copy
						}
						arrived = true
						if p.Link != link || p.From.Addr() != tc.from[link] {
							t.Errorf("received on %s from %s, want %s from %s", p.Link, p.From, link, tc.from[link])
						}
					case <-tick.C:
					case <-ctx.Done():
						t.Fatalf("nothing received on %s", link)
					}
				}
				tick.Stop()
			}
		})
	}
}

func TestOpenUDPErrorsNameTheLine(t *testing.T) {
	ns := twoHosts(t)
	for _, tc := range []struct {
		name string
		cfg  UDPConfig
		want string
	}{
		{"missing interface", UDPConfig{Bcast: []hacf.Bcast{{Line: 7, Iface: "nosuch0", Port: 694}}}, "ha.cf:7: bcast nosuch0"},
		{"only self", UDPConfig{Ucast: []hacf.Ucast{{Line: 3, Iface: "hb0", Peer: "10.77.0.1", Addr: ip("10.77.0.1"), Port: 694}}},
			"no medium left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Netns = ns[0]
			u, err := OpenUDP(context.Background(), tc.cfg)
			if err == nil {
				u.Close()
				t.Fatalf("OpenUDP succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
