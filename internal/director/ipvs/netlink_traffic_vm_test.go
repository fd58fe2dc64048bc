//go:build vm

package ipvs

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// TestVMNATForwarding pushes real HTTP traffic through services made with
// Netlink (the ipvs-vm.md smoke test): a client namespace, a director
// namespace holding the VIPs and the IPVS table, two real servers behind a
// bridge. It checks round-robin spread, that weight 0 stops new
// connections (ldirectord's quiescent), persistence, and IPv6.
func TestVMNATForwarding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l := vmnet.NewLab(t, vmnet.LabConfig{Reals: 2, HTTPPort: 80})
	n := openInNS(t, l.Director)

	for _, fam := range []struct {
		name  string
		vip   netip.Addr
		reals []netip.Addr
		bits  uint8
	}{
		{"v4", l.VIP, l.RealAddrs, 32},
		{"v6", l.VIP6, l.RealAddrs6, 128},
	} {
		t.Run(fam.name, func(t *testing.T) {
			vs := ServiceKey{Proto: TCP, Addr: netip.AddrPortFrom(fam.vip, 80)}
			url := fmt.Sprintf("http://%s/", vs.Addr)
			if err := n.AddService(Service{Key: vs, Scheduler: "rr", NetmaskBits: fam.bits}); err != nil {
				t.Fatal(err)
			}
			for _, a := range fam.reals {
				if err := n.AddReal(vs, Real{Addr: netip.AddrPortFrom(a, 80), Weight: 1, Forward: Masq}); err != nil {
					t.Fatal(err)
				}
			}
			tally := func(t *testing.T, want map[string]int) {
				t.Helper()
				got, err := l.Tally(ctx, url, 4)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("answers to 4 requests for %s (-want +got):\n%s", url, diff)
				}
			}
			t.Run("round robin", func(t *testing.T) { tally(t, map[string]int{"rs1": 2, "rs2": 2}) })

			t.Run("weight 0 quiesces", func(t *testing.T) {
				if err := n.UpdateReal(vs, Real{Addr: netip.AddrPortFrom(fam.reals[0], 80), Weight: 0, Forward: Masq}); err != nil {
					t.Fatal(err)
				}
				tally(t, map[string]int{"rs2": 4})
			})

			t.Run("persistence", func(t *testing.T) {
				if err := n.UpdateReal(vs, Real{Addr: netip.AddrPortFrom(fam.reals[0], 80), Weight: 1, Forward: Masq}); err != nil {
					t.Fatal(err)
				}
				if err := n.UpdateService(Service{Key: vs, Scheduler: "rr", Flags: FlagPersistent, Timeout: 300, NetmaskBits: fam.bits}); err != nil {
					t.Fatal(err)
				}
				got, err := l.Tally(ctx, url, 4)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Errorf("persistent service spread one client over %v, want one real", got)
				}
			})

			t.Run("counters", func(t *testing.T) {
				reals, err := n.Reals(vs)
				if err != nil {
					t.Fatal(err)
				}
				total := 0
				for _, r := range reals {
					total += r.Active + r.Inactive
				}
				// 12 connections were made; TIME_WAIT ones count as inactive.
				if total == 0 {
					t.Errorf("reals after 12 connections have no active or inactive connections: %+v", reals)
				}
			})
		})
	}
}
