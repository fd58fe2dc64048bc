package ldcf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const bgpVirtual = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tscheduler=mh\n\tschedflags=mh-port,mh-fallback\n"

func TestBGPAccepted(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want BGP
	}{
		{name: "4.12 file: off", src: bgpVirtual, want: BGP{}},
		{name: "one peer, defaults", src: "bgp_asn = 65001\nbgp_router_id = 192.0.2.11\nbgp_peer = 192.0.2.1 asn 65000\n" + bgpVirtual,
			want: BGP{ASN: 65001, Line: 1, RouterID: netip.MustParseAddr("192.0.2.11"), Peers: []BGPPeer{
				{Line: 3, Addr: netip.MustParseAddr("192.0.2.1"), ASN: 65000, HoldTime: 9 * time.Second, Port: 179},
			}}},
		{name: "every option, asdot, v6, after the section", src: bgpVirtual + "bgp_router_id=192.0.2.11\nbgp_asn=1.10\n" +
			"bgp_peer=192.0.2.1 asn 4200000000 holdtime 3 port 1179 local 192.0.2.11 passive\nbgp_peer=2001:db8::1 asn 65000 local 2001:db8::11\n",
			want: BGP{ASN: 65546, Line: 6, RouterID: netip.MustParseAddr("192.0.2.11"), Peers: []BGPPeer{
				{Line: 7, Addr: netip.MustParseAddr("192.0.2.1"), ASN: 4200000000, HoldTime: 3 * time.Second, Port: 1179, Local: netip.MustParseAddr("192.0.2.11"), Passive: true},
				{Line: 8, Addr: netip.MustParseAddr("2001:db8::1"), ASN: 65000, HoldTime: 9 * time.Second, Port: 179, Local: netip.MustParseAddr("2001:db8::11")},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, fakeOptions())
			if diff := cmp.Diff(tt.want, c.Global.BGP, cmpOpts...); diff != "" {
				t.Errorf("BGP (-want +got):\n%s", diff)
			}
			if c.Global.BGP.Enabled() != (tt.want.ASN != 0) {
				t.Errorf("Enabled() = %v", c.Global.BGP.Enabled())
			}
		})
	}
}

func TestBGPRefused(t *testing.T) {
	const id = "bgp_router_id=192.0.2.11\n"
	tests := []struct{ name, src, want string }{
		{"asn zero", "bgp_asn=0\n", `ldirectord.cf:1: bgp_asn: bad value "0" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"asn too big", "bgp_asn=4294967296\n", `ldirectord.cf:1: bgp_asn: bad value "4294967296" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"asn word", "bgp_asn=AS65000\n", `ldirectord.cf:1: bgp_asn: bad value "AS65000" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"asn trans", "bgp_asn=23456\n", `ldirectord.cf:1: bgp_asn: bad value "23456" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"asdot out of range", "bgp_asn=1.65536\n", `ldirectord.cf:1: bgp_asn: bad value "1.65536" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"router id v6", "bgp_router_id=2001:db8::1\n", `ldirectord.cf:1: bgp_router_id: bad value "2001:db8::1" (want an IPv4 address, unique to this director)`},
		{"peer name", "bgp_asn=65001\n" + id + "bgp_peer=router1 asn 65000\n", `ldirectord.cf:3: bgp_peer: bad peer address "router1" (want an IPv4 or IPv6 address: ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"peer empty", "bgp_peer=\n", `ldirectord.cf:1: bgp_peer: bad value "" (want ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"peer no asn", "bgp_asn=65001\n" + id + "bgp_peer=192.0.2.1\n", `ldirectord.cf:3: bgp_peer: no asn for 192.0.2.1 (want ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"peer bad asn", "bgp_peer=192.0.2.1 asn -1\n", `ldirectord.cf:1: bgp_peer: asn: bad value "-1" (want an AS number 1-4294967295 or asdot X.Y, not 0 or 23456)`},
		{"holdtime 0", "bgp_peer=192.0.2.1 asn 65000 holdtime 0\n", `ldirectord.cf:1: bgp_peer: holdtime: bad value "0" (want seconds 3-65535)`},
		{"holdtime 2", "bgp_peer=192.0.2.1 asn 65000 holdtime 2\n", `ldirectord.cf:1: bgp_peer: holdtime: bad value "2" (want seconds 3-65535)`},
		{"holdtime 9s", "bgp_peer=192.0.2.1 asn 65000 holdtime 9s\n", `ldirectord.cf:1: bgp_peer: holdtime: bad value "9s" (want seconds 3-65535)`},
		{"holdtime missing value", "bgp_peer=192.0.2.1 asn 65000 holdtime\n", `ldirectord.cf:1: bgp_peer: "holdtime" without a value (want ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"port 0", "bgp_peer=192.0.2.1 asn 65000 port 0\n", `ldirectord.cf:1: bgp_peer: port: bad value "0" (want a TCP port 1-65535)`},
		{"bad local", "bgp_peer=192.0.2.1 asn 65000 local eth0\n", `ldirectord.cf:1: bgp_peer: local: bad value "eth0" (want this director's IPv4 or IPv6 address)`},
		{"unknown option", "bgp_peer=192.0.2.1 asn 65000 multihop 2\n", `ldirectord.cf:1: bgp_peer: unknown option "multihop" (want ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"bfd", "bgp_peer=192.0.2.1 asn 65000 bfd\n", `ldirectord.cf:1: bgp_peer: bfd: the GoBGP speaker offers no BFD (want a short holdtime instead, 3 s at least)`},
		{"duplicate peer", "bgp_asn=65001\n" + id + "bgp_peer=192.0.2.1 asn 65000\nbgp_peer=192.0.2.1 asn 65002\n", `ldirectord.cf:4: bgp_peer: 192.0.2.1 already configured at line 3 (want one bgp_peer per address)`},
		{"peer without asn", "bgp_peer=192.0.2.1 asn 65000\n", `ldirectord.cf:1: bgp_peer: no bgp_asn (want bgp_asn = this director's AS number)`},
		{"router id without asn", "\n" + id, `ldirectord.cf:2: bgp_router_id: no bgp_asn (want bgp_asn = this director's AS number)`},
		{"asn without peer", id + "bgp_asn=65001\n", `ldirectord.cf:2: bgp_asn: no bgp_peer (want at least one bgp_peer = ADDRESS asn N [holdtime SECONDS] [port N] [local ADDRESS] [passive])`},
		{"asn without router id", "bgp_asn=65001\nbgp_peer=192.0.2.1 asn 65000\n", `ldirectord.cf:1: bgp_asn: no bgp_router_id (want bgp_router_id = an IPv4 address unique to this director)`},
		{"local of the other family", "bgp_asn=65001\n" + id + "bgp_peer=2001:db8::1 asn 65000 local 192.0.2.11\n", `ldirectord.cf:3: bgp_peer: local 192.0.2.11 is not of the family of 2001:db8::1 (want an address of the same family)`},
		{"in a section", "virtual=10.0.0.1:80\n\tbgp_asn=65001\n", `ldirectord.cf:2: bgp_asn: global directive inside the virtual section of line 1 (want it in column 0, outside virtual sections)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testFile, []byte(tt.src), fakeOptions())
			if err == nil {
				t.Fatalf("Parse accepted %q", tt.src)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestBGPFWMarkWarns(t *testing.T) {
	c := mustParse(t, "bgp_asn=65001\nbgp_router_id=192.0.2.11\nbgp_peer=192.0.2.1 asn 65000\nvirtual=5\n\treal=10.0.0.2 gate\n", fakeOptions())
	want := "ldirectord.cf:4: virtual=5: a fwmark service has no address to announce over BGP; announce its addresses otherwise"
	if len(c.Warnings) != 1 || c.Warnings[0].Error() != want {
		t.Errorf("warnings = %v, want [%s]", c.Warnings, want)
	}
}
