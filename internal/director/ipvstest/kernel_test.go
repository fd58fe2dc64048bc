package ipvstest

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

var (
	vip   = ipvs.ServiceKey{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}
	fwm   = ipvs.FWMarkKey(80, false)
	wrr   = ipvs.Service{Key: vip, Scheduler: "wrr", NetmaskBits: 32}
	rip   = netip.MustParseAddrPort("10.0.0.2:8080")
	rip80 = netip.MustParseAddrPort("10.0.0.2:80")
)

func TestStrictErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		call  func(k *Kernel) error
		want  error
	}{
		{name: "duplicate service", setup: "TCP 10.1.1.10:80 wrr", call: func(k *Kernel) error { return k.AddService(wrr) }, want: syscall.EEXIST},
		{name: "update missing service", call: func(k *Kernel) error { return k.UpdateService(wrr) }, want: syscall.ESRCH},
		{name: "delete missing service", call: func(k *Kernel) error { return k.DelService(vip) }, want: syscall.ESRCH},
		{name: "reals of missing service", call: func(k *Kernel) error { _, err := k.Reals(vip); return err }, want: syscall.ESRCH},
		{name: "empty scheduler", call: func(k *Kernel) error { return k.AddService(ipvs.Service{Key: vip, NetmaskBits: 32}) }, want: syscall.EINVAL},
		{name: "ipv6 netmask 0", call: func(k *Kernel) error {
			return k.AddService(ipvs.Service{Key: ipvs.FWMarkKey(1, true), Scheduler: "rr"})
		}, want: syscall.EINVAL},
		{name: "real into missing service", call: func(k *Kernel) error { return k.AddReal(vip, ipvs.Real{Addr: rip, Weight: 1}) }, want: syscall.ESRCH},
		{name: "duplicate real", setup: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:8080 Masq 1", call: func(k *Kernel) error {
			return k.AddReal(vip, ipvs.Real{Addr: rip, Weight: 3})
		}, want: syscall.EEXIST},
		{name: "duplicate gate real after port rewrite", setup: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1", call: func(k *Kernel) error {
			return k.AddReal(vip, ipvs.Real{Addr: rip, Forward: ipvs.Gate, Weight: 1})
		}, want: syscall.EEXIST},
		{name: "update missing real", setup: "TCP 10.1.1.10:80 wrr", call: func(k *Kernel) error { return k.UpdateReal(vip, ipvs.Real{Addr: rip}) }, want: syscall.ENOENT},
		{name: "delete missing real", setup: "TCP 10.1.1.10:80 wrr", call: func(k *Kernel) error { return k.DelReal(vip, rip) }, want: syscall.ENOENT},
		{name: "masq real on vport is not a rewritten gate real", setup: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Masq 1", call: func(k *Kernel) error {
			return k.DelReal(vip, rip)
		}, want: syscall.ENOENT},
		{name: "negative weight", setup: "TCP 10.1.1.10:80 wrr", call: func(k *Kernel) error { return k.AddReal(vip, ipvs.Real{Addr: rip, Weight: -1}) }, want: syscall.ERANGE},
		{name: "weight above 65535", setup: "TCP 10.1.1.10:80 wrr", call: func(k *Kernel) error { return k.AddReal(vip, ipvs.Real{Addr: rip, Weight: 65536}) }, want: syscall.ERANGE},
		{name: "injected failure", call: func(k *Kernel) error { k.FailNext(syscall.EBUSY); _, err := k.Services(); return err }, want: syscall.EBUSY},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &Kernel{}
			if err := k.Load(tc.setup); err != nil {
				t.Fatal(err)
			}
			before := k.String()
			err := tc.call(k)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if diff := cmp.Diff(before, k.String()); diff != "" {
				t.Errorf("failed call changed the table (-before +after):\n%s", diff)
			}
			if len(k.Ops()) != 0 {
				t.Errorf("failed call logged ops %q", k.Ops())
			}
		})
	}
}

func TestOpsAndRender(t *testing.T) {
	k := &Kernel{}
	steps := []func() error{
		func() error {
			return k.AddService(ipvs.Service{Key: vip, Scheduler: "sh", Flags: ipvs.FlagPersistent | ipvs.FlagSched2, Timeout: 300, NetmaskBits: 24})
		},
		func() error { return k.AddReal(vip, ipvs.Real{Addr: rip, Forward: ipvs.Gate, Weight: 1}) },
		func() error {
			return k.AddReal(vip, ipvs.Real{Addr: netip.MustParseAddrPort("10.0.0.3:8080"), Forward: ipvs.Masq, Weight: 2, Upper: 100, Lower: 10})
		},
		func() error { return k.UpdateReal(vip, ipvs.Real{Addr: rip, Forward: ipvs.Gate, Weight: 0}) },
		func() error { return k.AddService(ipvs.Service{Key: fwm, Scheduler: "wrr", NetmaskBits: 32}) },
		func() error {
			return k.AddReal(fwm, ipvs.Real{Addr: netip.MustParseAddrPort("10.0.0.4:0"), Forward: ipvs.IPIP, Weight: 5})
		},
		func() error { return k.DelReal(vip, rip) }, // configured port, stored on vport 80
		func() error {
			return k.UpdateService(ipvs.Service{Key: fwm, Scheduler: "rr", Flags: ipvs.FlagOnePacket, NetmaskBits: 32})
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	wantOps := []string{
		"-A -t 10.1.1.10:80 -s sh -p 300 -M 255.255.255.0 -b sh-port",
		"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1",
		"-a -t 10.1.1.10:80 -r 10.0.0.3:8080 -m -w 2 -x 100 -y 10",
		"-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0",
		"-A -f 80 -s wrr",
		"-a -f 80 -r 10.0.0.4:0 -i -w 5",
		"-d -t 10.1.1.10:80 -r 10.0.0.2:80",
		"-E -f 80 -s rr -o",
	}
	if diff := cmp.Diff(wantOps, k.Ops()); diff != "" {
		t.Errorf("Ops (-want +got):\n%s", diff)
	}
	want := Header +
		"TCP  10.1.1.10:80 sh (sh-port) persistent 300 mask 255.255.255.0\n" +
		"  -> 10.0.0.3:8080                Masq    2      0          0 u:100 l:10\n" +
		"FWM  80 rr ops\n" +
		"  -> 10.0.0.4:0                   Tunnel  5      0          0\n"
	if diff := cmp.Diff(want, k.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	// The rendering loads back into the same table.
	k2 := &Kernel{}
	if err := k2.Load(k.String()); err != nil {
		t.Fatalf("Load(String()): %v", err)
	}
	if diff := cmp.Diff(k.String(), k2.String()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{name: "real first", text: "  -> 10.0.0.2:80 Route 1", want: "line 1: real before any service"},
		{name: "bad proto", text: "ICMP 10.1.1.10:80 wrr", want: `line 1: unknown protocol "ICMP"`},
		{name: "bad forward", text: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Bridge 1", want: `line 2: unknown forwarding "Bridge"`},
		{name: "dup service", text: "TCP 10.1.1.10:80 wrr\nTCP 10.1.1.10:80 rr", want: "line 2: duplicate service"},
		{name: "no scheduler", text: "FWM 3 IPv6", want: "line 1: service FWM  3 IPv6: no scheduler"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestConformance runs the table the VM test runs against the real
// kernel (internal/director/ipvs, conformance_vm_test.go).
func TestConformance(t *testing.T) {
	Conformance(t, func(*testing.T) ipvs.Kernel { return &Kernel{} })
}
