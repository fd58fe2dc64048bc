package ldcf

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIPVSSyncAccepted(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want IPVSSync
	}{
		{name: "4.12 file: off", src: bgpVirtual, want: IPVSSync{}},
		{name: "defaults", src: "ipvs_sync = all-to-all eth1\n" + bgpVirtual,
			want: IPVSSync{Line: 1, Interface: "eth1", SyncID: 255}},
		{name: "every option, after the section", src: bgpVirtual + "ipvs_sync=all-to-all bond0.12 syncid 10 group 239.1.2.3 port 9000 ttl 2 maxlen 1400\n",
			want: IPVSSync{Line: 5, Interface: "bond0.12", SyncID: 10, Group: netip.MustParseAddr("239.1.2.3"), Port: 9000, TTL: 2, MaxLen: 1400}},
		{name: "v6 group, syncid 0", src: "ipvs_sync=all-to-all eth1 group ff02::81 syncid 0\n",
			want: IPVSSync{Line: 1, Interface: "eth1", SyncID: 0, Group: netip.MustParseAddr("ff02::81")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, fakeOptions())
			if diff := cmp.Diff(tt.want, c.Global.IPVSSync, cmpOpts...); diff != "" {
				t.Errorf("IPVSSync (-want +got):\n%s", diff)
			}
			if c.Global.IPVSSync.Enabled() != (tt.want.Line != 0) {
				t.Errorf("Enabled() = %v", c.Global.IPVSSync.Enabled())
			}
		})
	}
}

func TestIPVSSyncRefused(t *testing.T) {
	const want = "(want all-to-all INTERFACE [syncid N] [group ADDRESS] [port N] [ttl N] [maxlen N])"
	tests := []struct{ name, src, want string }{
		{"empty", "ipvs_sync=\n", `ldirectord.cf:1: ipvs_sync: bad value "" ` + want},
		{"no interface", "ipvs_sync=all-to-all\n", `ldirectord.cf:1: ipvs_sync: bad value "all-to-all" ` + want},
		{"pair mode", "ipvs_sync=master eth0\n", `ldirectord.cf:1: ipvs_sync: unknown mode "master" (want all-to-all INTERFACE [syncid N] [group ADDRESS] [port N] [ttl N] [maxlen N]; a pair uses hbd's LVSSyncDaemonSwap)`},
		{"long interface", "ipvs_sync=all-to-all abcdefghijklmnop\n", `ldirectord.cf:1: ipvs_sync: interface: bad value "abcdefghijklmnop" (want an interface name of at most 15 bytes, without '/' or ':')`},
		{"alias interface", "ipvs_sync=all-to-all eth0:1\n", `ldirectord.cf:1: ipvs_sync: interface: bad value "eth0:1" (want an interface name of at most 15 bytes, without '/' or ':')`},
		{"syncid 256", "ipvs_sync=all-to-all eth0 syncid 256\n", `ldirectord.cf:1: ipvs_sync: syncid: bad value "256" (want 0-255)`},
		{"unicast group", "ipvs_sync=all-to-all eth0 group 192.0.2.1\n", `ldirectord.cf:1: ipvs_sync: group: bad value "192.0.2.1" (want an IPv4 or IPv6 multicast address; the kernel has no unicast sync)`},
		{"port 0", "ipvs_sync=all-to-all eth0 port 0\n", `ldirectord.cf:1: ipvs_sync: port: bad value "0" (want a UDP port 1-65535)`},
		{"ttl 0", "ipvs_sync=all-to-all eth0 ttl 0\n", `ldirectord.cf:1: ipvs_sync: ttl: bad value "0" (want 1-255)`},
		{"maxlen small", "ipvs_sync=all-to-all eth0 maxlen 100\n", `ldirectord.cf:1: ipvs_sync: maxlen: bad value "100" (want 1024-65507 bytes)`},
		{"missing value", "ipvs_sync=all-to-all eth0 syncid\n", `ldirectord.cf:1: ipvs_sync: "syncid" without a value ` + want},
		{"unknown option", "ipvs_sync=all-to-all eth0 sloppy 1\n", `ldirectord.cf:1: ipvs_sync: unknown option "sloppy" ` + want},
		{"in a section", "virtual=10.0.0.1:80\n\tipvs_sync=all-to-all eth0\n", `ldirectord.cf:2: ipvs_sync: global directive inside the virtual section of line 1 (want it in column 0, outside virtual sections)`},
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
