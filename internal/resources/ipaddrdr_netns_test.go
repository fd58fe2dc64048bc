package resources_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// TestIPaddrDRInNetns runs the S2 VIP agent against a real kernel: the VIP
// on lo with the LVS-DR ARP sysctls while standby, on the interface while
// active, and nothing left after Retire.
func TestIPaddrDRInNetns(t *testing.T) {
	lab := newLabNS(t)
	nl := openNetlink(t, lab)
	ctx := t.Context()
	// The sysctls of the lab namespace: /proc/sys/net is the opener's
	// namespace, so every read and write runs on a thread inside it.
	var sys nsSysctls
	sys.lab, sys.t = lab, t
	a, err := resources.NewIPaddrDR([]string{"10.9.0.200/24/um0"}, nl, nil, &sys, newLogger(&logBuf{}))
	if err != nil {
		t.Fatal(err)
	}
	state := func() (um0, lo []string) {
		for _, x := range lab.kernelAddrs(t, "um0") {
			if strings.HasPrefix(x, "10.9.0.200/") {
				um0 = append(um0, x)
			}
		}
		for _, x := range lab.kernelAddrs(t, "lo") {
			if strings.HasPrefix(x, "10.9.0.200/") {
				lo = append(lo, x)
			}
		}
		return um0, lo
	}
	check := func(when string, wantUm0, wantLo []string, wantStatus resources.Status) {
		t.Helper()
		um0, lo := state()
		if diff := cmp.Diff(wantUm0, um0); diff != "" {
			t.Errorf("%s: VIP on um0 (-want +got):\n%s", when, diff)
		}
		if diff := cmp.Diff(wantLo, lo); diff != "" {
			t.Errorf("%s: VIP on lo (-want +got):\n%s", when, diff)
		}
		if st, err := a.Status(ctx); err != nil || st != wantStatus {
			t.Errorf("%s: status %v, %v; want %v", when, st, err, wantStatus)
		}
	}
	onLo := []string{"10.9.0.200/32 lo -"}
	onUm0 := []string{"10.9.0.200/24 um0 10.9.0.255"}

	// A killed predecessor left the VIP on um0.
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	check("after Prepare", nil, onLo, resources.StatusStopped)
	for _, name := range []string{"net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.um0.arp_ignore"} {
		if v := sys.get(name); v != "1" {
			t.Errorf("%s = %q after Prepare, want 1", name, v)
		}
	}
	for _, name := range []string{"net.ipv4.conf.all.arp_announce", "net.ipv4.conf.um0.arp_announce"} {
		if v := sys.get(name); v != "2" {
			t.Errorf("%s = %q after Prepare, want 2", name, v)
		}
	}
	for range 2 {
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("after Start", onUm0, nil, resources.StatusRunning)
	for range 2 {
		if err := a.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check("after Stop", nil, onLo, resources.StatusStopped)
	if err := a.Retire(ctx); err != nil {
		t.Fatal(err)
	}
	check("after Retire", nil, nil, resources.StatusStopped)
	if v := sys.get("net.ipv4.conf.all.arp_ignore"); v != "0" {
		t.Errorf("arp_ignore = %q after Retire, want the namespace's 0 back", v)
	}
}

func TestIPaddrDRArguments(t *testing.T) {
	for _, args := range [][]string{{"10.9.0.200/24"}, {"10.9.0.200/32/lo"}, {"not-an-ip/24/eth0"}} {
		if _, err := resources.NewIPaddrDR(args, nil, nil, nil, nil); err == nil {
			t.Errorf("NewIPaddrDR(%q): no error", args)
		}
	}
}

// nsSysctls is resources.ProcSysctls run inside the lab namespace.
type nsSysctls struct {
	lab *labNS
	t   *testing.T
}

func (s *nsSysctls) Set(name, value string) (prev string, err error) {
	s.lab.inNS(s.t, func() { prev, err = resources.ProcSysctls{}.Set(name, value) })
	return prev, err
}

func (s *nsSysctls) get(name string) string {
	var b []byte
	s.lab.inNS(s.t, func() {
		b, _ = os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
	})
	return strings.TrimSpace(string(b))
}
