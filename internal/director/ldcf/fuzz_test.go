package ldcf

import (
	"errors"
	"hash/fnv"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzOptions resolves every name: a hash picks an IPv4 and an IPv6
// address, except names starting with "x", which fail, so the fuzzer
// reaches both the resolution and the error paths.
func fuzzOptions() Options {
	return Options{
		LookupHost: func(h string) ([]netip.Addr, error) {
			if strings.HasPrefix(h, "x") {
				return nil, errors.New("no such host")
			}
			s := fnv.New32a()
			s.Write([]byte(h))
			n := s.Sum32()
			v4 := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
			v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(n >> 24), 13: byte(n >> 16), 14: byte(n >> 8), 15: byte(n)})
			return []netip.Addr{v6, v4}, nil
		},
		Hostname: "fuzz",
	}
}

// FuzzParse checks that Parse never panics, that every error is an *Error
// inside the file, and that an accepted config holds the invariants the
// director relies on.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"s1.cf", "debian-ldirectord.cf"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, tt := range brokenCases {
		f.Add([]byte(tt.src))
	}
	f.Add([]byte(header + "\treal=10.0.0.3->10.0.0.9:http masq 3 \"/x\", \"y\" l:1 u:2\n\tfallback=host:81 ipip\nfallback6=[::1]\nvirtual6=v6:https\n\treal6=[::2]:443 gate\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse(testFile, src, fuzzOptions())
		if err != nil {
			checkFuzzError(t, src, err)
			return
		}
		checkFuzzConfig(t, c)
	})
}

func checkFuzzError(t *testing.T, src []byte, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	if n := strings.Count(string(src), "\n") + 1; e.File != testFile || e.Line < 1 || e.Line > n {
		t.Fatalf("error %q: position %s:%d outside the %d-line file", err, e.File, e.Line, n)
	}
	if !strings.Contains(e.Msg, "(want ") {
		t.Fatalf("error %q does not say what was wanted", err)
	}
}

func checkFuzzConfig(t *testing.T, c *Config) {
	t.Helper()
	seen := map[string]bool{}
	for _, v := range c.Virtuals {
		if (v.FWMark == 0) == !v.Addr.IsValid() || v.Addr.IsValid() && v.Addr.Addr().Is6() != v.IPv6 {
			t.Fatalf("virtual %q: Addr %v FWMark %d IPv6 %v", v.Text, v.Addr, v.FWMark, v.IPv6)
		}
		if seen[v.ID()] {
			t.Fatalf("duplicate virtual %s accepted", v.ID())
		}
		seen[v.ID()] = true
		if v.CheckTimeout <= 0 || v.NegotiateTimeout <= 0 || v.CheckInterval <= 0 || v.CheckCount < 1 || v.FailureCount < 1 {
			t.Fatalf("virtual %q: unresolved timing %+v", v.Text, v)
		}
		if !oneOf(v.Protocol, []string{"tcp", "udp", "fwm"}) || !oneOf(v.Scheduler, schedulers) || !oneOf(v.Service, Services) {
			t.Fatalf("virtual %q: protocol %q scheduler %q service %q", v.Text, v.Protocol, v.Scheduler, v.Service)
		}
		if v.OPS && v.Protocol != "udp" {
			t.Fatalf("virtual %q: ops on %s", v.Text, v.Protocol)
		}
		for _, r := range v.Reals {
			if !r.Addr.IsValid() || r.Addr.Addr().Is6() != v.IPv6 || r.Weight < 0 || r.Weight > 65535 ||
				r.Request != "" && r.Request[0] != '/' || !oneOf(string(r.Forward), []string{"gate", "masq", "ipip"}) {
				t.Fatalf("virtual %q: bad real %+v", v.Text, r)
			}
		}
		if f := v.Fallback; f != nil && (!f.Addr.IsValid() || f.Addr.Addr().Is6() != v.IPv6) {
			t.Fatalf("virtual %q: fallback %+v of the wrong family", v.Text, f)
		}
	}
}
