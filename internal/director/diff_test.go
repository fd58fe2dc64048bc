package director

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
)

// tableOf parses ipvsadm -Ln-like text into a Table.
func tableOf(t testing.TB, text string) Table {
	t.Helper()
	entries, err := ipvstest.Parse(text)
	if err != nil {
		t.Fatalf("parse table: %v", err)
	}
	tab := Table{}
	for _, e := range entries {
		ds := DesiredService{Service: e.Service, Reals: map[netip.AddrPort]ipvs.Real{}}
		for _, r := range e.Reals {
			ds.Reals[r.Addr] = r
		}
		tab[e.Service.Key] = ds
	}
	return tab
}

// keyOf parses "TCP 10.1.1.10:80" or "FWM 80".
func keyOf(t testing.TB, s string) ipvs.ServiceKey {
	t.Helper()
	e, err := ipvstest.Parse(s + " wrr")
	if err != nil || len(e) != 1 {
		t.Fatalf("parse key %q: %v", s, err)
	}
	return e[0].Service.Key
}

// checkNoDeleteOfStaying is the invariant shared by every diff case: no op
// deletes a service or real that stays desired (or Pending).
func checkNoDeleteOfStaying(t *testing.T, desired Table, ops []Op) {
	t.Helper()
	for _, op := range ops {
		ds, ok := desired[op.Service.Key]
		switch {
		case op.Kind == DelService && ok:
			t.Errorf("invariant: %s deletes a desired service", op)
		case op.Kind == DelReal && ok:
			if _, want := ds.Reals[op.Real.Addr]; want || ds.Pending[op.Real.Addr] {
				t.Errorf("invariant: %s deletes a real that stays", op)
			}
		}
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name    string
		kernel  string   // before
		desired string   // desired table
		pending []string // "TCP 10.1.1.10:80 -> 10.0.0.9:80": Pending reals of desired
		owned   string   // services (with the reals we wrote) we own; "" = none
		created bool     // owned services were created by us
		wantOps []string // ipvsadm words, as the strict kernel logs them
		after   string   // kernel after applying the ops
	}{
		{
			name:    "empty kernel: add service and reals",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\n -> 10.0.0.3:8080 Masq 2 u:10 l:1",
			wantOps: []string{
				"-A -t 10.1.1.10:80 -s wrr",
				"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1",
				"-a -t 10.1.1.10:80 -r 10.0.0.3:8080 -m -w 2 -x 10 -y 1",
			},
			after: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\n -> 10.0.0.3:8080 Masq 2 u:10 l:1",
		},
		{
			name:    "in sync: nothing",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			after:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
		},
		{
			name:    "scheduler and persistence change is an update, reals untouched",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			desired: "TCP 10.1.1.10:80 sh persistent 300 mask 255.255.255.0 sh-port\n -> 10.0.0.2:80 Route 1",
			wantOps: []string{"-E -t 10.1.1.10:80 -s sh -p 300 -M 255.255.255.0 -b sh-port"},
			after:   "TCP 10.1.1.10:80 sh persistent 300 mask 255.255.255.0 sh-port\n -> 10.0.0.2:80 Route 1",
		},
		{
			name:    "quiesce, restore, forwarding change, thresholds are updates",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\n -> 10.0.0.3:80 Route 0\n -> 10.0.0.4:80 Masq 1\n -> 10.0.0.5:80 Masq 1",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 0\n -> 10.0.0.3:80 Route 3\n -> 10.0.0.4:80 Route 1\n -> 10.0.0.5:80 Masq 1 u:5 l:2",
			wantOps: []string{
				"-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0",
				"-e -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 3",
				"-e -t 10.1.1.10:80 -r 10.0.0.4:80 -g -w 1",
				"-e -t 10.1.1.10:80 -r 10.0.0.5:80 -m -w 1 -x 5 -y 2",
			},
			after: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 0\n -> 10.0.0.3:80 Route 3\n -> 10.0.0.4:80 Route 1\n -> 10.0.0.5:80 Masq 1 u:5 l:2",
		},
		{
			name:    "untracked real in a managed service is purged, after the adds",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.9:80 Route 1",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			wantOps: []string{
				"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1",
				"-d -t 10.1.1.10:80 -r 10.0.0.9:80",
			},
			after: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
		},
		{
			name:    "pending reals are neither added nor deleted nor changed",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 5",
			desired: "TCP 10.1.1.10:80 wrr",
			pending: []string{"TCP 10.1.1.10:80 -> 10.0.0.2:80", "TCP 10.1.1.10:80 -> 10.0.0.3:80"},
			after:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 5",
		},
		{
			name:    "foreign services are never touched",
			kernel:  "TCP 10.9.9.9:80 rr\n -> 10.0.0.2:80 Masq 1\nUDP 10.1.1.10:53 wrr\n -> 10.0.0.7:53 Route 1",
			desired: "TCP 10.1.1.10:80 wrr",
			wantOps: []string{"-A -t 10.1.1.10:80 -s wrr"},
			after:   "TCP 10.1.1.10:80 wrr\nTCP 10.9.9.9:80 rr\n -> 10.0.0.2:80 Masq 1\nUDP 10.1.1.10:53 wrr\n -> 10.0.0.7:53 Route 1",
		},
		{
			name:    "owned service no longer configured is deleted; foreign kept",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\nTCP 10.1.1.11:80 wrr\n -> 10.0.0.2:80 Route 1\nTCP 10.9.9.9:80 rr",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			owned:   "TCP 10.1.1.10:80 wrr\nTCP 10.1.1.11:80 wrr",
			wantOps: []string{"-D -t 10.1.1.11:80"},
			after:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\nTCP 10.9.9.9:80 rr",
		},
		{
			name:    "owned service already gone: nothing",
			desired: "",
			owned:   "TCP 10.1.1.11:80 wrr",
		},
		{
			name:    "manual weight kept while we have not changed our mind (PR #125)",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 7\n -> 10.0.0.3:80 Route 0",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\n -> 10.0.0.3:80 Route 1",
			owned:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1\n -> 10.0.0.3:80 Route 0",
			wantOps: []string{"-e -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 1"},
			after:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 7\n -> 10.0.0.3:80 Route 1",
		},
		{
			name:    "manual forwarding change is repaired",
			kernel:  "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Masq 1",
			desired: "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			owned:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
			wantOps: []string{"-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1"},
			after:   "TCP 10.1.1.10:80 wrr\n -> 10.0.0.2:80 Route 1",
		},
		{
			name:    "service deleted behind our back is re-created with its reals",
			kernel:  "FWM 80 IPv6 rr",
			desired: "FWM 80 IPv6 rr\nFWM 80 wrr\n -> 10.0.0.2:0 Tunnel 2",
			owned:   "FWM 80 wrr\n -> 10.0.0.2:0 Tunnel 2",
			wantOps: []string{"-A -f 80 -s wrr", "-a -f 80 -r 10.0.0.2:0 -i -w 2"},
			after:   "FWM 80 wrr\n -> 10.0.0.2:0 Tunnel 2\nFWM 80 IPv6 rr",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &ipvstest.Kernel{}
			if err := k.Load(tc.kernel); err != nil {
				t.Fatal(err)
			}
			desired := tableOf(t, tc.desired)
			for _, p := range tc.pending {
				svc, addr, _ := strings.Cut(p, " -> ")
				ds := desired[keyOf(t, svc)]
				if ds.Pending == nil {
					ds.Pending = map[netip.AddrPort]bool{}
				}
				ds.Pending[netip.MustParseAddrPort(addr)] = true
				desired[keyOf(t, svc)] = ds
			}
			owned := Owned{}
			for key, ds := range tableOf(t, tc.owned) {
				owned[key] = OwnedService{Created: tc.created, Reals: ds.Reals}
			}
			kernel, err := ReadKernel(k)
			if err != nil {
				t.Fatal(err)
			}
			ops := Diff(desired, kernel, owned)
			checkNoDeleteOfStaying(t, desired, ops)
			for _, op := range ops {
				if err := ApplyOp(k, op); err != nil {
					t.Fatalf("apply %s: %v", op, err)
				}
			}
			if diff := cmp.Diff(tc.wantOps, k.Ops()); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(FormatTable(tableOf(t, tc.after)), FormatTable(mustRead(t, k))); diff != "" {
				t.Errorf("kernel after (-want +got):\n%s", diff)
			}
			// Converged: a second diff finds nothing to do.
			for _, op := range ops { // record what we wrote, as the director does
				o := owned[op.Service.Key]
				if o.Reals == nil {
					o.Reals = map[netip.AddrPort]ipvs.Real{}
				}
				if op.Kind == AddReal || op.Kind == UpdateReal {
					o.Reals[op.Real.Addr] = op.Real
				}
				owned[op.Service.Key] = o
			}
			if again := Diff(desired, mustRead(t, k), owned); len(again) != 0 {
				t.Errorf("second diff not empty: %v", again)
			}
		})
	}
}

func mustRead(t testing.TB, k ipvs.Kernel) Table {
	t.Helper()
	tab, err := ReadKernel(k)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestDiffReal(t *testing.T) {
	key := ipvs.ServiceKey{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}
	up := &ipvs.Real{Addr: netip.MustParseAddrPort("10.0.0.2:80"), Weight: 1, Forward: ipvs.Gate}
	quiet := &ipvs.Real{Addr: up.Addr, Weight: 0, Forward: ipvs.Gate}
	tests := []struct {
		name       string
		want, have *ipvs.Real
		wantKind   OpKind
		wantNone   bool
	}{
		{name: "absent to absent", wantNone: true},
		{name: "same", want: up, have: up, wantNone: true},
		{name: "add", want: up, wantKind: AddReal},
		{name: "delete", have: up, wantKind: DelReal},
		{name: "quiesce", want: quiet, have: up, wantKind: UpdateReal},
		{name: "restore", want: up, have: quiet, wantKind: UpdateReal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op, ok := DiffReal(key, tc.want, tc.have, RoleReal, "why")
			if ok == tc.wantNone {
				t.Fatalf("ok = %v, want %v (op %v)", ok, !tc.wantNone, op)
			}
			if ok && (op.Kind != tc.wantKind || op.Reason != "why" || op.Service.Key != key || op.Real.Addr != up.Addr) {
				t.Errorf("op = %v, want kind %v on %s", op, tc.wantKind, up.Addr)
			}
		})
	}
}

// TestDiffProperty applies Diff's ops between random kernel tables and
// random desired tables: the strict kernel must accept every op, managed
// services must end exactly as desired (Pending reals and kept manual
// weights as they were), and foreign services must not change.
func TestDiffProperty(t *testing.T) {
	for seed := range uint64(500) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			kernelTab, desired, owned := randomTable(rng), randomTable(rng), Owned{}
			for key, ds := range randomTable(rng) {
				owned[key] = OwnedService{Reals: ds.Reals}
			}
			for key, ds := range desired { // some reals Pending
				ds.Pending = map[netip.AddrPort]bool{}
				for a := range ds.Reals {
					if rng.IntN(5) == 0 {
						delete(ds.Reals, a)
						ds.Pending[a] = true
					}
				}
				desired[key] = ds
			}
			k := &ipvstest.Kernel{}
			for _, key := range sortedKeys(kernelTab) {
				ds := kernelTab[key]
				if err := k.AddService(ds.Service); err != nil {
					t.Fatal(err)
				}
				for _, a := range sortedAddrs(ds.Reals) {
					if err := k.AddReal(key, ds.Reals[a]); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := mustRead(t, k)
			ops := Diff(desired, before, owned)
			checkNoDeleteOfStaying(t, desired, ops)
			for _, op := range ops {
				if err := ApplyOp(k, op); err != nil {
					t.Fatalf("strict kernel rejected %s: %v\nbefore:\n%s", op, err, FormatTable(before))
				}
			}
			after := mustRead(t, k)
			for key, ds := range before {
				_, managed := owned[key]
				if _, ok := desired[key]; !ok && !managed {
					if diff := cmp.Diff(FormatTable(Table{key: ds}), FormatTable(Table{key: after[key]})); diff != "" {
						t.Errorf("foreign service %s changed (-before +after):\n%s", key, diff)
					}
				} else if _, ok := desired[key]; !ok {
					if _, still := after[key]; still {
						t.Errorf("owned undesired service %s not deleted", key)
					}
				}
			}
			for key, want := range desired {
				exp := DesiredService{Service: want.Service, Reals: map[netip.AddrPort]ipvs.Real{}}
				for a, r := range want.Reals {
					if h, ok := before[key].Reals[a]; ok && manualWeight(r, h, owned[key].Reals) {
						r = h
					}
					exp.Reals[a] = r
				}
				for a := range want.Pending {
					if h, ok := before[key].Reals[a]; ok {
						exp.Reals[a] = h
					}
				}
				if diff := cmp.Diff(FormatTable(Table{key: exp}), FormatTable(Table{key: after[key]})); diff != "" {
					t.Errorf("managed service %s (-want +got):\n%s", key, diff)
				}
			}
		})
	}
}

// randomTable draws services and reals from small pools so that kernel,
// desired and owned tables overlap.
func randomTable(rng *rand.Rand) Table {
	keys := []ipvs.ServiceKey{
		{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")},
		{Proto: ipvs.UDP, Addr: netip.MustParseAddrPort("10.1.1.10:80")},
		{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("10.1.1.11:443")},
		{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("[2001:db8::1]:80")},
		ipvs.FWMarkKey(7, false),
	}
	scheds := []string{"wrr", "rr", "sh"}
	t := Table{}
	for _, key := range keys {
		if rng.IntN(2) == 0 {
			continue
		}
		full := uint8(32)
		if key.Is6() {
			full = 128
		}
		s := ipvs.Service{Key: key, Scheduler: scheds[rng.IntN(len(scheds))], NetmaskBits: full}
		if rng.IntN(3) == 0 {
			s.Flags, s.Timeout = ipvs.FlagPersistent, uint32(rng.IntN(2)*300+60)
		}
		ds := DesiredService{Service: s, Reals: map[netip.AddrPort]ipvs.Real{}}
		for i := range 4 {
			if rng.IntN(2) == 0 {
				continue
			}
			addr := netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i)})
			if key.Is6() {
				addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(2 + i)})
			}
			r := ipvs.Real{Forward: []ipvs.Forward{ipvs.Masq, ipvs.Gate, ipvs.IPIP}[rng.IntN(3)], Weight: rng.IntN(3), Upper: uint32(rng.IntN(2) * 10)}
			port := uint16(8080)
			switch {
			case key.IsFWMark():
				port = 0
			case r.Forward != ipvs.Masq:
				port = key.Addr.Port()
			}
			r.Addr = netip.AddrPortFrom(addr, port)
			ds.Reals[r.Addr] = r
		}
		t[key] = ds
	}
	return t
}
