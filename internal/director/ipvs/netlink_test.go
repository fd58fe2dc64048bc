package ipvs

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	mobyipvs "github.com/moby/ipvs"
)

// TestOpenNetlinkHost pins the family guard on the machine running the unit
// tests. A host without IPVS (the development and CI hosts: CONFIG_IP_VS is
// unset and modules cannot be loaded) must get ErrNoIPVS instead of moby's
// silent no-op handle; a host with IPVS (the VM) must open it.
func TestOpenNetlinkHost(t *testing.T) {
	_, statErr := os.Stat("/proc/net/ip_vs")
	hasIPVS := statErr == nil
	n, err := OpenNetlink()
	if hasIPVS {
		if err != nil {
			t.Fatalf("OpenNetlink on a host with /proc/net/ip_vs: %v", err)
		}
		if err := n.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := n.Services(); err == nil {
			t.Fatal("Services after Close: want an error, got nil")
		}
		return
	}
	if !errors.Is(err, ErrNoIPVS) {
		t.Fatalf("OpenNetlink on a host without IPVS: got %v, want an error wrapping ErrNoIPVS", err)
	}
	if n != nil {
		t.Fatalf("OpenNetlink returned a handle with error %v", err)
	}
	t.Logf("host has no IPVS, as expected: %v", err)
}

func TestNetmaskConversion(t *testing.T) {
	v4 := ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}
	v6 := ServiceKey{Proto: UDP, Addr: netip.MustParseAddrPort("[2001:db8::1]:53")}
	tests := []struct {
		name string
		key  ServiceKey
		bits uint8
		// wire is the 4 bytes the kernel must see in IPVS_SVC_ATTR_NETMASK
		// (__be32 mask for IPv4, the prefix length in host order for IPv6).
		wire []byte
	}{
		{"v4 /32", v4, 32, []byte{255, 255, 255, 255}},
		{"v4 /24", v4, 24, []byte{255, 255, 255, 0}},
		{"v4 /17", v4, 17, []byte{255, 255, 128, 0}},
		{"v4 /0", v4, 0, []byte{0, 0, 0, 0}},
		{"v6 /128", v6, 128, nativeU32(128)},
		{"v6 /64", v6, 64, nativeU32(64)},
		{"fwmark v4 /24", FWMarkKey(7, false), 24, []byte{255, 255, 255, 0}},
		{"fwmark v6 /48", FWMarkKey(7, true), 48, nativeU32(48)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Service{Key: tc.key, Scheduler: "wrr", Flags: FlagPersistent, Timeout: 300, NetmaskBits: tc.bits}
			ms, err := toMobyService(in)
			if err != nil {
				t.Fatalf("toMobyService: %v", err)
			}
			// moby/ipvs encodes Netmask with nl.Uint32Attr, i.e. native order.
			if diff := cmp.Diff(tc.wire, nativeU32(ms.Netmask)); diff != "" {
				t.Errorf("netmask on the wire (-want +got):\n%s", diff)
			}
			ms.Flags |= FlagHashed // the kernel adds it on read-back
			got, err := fromMobyService(ms)
			if err != nil {
				t.Fatalf("fromMobyService: %v", err)
			}
			if diff := cmp.Diff(in, got, cmpNetip); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpNetip lets go-cmp compare the netip values inside Service and Real.
var cmpNetip = cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{})

func nativeU32(v uint32) []byte {
	return binary.NativeEndian.AppendUint32(nil, v)
}

func TestToMobyServiceErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Service
	}{
		{"no scheduler", Service{Key: ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.0.0.1:80")}, NetmaskBits: 32}},
		{"no address", Service{Key: ServiceKey{Proto: TCP}, Scheduler: "rr"}},
		{"no protocol", Service{Key: ServiceKey{Addr: netip.MustParseAddrPort("10.0.0.1:80")}, Scheduler: "rr"}},
		{"v4 mask 33", Service{Key: ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.0.0.1:80")}, Scheduler: "rr", NetmaskBits: 33}},
		{"v6 mask 129", Service{Key: FWMarkKey(1, true), Scheduler: "rr", NetmaskBits: 129}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := toMobyService(tc.in); err == nil {
				t.Fatalf("toMobyService(%+v): want an error, got nil", tc.in)
			}
		})
	}
}

func TestServiceFieldsToMoby(t *testing.T) {
	tests := []struct {
		name string
		in   Service
		want mobyipvs.Service
	}{
		{
			name: "tcp v4 persistent",
			in: Service{Key: ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")},
				Scheduler: "wlc", Flags: FlagPersistent | FlagHashed, Timeout: 600, NetmaskBits: 32},
			want: mobyipvs.Service{Address: net.IP{10, 1, 1, 10}, Port: 80, Protocol: syscall.IPPROTO_TCP,
				AddressFamily: syscall.AF_INET, SchedName: "wlc", Flags: 1, Timeout: 600, Netmask: 0xFFFFFFFF},
		},
		{
			name: "udp v6",
			in: Service{Key: ServiceKey{Proto: UDP, Addr: netip.MustParseAddrPort("[2001:db8::1]:53")},
				Scheduler: "sh", Flags: FlagSched1 | FlagSched2, NetmaskBits: 128},
			want: mobyipvs.Service{Address: net.ParseIP("2001:db8::1"), Port: 53, Protocol: syscall.IPPROTO_UDP,
				AddressFamily: syscall.AF_INET6, SchedName: "sh", Flags: 0x18, Netmask: 128},
		},
		{
			name: "fwmark v6",
			in:   Service{Key: FWMarkKey(42, true), Scheduler: "rr", NetmaskBits: 128},
			want: mobyipvs.Service{FWMark: 42, AddressFamily: syscall.AF_INET6, SchedName: "rr", Netmask: 128},
		},
		{
			name: "fwmark v4 one-packet",
			in:   Service{Key: FWMarkKey(9, false), Scheduler: "rr", Flags: FlagOnePacket, NetmaskBits: 32},
			want: mobyipvs.Service{FWMark: 9, AddressFamily: syscall.AF_INET, SchedName: "rr", Flags: 4, Netmask: 0xFFFFFFFF},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toMobyService(tc.in)
			if err != nil {
				t.Fatalf("toMobyService: %v", err)
			}
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("moby service (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRealRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Real
	}{
		{"masq v4", Real{Addr: netip.MustParseAddrPort("192.168.2.236:8080"), Weight: 3, Forward: Masq}},
		{"gate thresholds", Real{Addr: netip.MustParseAddrPort("192.168.2.237:80"), Weight: 0, Forward: Gate, Upper: 100, Lower: 10}},
		{"ipip v6", Real{Addr: netip.MustParseAddrPort("[2001:db8::10]:53"), Weight: 65535, Forward: IPIP}},
		{"local", Real{Addr: netip.MustParseAddrPort("127.0.0.1:80"), Weight: 1, Forward: Local}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			md, err := toMobyDest(tc.in)
			if err != nil {
				t.Fatalf("toMobyDest: %v", err)
			}
			got, err := fromMobyDest(md)
			if err != nil {
				t.Fatalf("fromMobyDest: %v", err)
			}
			if diff := cmp.Diff(tc.in, got, cmpNetip); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []Real{
		{Weight: 1},
		{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Weight: -1},
		{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Weight: 65536},
		{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Forward: 4},
	} {
		if _, err := toMobyDest(bad); err == nil {
			t.Errorf("toMobyDest(%+v): want an error, got nil", bad)
		}
	}
}

func TestRewritePort(t *testing.T) {
	tcp := ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}
	fwm := FWMarkKey(3, false)
	tests := []struct {
		name string
		key  ServiceKey
		in   Real
		want netip.AddrPort
	}{
		{"gate takes vport", tcp, Real{Addr: netip.MustParseAddrPort("192.168.2.236:8080"), Forward: Gate}, netip.MustParseAddrPort("192.168.2.236:80")},
		{"ipip takes vport", tcp, Real{Addr: netip.MustParseAddrPort("192.168.2.236:0"), Forward: IPIP}, netip.MustParseAddrPort("192.168.2.236:80")},
		{"masq keeps port", tcp, Real{Addr: netip.MustParseAddrPort("192.168.2.236:8080"), Forward: Masq}, netip.MustParseAddrPort("192.168.2.236:8080")},
		{"local keeps port", tcp, Real{Addr: netip.MustParseAddrPort("127.0.0.1:8080"), Forward: Local}, netip.MustParseAddrPort("127.0.0.1:8080")},
		{"fwmark gate keeps port", fwm, Real{Addr: netip.MustParseAddrPort("192.168.2.236:8080"), Forward: Gate}, netip.MustParseAddrPort("192.168.2.236:8080")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rewritePort(tc.key, tc.in).Addr; got != tc.want {
				t.Errorf("rewritePort(%v, %v) = %v, want %v", tc.key, tc.in.Addr, got, tc.want)
			}
		})
	}
}

func TestKeyName(t *testing.T) {
	tests := []struct {
		key  ServiceKey
		want string
	}{
		{ServiceKey{Proto: TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}, "TCP 10.1.1.10:80"},
		{ServiceKey{Proto: SCTP, Addr: netip.MustParseAddrPort("[2001:db8::1]:9")}, "SCTP [2001:db8::1]:9"},
		{FWMarkKey(80, false), "FWM 80"},
		{FWMarkKey(80, true), "FWM 80 IPv6"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := keyName(tc.key); got != tc.want {
				t.Errorf("keyName = %q, want %q", got, tc.want)
			}
		})
	}
}
