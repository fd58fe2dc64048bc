//go:build vm

package ipvs

// Real-kernel tests of the Netlink adapter; they run only inside the test VM
// (test/vm/run.sh), each in fresh network namespaces of its own. Every
// round trip is also checked against ipvsadm -Ln, because our encode and
// decode could share a mistake (the IPv4 netmask byte order) that a pure
// round trip would not see.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// openIn opens the IPVS table of a fresh namespace and closes it at the end.
func openIn(t *testing.T) (*Netlink, *vmnet.NS) {
	t.Helper()
	ns := vmnet.NewNS(t, "ipvs")
	return openInNS(t, ns), ns
}

func openInNS(t *testing.T, ns *vmnet.NS) *Netlink {
	t.Helper()
	var n *Netlink
	if err := ns.Do(func() error {
		var err error
		n, err = OpenNetlink()
		return err
	}); err != nil {
		t.Fatalf("OpenNetlink in %s: %v", ns, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// ipvsadm returns "ipvsadm -Ln" run inside ns.
func ipvsadm(t *testing.T, ns *vmnet.NS) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ns.Run(ctx, "/opt/bin/ipvsadm", "-Ln")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// wantLines fails unless every line of want appears (after collapsing runs
// of spaces) in the ipvsadm listing.
func wantLines(t *testing.T, listing string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(listing, "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("ipvsadm -Ln lacks line %q; it printed:\n%s", w, listing)
		}
	}
}

// kernelHas reports whether the VM kernel's config sets option to y or m;
// without a config file it assumes yes.
func kernelHas(option string) bool {
	f, err := os.Open("/etc/vm/kernel-config")
	if err != nil {
		return true
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == option+"=y" || sc.Text() == option+"=m" {
			return true
		}
	}
	return false
}

var (
	cmpNetipOpt = cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{})
	sortSvcs    = cmpopts.SortSlices(func(a, b Service) bool { return keyName(a.Key) < keyName(b.Key) })
	sortReals   = cmpopts.SortSlices(func(a, b Real) bool { return a.Addr.String() < b.Addr.String() })
)

func tcp4(s string) ServiceKey { return ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort(s)} }

func TestVMEmptyTable(t *testing.T) {
	n, _ := openIn(t)
	got, err := n.Services()
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Fatalf("Services on an empty table = %#v, want an empty non-nil slice", got)
	}
	reals, err := n.Reals(tcp4("203.0.113.10:80"))
	if !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("Reals of a missing service = %v, %v; want an error wrapping ESRCH", reals, err)
	}
}

func TestVMServiceRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		svc     Service
		ipvsadm string // the service line of ipvsadm -Ln, spaces collapsed
		needs   string // kernel option, or ""
	}{
		{"tcp v4", Service{Key: tcp4("203.0.113.10:80"), Scheduler: "wrr", NetmaskBits: 32},
			"TCP 203.0.113.10:80 wrr", ""},
		{"udp v4", Service{Key: ServiceKey{Proto: UDP, Addr: netip.MustParseAddrPort("203.0.113.10:53")}, Scheduler: "rr", NetmaskBits: 32},
			"UDP 203.0.113.10:53 rr", ""},
		{"sctp v4", Service{Key: ServiceKey{Proto: SCTP, Addr: netip.MustParseAddrPort("203.0.113.10:9")}, Scheduler: "lc", NetmaskBits: 32},
			"SCTP 203.0.113.10:9 lc", "CONFIG_IP_VS_PROTO_SCTP"},
		{"tcp v4 persistent /24", Service{Key: tcp4("203.0.113.11:443"), Scheduler: "wlc", Flags: FlagPersistent, Timeout: 300, NetmaskBits: 24},
			"TCP 203.0.113.11:443 wlc persistent 300 mask 255.255.255.0", ""},
		{"tcp v4 persistent /32", Service{Key: tcp4("203.0.113.12:443"), Scheduler: "wlc", Flags: FlagPersistent, Timeout: 600, NetmaskBits: 32},
			"TCP 203.0.113.12:443 wlc persistent 600", ""},
		{"tcp v4 persistent /17", Service{Key: tcp4("203.0.113.13:443"), Scheduler: "wrr", Flags: FlagPersistent, Timeout: 60, NetmaskBits: 17},
			"TCP 203.0.113.13:443 wrr persistent 60 mask 255.255.128.0", ""},
		{"udp v4 one-packet", Service{Key: ServiceKey{Proto: UDP, Addr: netip.MustParseAddrPort("203.0.113.14:514")}, Scheduler: "rr", Flags: FlagOnePacket, NetmaskBits: 32},
			"UDP 203.0.113.14:514 rr ops", ""},
		{"tcp v4 sh fallback port", Service{Key: tcp4("203.0.113.15:80"), Scheduler: "sh", Flags: FlagSched1 | FlagSched2, NetmaskBits: 32},
			"TCP 203.0.113.15:80 sh (sh-fallback,sh-port)", ""},
		{"tcp v6", Service{Key: ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("[2001:db8:203::10]:80")}, Scheduler: "wrr", NetmaskBits: 128},
			"TCP [2001:db8:203::10]:80 wrr", ""},
		{"udp v6 persistent /64", Service{Key: ServiceKey{Proto: UDP, Addr: netip.MustParseAddrPort("[2001:db8:203::10]:53")}, Scheduler: "lc", Flags: FlagPersistent, Timeout: 120, NetmaskBits: 64},
			"UDP [2001:db8:203::10]:53 lc persistent 120 mask 64", ""},
		{"fwmark v4 persistent /24", Service{Key: FWMarkKey(80, false), Scheduler: "wrr", Flags: FlagPersistent, Timeout: 900, NetmaskBits: 24},
			"FWM 80 wrr persistent 900 mask 255.255.255.0", ""},
		{"fwmark v6", Service{Key: FWMarkKey(80, true), Scheduler: "rr", NetmaskBits: 128},
			"FWM 80 IPv6 rr", ""},
		{"fwmark v6 persistent /64", Service{Key: FWMarkKey(81, true), Scheduler: "rr", Flags: FlagPersistent, Timeout: 30, NetmaskBits: 64},
			"FWM 81 IPv6 rr persistent 30 mask 64", ""},
	}
	n, ns := openIn(t)
	var added []Service
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needs != "" && !kernelHas(tc.needs) {
				t.Skipf("kernel lacks %s", tc.needs)
			}
			if err := n.AddService(tc.svc); err != nil {
				t.Fatal(err)
			}
			added = append(added, tc.svc)
			got := findService(t, n, tc.svc.Key)
			if diff := cmp.Diff(tc.svc, got, cmpNetipOpt); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			wantLines(t, ipvsadm(t, ns), tc.ipvsadm)
		})
	}
	got, err := n.Services()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(added, got, cmpNetipOpt, sortSvcs); diff != "" {
		t.Errorf("whole table (-want +got):\n%s", diff)
	}
}

// findService returns the service with key k from Services.
func findService(t *testing.T, n *Netlink, k ServiceKey) Service {
	t.Helper()
	all, err := n.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Key == k {
			return s
		}
	}
	t.Fatalf("service %s not in Services() = %v", keyName(k), all)
	return Service{}
}

// TestVMSchedulers creates one service per scheduler ldirectord accepts;
// a scheduler whose module this kernel does not ship is skipped (logged).
func TestVMSchedulers(t *testing.T) {
	n, ns := openIn(t)
	for i, sched := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"} {
		t.Run(sched, func(t *testing.T) {
			if _, err := os.Stat("/sys/module/ip_vs_" + sched); err != nil {
				t.Skipf("module ip_vs_%s absent from this kernel (%v)", sched, err)
			}
			k := tcp4(fmt.Sprintf("203.0.113.20:%d", 1000+i))
			s := Service{Key: k, Scheduler: sched, NetmaskBits: 32}
			if err := n.AddService(s); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s, findService(t, n, k), cmpNetipOpt); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			wantLines(t, ipvsadm(t, ns), fmt.Sprintf("TCP %s %s", k.Addr, sched))
		})
	}
}

func TestVMRealsRoundTrip(t *testing.T) {
	n, ns := openIn(t)
	vs := tcp4("203.0.113.10:80")
	fwm := FWMarkKey(7, false)
	v6 := ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("[2001:db8:203::10]:443")}
	for _, s := range []Service{
		{Key: vs, Scheduler: "wrr", NetmaskBits: 32},
		{Key: fwm, Scheduler: "wrr", NetmaskBits: 32},
		{Key: v6, Scheduler: "wlc", NetmaskBits: 128},
	} {
		if err := n.AddService(s); err != nil {
			t.Fatal(err)
		}
	}
	ap := netip.MustParseAddrPort
	tests := []struct {
		name    string
		key     ServiceKey
		add     Real
		want    Real   // as read back
		ipvsadm string // the real's line
	}{
		{"masq keeps port", vs, Real{Addr: ap("192.0.2.11:8080"), Weight: 1, Forward: Masq},
			Real{Addr: ap("192.0.2.11:8080"), Weight: 1, Forward: Masq}, "-> 192.0.2.11:8080 Masq 1 0 0"},
		{"gate takes vport", vs, Real{Addr: ap("192.0.2.12:8080"), Weight: 5, Forward: Gate},
			Real{Addr: ap("192.0.2.12:80"), Weight: 5, Forward: Gate}, "-> 192.0.2.12:80 Route 5 0 0"},
		{"ipip takes vport", vs, Real{Addr: ap("192.0.2.13:0"), Weight: 2, Forward: IPIP},
			Real{Addr: ap("192.0.2.13:80"), Weight: 2, Forward: IPIP}, "-> 192.0.2.13:80 Tunnel 2 0 0"},
		{"weight 0 thresholds", vs, Real{Addr: ap("192.0.2.14:80"), Weight: 0, Forward: Masq, Upper: 100, Lower: 10},
			Real{Addr: ap("192.0.2.14:80"), Weight: 0, Forward: Masq, Upper: 100, Lower: 10}, "-> 192.0.2.14:80 Masq 0 0 0"},
		{"big weight", vs, Real{Addr: ap("192.0.2.15:80"), Weight: 65535, Forward: Masq},
			Real{Addr: ap("192.0.2.15:80"), Weight: 65535, Forward: Masq}, "-> 192.0.2.15:80 Masq 65535 0 0"},
		{"fwmark gate keeps port", fwm, Real{Addr: ap("192.0.2.12:8080"), Weight: 1, Forward: Gate},
			Real{Addr: ap("192.0.2.12:8080"), Weight: 1, Forward: Gate}, "-> 192.0.2.12:8080 Route 1 0 0"},
		{"v6 masq", v6, Real{Addr: ap("[2001:db8:2::11]:8443"), Weight: 3, Forward: Masq},
			Real{Addr: ap("[2001:db8:2::11]:8443"), Weight: 3, Forward: Masq}, "-> [2001:db8:2::11]:8443 Masq 3 0 0"},
		{"v6 gate", v6, Real{Addr: ap("[2001:db8:2::12]:8443"), Weight: 4, Forward: Gate},
			Real{Addr: ap("[2001:db8:2::12]:443"), Weight: 4, Forward: Gate}, "-> [2001:db8:2::12]:443 Route 4 0 0"},
	}
	want := map[ServiceKey][]Real{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := n.AddReal(tc.key, tc.add); err != nil {
				t.Fatal(err)
			}
			want[tc.key] = append(want[tc.key], tc.want)
			wantLines(t, ipvsadm(t, ns), tc.ipvsadm)
		})
	}
	for _, k := range []ServiceKey{vs, fwm, v6} {
		got, err := n.Reals(k)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[k], got, cmpNetipOpt, sortReals); diff != "" {
			t.Errorf("reals of %s (-want +got):\n%s", keyName(k), diff)
		}
	}
	// ipvsadm's threshold columns need -Ln --thresholds.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := ns.Run(ctx, "/opt/bin/ipvsadm", "-Ln", "--thresholds")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, string(out), "-> 192.0.2.14:80 100 10 0 0")
}

func TestVMUpdateAndDelete(t *testing.T) {
	n, ns := openIn(t)
	vs := tcp4("203.0.113.10:80")
	ap := netip.MustParseAddrPort
	if err := n.AddService(Service{Key: vs, Scheduler: "wrr", NetmaskBits: 32}); err != nil {
		t.Fatal(err)
	}
	upd := Service{Key: vs, Scheduler: "sh", Flags: FlagPersistent | FlagSched1, Timeout: 1800, NetmaskBits: 24}
	if err := n.UpdateService(upd); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(upd, findService(t, n, vs), cmpNetipOpt); diff != "" {
		t.Errorf("after UpdateService (-want +got):\n%s", diff)
	}
	wantLines(t, ipvsadm(t, ns), "TCP 203.0.113.10:80 sh (sh-fallback) persistent 1800 mask 255.255.255.0")

	steps := []struct {
		name string
		do   func() error
		want []Real
	}{
		{"add masq and gate", func() error {
			return errors.Join(
				n.AddReal(vs, Real{Addr: ap("192.0.2.11:8080"), Weight: 1, Forward: Masq}),
				n.AddReal(vs, Real{Addr: ap("192.0.2.12:8080"), Weight: 1, Forward: Gate}))
		}, []Real{
			{Addr: ap("192.0.2.11:8080"), Weight: 1, Forward: Masq},
			{Addr: ap("192.0.2.12:80"), Weight: 1, Forward: Gate},
		}},
		{"update masq weight and thresholds", func() error {
			return n.UpdateReal(vs, Real{Addr: ap("192.0.2.11:8080"), Weight: 0, Forward: Masq, Upper: 50, Lower: 5})
		}, []Real{
			{Addr: ap("192.0.2.11:8080"), Weight: 0, Forward: Masq, Upper: 50, Lower: 5},
			{Addr: ap("192.0.2.12:80"), Weight: 1, Forward: Gate},
		}},
		{"update gate by its configured port", func() error {
			return n.UpdateReal(vs, Real{Addr: ap("192.0.2.12:8080"), Weight: 7, Forward: Gate})
		}, []Real{
			{Addr: ap("192.0.2.11:8080"), Weight: 0, Forward: Masq, Upper: 50, Lower: 5},
			{Addr: ap("192.0.2.12:80"), Weight: 7, Forward: Gate},
		}},
		{"update gate to ipip", func() error {
			return n.UpdateReal(vs, Real{Addr: ap("192.0.2.12:80"), Weight: 7, Forward: IPIP})
		}, []Real{
			{Addr: ap("192.0.2.11:8080"), Weight: 0, Forward: Masq, Upper: 50, Lower: 5},
			{Addr: ap("192.0.2.12:80"), Weight: 7, Forward: IPIP},
		}},
		{"delete rewritten real by its configured port", func() error {
			return n.DelReal(vs, ap("192.0.2.12:8080"))
		}, []Real{
			{Addr: ap("192.0.2.11:8080"), Weight: 0, Forward: Masq, Upper: 50, Lower: 5},
		}},
		{"delete masq", func() error { return n.DelReal(vs, ap("192.0.2.11:8080")) }, []Real{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			got, err := n.Reals(vs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(st.want, got, cmpNetipOpt, sortReals); diff != "" {
				t.Errorf("reals (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("delete service with reals", func(t *testing.T) {
		if err := n.AddReal(vs, Real{Addr: ap("192.0.2.11:80"), Weight: 1}); err != nil {
			t.Fatal(err)
		}
		if err := n.DelService(vs); err != nil {
			t.Fatal(err)
		}
		got, err := n.Services()
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 {
			t.Errorf("Services after DelService = %#v, want an empty non-nil slice", got)
		}
	})
}

func TestVMErrors(t *testing.T) {
	n, _ := openIn(t)
	vs := tcp4("203.0.113.10:80")
	missing := tcp4("203.0.113.99:80")
	ap := netip.MustParseAddrPort
	r := Real{Addr: ap("192.0.2.236:80"), Weight: 1}
	if err := n.AddService(Service{Key: vs, Scheduler: "wrr", NetmaskBits: 32}); err != nil {
		t.Fatal(err)
	}
	if err := n.AddReal(vs, r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		do    func() error
		errno syscall.Errno
		msg   string
	}{
		{"add existing service", func() error { return n.AddService(Service{Key: vs, Scheduler: "rr", NetmaskBits: 32}) },
			syscall.EEXIST, "add service TCP 203.0.113.10:80: file exists"},
		{"update missing service", func() error { return n.UpdateService(Service{Key: missing, Scheduler: "rr", NetmaskBits: 32}) },
			syscall.ESRCH, "update service TCP 203.0.113.99:80: no such process"},
		{"delete missing service", func() error { return n.DelService(missing) },
			syscall.ESRCH, "delete service TCP 203.0.113.99:80: no such process"},
		{"add existing real", func() error { return n.AddReal(vs, r) },
			syscall.EEXIST, "add real 192.0.2.236:80 to TCP 203.0.113.10:80: file exists"},
		{"add real to missing service", func() error { return n.AddReal(missing, r) },
			syscall.ESRCH, "add real 192.0.2.236:80 to TCP 203.0.113.99:80: no such process"},
		{"update missing real", func() error { return n.UpdateReal(vs, Real{Addr: ap("192.0.2.237:80"), Weight: 2}) },
			syscall.ENOENT, "update real 192.0.2.237:80 in TCP 203.0.113.10:80: no such file or directory"},
		{"delete missing real", func() error { return n.DelReal(vs, ap("192.0.2.237:80")) },
			syscall.ENOENT, "delete real 192.0.2.237:80 from TCP 203.0.113.10:80: no such file or directory"},
		{"delete masq real by another port", func() error { return n.DelReal(vs, ap("192.0.2.236:8080")) },
			syscall.ENOENT, "delete real 192.0.2.236:8080 from TCP 203.0.113.10:80: no such file or directory"},
		{"delete real of missing service", func() error { return n.DelReal(missing, r.Addr) },
			syscall.ESRCH, "delete real 192.0.2.236:80 from TCP 203.0.113.99:80: no such process"},
		{"reals of missing service", func() error { _, err := n.Reals(missing); return err },
			syscall.ESRCH, "list reals of TCP 203.0.113.99:80: no such process"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if !errors.Is(err, tc.errno) {
				t.Fatalf("got %v, want an error wrapping %v (%d)", err, tc.errno, int(tc.errno))
			}
			if err.Error() != tc.msg {
				t.Errorf("message = %q, want %q", err, tc.msg)
			}
		})
	}
	if got, err := n.Reals(vs); err != nil || len(got) != 1 {
		t.Errorf("the failed calls changed the table: Reals = %v, %v", got, err)
	}
}

// TestVMConcurrentCalls hammers one Netlink from several goroutines; without
// the mutex, moby/ipvs goroutines swallow each other's replies and hang.
func TestVMConcurrentCalls(t *testing.T) {
	n, _ := openIn(t)
	vs := tcp4("203.0.113.10:80")
	if err := n.AddService(Service{Key: vs, Scheduler: "wrr", NetmaskBits: 32}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + w)}), uint16(1000+i))
				if err := n.AddReal(vs, Real{Addr: a, Weight: 1}); err != nil {
					errs <- err
					return
				}
				if _, err := n.Reals(vs); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := n.Reals(vs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != workers*each {
		t.Errorf("got %d reals, want %d", len(got), workers*each)
	}
}
