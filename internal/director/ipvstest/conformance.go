package ipvstest

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// The conformance table holds the fake to the kernel: Conformance runs
// every case against a fresh ipvs.Kernel, the fake in unit tests
// (TestConformance) and the netlink adapter over the real IPVS of the
// test VM (internal/director/ipvs, build tag vm). Each case is a few
// calls with the error each must wrap (nil for success), then the table
// as Format renders it. Where the fake and the VM kernel disagree, the
// fake is wrong.
//
// The kernel is Debian 12's (6.1, the VM's). Its errors, from
// net/netfilter/ipvs/ip_vs_ctl.c and as measured in the VM: an unknown
// scheduler is ENOENT (ip_vs_scheduler_get finds no module ip_vs_<name>;
// twos came with 6.2), a negative weight or a lower threshold above the
// upper one is ERANGE (ip_vs_add_dest, ip_vs_edit_dest), a threshold
// above 2^31-1 is EINVAL. The adapter adds two rules: weights above 65535,
// which the kernel takes (up to 2^31-1), are refused as ipvsadm refuses
// them, with ERANGE; a real of another family than its service is EINVAL,
// because moby/ipvs cannot send the real's family (the kernel would take a
// tunnelled one, and read any other's address in the service's family).
// The kernel lists a service's reals newest first.

// Step is one call of a conformance case and the error it must wrap.
type Step struct {
	Call func(ipvs.Kernel) error
	Want error  // a syscall.Errno, or nil
	Text string // the call in ipvsadm words, for messages
}

// Case is one conformance case.
type Case struct {
	Name  string
	Steps []Step
	Table string // the table after the steps, as Format renders it (reals in the kernel's order)
}

// addSvc, addReal, ... build steps.
func addSvc(s ipvs.Service, want error) Step {
	return Step{Call: func(k ipvs.Kernel) error { return k.AddService(s) }, Want: want, Text: "-A " + serviceArgs(s)}
}

func editSvc(s ipvs.Service, want error) Step {
	return Step{Call: func(k ipvs.Kernel) error { return k.UpdateService(s) }, Want: want, Text: "-E " + serviceArgs(s)}
}

func addReal(key ipvs.ServiceKey, r ipvs.Real, want error) Step {
	return Step{Call: func(k ipvs.Kernel) error { return k.AddReal(key, r) }, Want: want, Text: "-a " + realArgs(key, r)}
}

func editReal(key ipvs.ServiceKey, r ipvs.Real, want error) Step {
	return Step{Call: func(k ipvs.Kernel) error { return k.UpdateReal(key, r) }, Want: want, Text: "-e " + realArgs(key, r)}
}

// Cases is the conformance table.
func Cases() []Case {
	ap := netip.MustParseAddrPort
	v4 := ipvs.ServiceKey{Proto: ipvs.TCP, Addr: ap("203.0.113.10:80")}
	v6 := ipvs.ServiceKey{Proto: ipvs.TCP, Addr: ap("[2001:db8::10]:80")}
	fwm4 := ipvs.FWMarkKey(7, false)
	svc := func(k ipvs.ServiceKey, sched string) ipvs.Service {
		return ipvs.Service{Key: k, Scheduler: sched, NetmaskBits: k.FullMaskBits()}
	}
	rl := func(a string, w int, f ipvs.Forward) ipvs.Real { return ipvs.Real{Addr: ap(a), Weight: w, Forward: f} }
	thr := func(a string, upper, lower uint32) ipvs.Real {
		return ipvs.Real{Addr: ap(a), Weight: 1, Forward: ipvs.Masq, Upper: upper, Lower: lower}
	}
	var known []Step
	var knownTable strings.Builder
	for i, s := range KernelSchedulers {
		k := ipvs.ServiceKey{Proto: ipvs.TCP, Addr: ap(fmt.Sprintf("203.0.113.20:%d", 1000+i))}
		known = append(known, addSvc(svc(k, s), nil))
		knownTable.WriteString(ipvs.ServiceLine(svc(k, s)) + "\n")
	}
	return []Case{
		{Name: "every scheduler of the kernel", Steps: known, Table: knownTable.String()},
		{Name: "unknown scheduler", Steps: []Step{addSvc(svc(v4, "nosuch"), syscall.ENOENT)}},
		{Name: "twos is not in the 6.1 kernel", Steps: []Step{addSvc(svc(v4, "twos"), syscall.ENOENT)}},
		{Name: "update to an unknown scheduler keeps the old one", Steps: []Step{
			addSvc(svc(v4, "rr"), nil), editSvc(svc(v4, "nosuch"), syscall.ENOENT),
		}, Table: "TCP  203.0.113.10:80 rr\n"},
		{Name: "weights 0 and 65535", Steps: []Step{
			addSvc(svc(v4, "wrr"), nil),
			addReal(v4, rl("192.0.2.1:80", 0, ipvs.Masq), nil),
			addReal(v4, rl("192.0.2.2:80", 65535, ipvs.Masq), nil),
		}, Table: "TCP  203.0.113.10:80 wrr\n" +
			ipvs.RealLine(rl("192.0.2.2:80", 65535, ipvs.Masq)) + "\n" +
			ipvs.RealLine(rl("192.0.2.1:80", 0, ipvs.Masq)) + "\n"},
		{Name: "negative and huge weights", Steps: []Step{
			addSvc(svc(v4, "wrr"), nil),
			addReal(v4, rl("192.0.2.1:80", -1, ipvs.Masq), syscall.ERANGE),
			addReal(v4, rl("192.0.2.1:80", 65536, ipvs.Masq), syscall.ERANGE),
			addReal(v4, rl("192.0.2.1:80", math.MaxInt32+1, ipvs.Masq), syscall.ERANGE),
			addReal(v4, rl("192.0.2.1:80", 5, ipvs.Masq), nil),
			editReal(v4, rl("192.0.2.1:80", -5, ipvs.Masq), syscall.ERANGE),
		}, Table: "TCP  203.0.113.10:80 wrr\n" + ipvs.RealLine(rl("192.0.2.1:80", 5, ipvs.Masq)) + "\n"},
		{Name: "thresholds", Steps: []Step{
			addSvc(svc(v4, "wlc"), nil),
			addReal(v4, thr("192.0.2.1:80", 100, 50), nil),
			addReal(v4, thr("192.0.2.2:80", 50, 100), syscall.ERANGE),
			addReal(v4, thr("192.0.2.2:80", 0, 5), syscall.ERANGE),
			addReal(v4, thr("192.0.2.2:80", math.MaxUint32, 0), syscall.EINVAL),
			addReal(v4, thr("192.0.2.2:80", math.MaxInt32+1, math.MaxInt32+1), syscall.EINVAL),
			addReal(v4, thr("192.0.2.2:80", math.MaxInt32, 0), nil),
			addReal(v4, thr("192.0.2.3:80", 7, 7), nil),
			editReal(v4, thr("192.0.2.1:80", 10, 20), syscall.ERANGE),
			editReal(v4, thr("192.0.2.1:80", math.MaxInt32+1, 20), syscall.EINVAL),
		}, Table: "TCP  203.0.113.10:80 wlc\n" +
			ipvs.RealLine(thr("192.0.2.3:80", 7, 7)) + "\n" +
			ipvs.RealLine(thr("192.0.2.2:80", math.MaxInt32, 0)) + "\n" +
			ipvs.RealLine(thr("192.0.2.1:80", 100, 50)) + "\n"},
		{Name: "mixed address families", Steps: []Step{
			addSvc(svc(v4, "rr"), nil),
			addSvc(svc(v6, "rr"), nil),
			addSvc(svc(fwm4, "rr"), nil),
			addReal(v4, rl("[2001:db8::1]:80", 1, ipvs.Masq), syscall.EINVAL),
			addReal(v4, rl("[2001:db8::1]:80", 1, ipvs.Gate), syscall.EINVAL),
			addReal(v6, rl("192.0.2.1:80", 1, ipvs.Masq), syscall.EINVAL),
			addReal(fwm4, rl("[2001:db8::2]:0", 1, ipvs.Masq), syscall.EINVAL),
			addReal(v4, rl("[2001:db8::1]:80", 1, ipvs.IPIP), syscall.EINVAL),
			addReal(v6, rl("192.0.2.1:80", 1, ipvs.IPIP), syscall.EINVAL),
			addReal(v4, rl("192.0.2.1:80", 1, ipvs.IPIP), nil),
		}, Table: "TCP  203.0.113.10:80 rr\n" + ipvs.RealLine(rl("192.0.2.1:80", 1, ipvs.IPIP)) + "\n" +
			"TCP  [2001:db8::10]:80 rr\n" +
			"FWM  7 rr\n"},
		{Name: "reals are listed newest first", Steps: []Step{
			addSvc(svc(v4, "rr"), nil),
			addReal(v4, rl("192.0.2.3:80", 1, ipvs.Masq), nil),
			addReal(v4, rl("192.0.2.1:80", 1, ipvs.Masq), nil),
			addReal(v4, rl("192.0.2.2:80", 1, ipvs.Masq), nil),
			editReal(v4, rl("192.0.2.3:80", 4, ipvs.Masq), nil),
		}, Table: "TCP  203.0.113.10:80 rr\n" +
			ipvs.RealLine(rl("192.0.2.2:80", 1, ipvs.Masq)) + "\n" +
			ipvs.RealLine(rl("192.0.2.1:80", 1, ipvs.Masq)) + "\n" +
			ipvs.RealLine(rl("192.0.2.3:80", 4, ipvs.Masq)) + "\n"},
	}
}

// Conformance runs every case of Cases against a fresh table from open.
func Conformance(t *testing.T, open func(t *testing.T) ipvs.Kernel) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			k := open(t)
			for _, s := range c.Steps {
				err := s.Call(k)
				switch {
				case s.Want == nil && err != nil:
					t.Errorf("%s: %v, want success", s.Text, err)
				case s.Want != nil && !errors.Is(err, s.Want):
					t.Errorf("%s: error %v, want one wrapping %v (%d)", s.Text, err, s.Want, s.Want)
				}
			}
			got, err := Dump(k)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.Table, got); diff != "" {
				t.Errorf("table after the steps (-want +got):\n%s", diff)
			}
		})
	}
}

// Dump renders any Kernel's table as Format does: services in key order,
// reals in the order the kernel lists them, without counters.
func Dump(k ipvs.Kernel) (string, error) {
	svcs, err := k.Services()
	if err != nil {
		return "", err
	}
	slices.SortFunc(svcs, func(a, b ipvs.Service) int { return CompareKeys(a.Key, b.Key) })
	var entries []Entry
	for _, s := range svcs {
		reals, err := k.Reals(s.Key)
		if err != nil {
			return "", err
		}
		for i := range reals {
			reals[i].Active, reals[i].Inactive = 0, 0
		}
		entries = append(entries, Entry{Service: s, Reals: reals})
	}
	return Format(entries), nil
}
