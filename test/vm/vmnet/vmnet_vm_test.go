//go:build vm

package vmnet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLabRouting proves the lab's plumbing without IPVS: the client reaches
// every real over IPv4 and IPv6 through the director's forwarding, and each
// real answers with its own name.
func TestLabRouting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := NewLab(t, LabConfig{Reals: 2, HTTPPort: 8080})
	for i, name := range l.RealNames {
		for _, a := range []netip.Addr{l.RealAddrs[i], l.RealAddrs6[i]} {
			t.Run(fmt.Sprintf("%s via %s", name, a), func(t *testing.T) {
				url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(a, 8080))
				got, err := l.Client.Get(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				if got != name {
					t.Errorf("GET %s = %q, want %q", url, got, name)
				}
			})
		}
	}
	t.Run("tally", func(t *testing.T) {
		got, err := l.Tally(ctx, fmt.Sprintf("http://%s/", netip.AddrPortFrom(l.RealAddrs[1], 8080)), 3)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int{"rs2": 3}, got); diff != "" {
			t.Errorf("tally (-want +got):\n%s", diff)
		}
	})
}

// TestNSIsolation checks that Do, Run and Sysctl act inside the namespace
// and not in the caller's, and that t.Cleanup removes the namespace.
func TestNSIsolation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var name string
	t.Run("inside", func(t *testing.T) {
		ns := NewNS(t, "iso")
		name = ns.Name
		if _, err := os.Stat(ns.Path()); err != nil {
			t.Fatalf("bind mount: %v", err)
		}
		ns.Dummy(t, "d0", netip.MustParsePrefix("192.0.2.200/24"))
		out, err := ns.Run(ctx, "/opt/bin/ip", "-o", "addr", "show", "dev", "d0")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "192.0.2.200/24") {
			t.Errorf("ip addr in %s: %q lacks 192.0.2.200/24", ns.Name, out)
		}
		own, err := exec.CommandContext(ctx, "/opt/bin/ip", "-o", "link").CombinedOutput()
		if err != nil {
			t.Fatalf("ip link in the test's own namespace: %v: %s", err, own)
		}
		if strings.Contains(string(own), ": d0:") {
			t.Errorf("d0 leaked into the test's own namespace: %q", own)
		}
		if err := ns.Sysctl("net.ipv4.ip_forward", "1"); err != nil {
			t.Fatal(err)
		}
		var fwd []byte
		if err := ns.Do(func() error {
			var err error
			fwd, err = os.ReadFile("/proc/sys/net/ipv4/ip_forward")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(fwd)) != "1" {
			t.Errorf("ip_forward in %s = %q, want 1", ns.Name, fwd)
		}
		ownFwd, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(ownFwd)) != "0" {
			t.Errorf("ip_forward in the test's own namespace = %q, want 0 (untouched)", ownFwd)
		}
	})
	if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("netns %s still mounted after its test: stat err %v", name, err)
	}
}
