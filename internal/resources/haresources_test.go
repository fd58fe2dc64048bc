package resources_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

func res(line int, raw, name string, args ...string) resources.Resource {
	if len(args) == 0 {
		args = nil
	}
	return resources.Resource{Name: name, Args: args, Raw: raw, Line: line}
}

func TestParseHaresourcesFixtures(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []resources.Group
	}{
		{
			name: "S1 Ultra Monkey NAT pair",
			file: "testdata/haresources.s1",
			want: []resources.Group{{Node: "test1.com", Line: 3, Resources: []resources.Resource{
				res(3, "ldirectord::ldirectord.cf", "ldirectord", "ldirectord.cf"),
				res(3, "IPaddr::10.1.1.10/24/eth0", "IPaddr", "10.1.1.10/24/eth0"),
				res(3, "IPaddr::192.168.2.240/24/eth1", "IPaddr", "192.168.2.240/24/eth1"),
			}}},
		},
		{
			name: "repository sample etc/ha.d/haresources",
			file: "../../etc/ha.d/haresources",
			want: []resources.Group{{Node: "test1.com", Line: 13, Resources: []resources.Resource{
				res(13, "ldirectord::ldirectord.cf", "ldirectord", "ldirectord.cf"),
				res(13, "IPaddr::10.1.1.10/24/eth0", "IPaddr", "10.1.1.10/24/eth0"),
				res(13, "IPaddr::192.168.2.240/24/eth1", "IPaddr", "192.168.2.240/24/eth1"),
			}}},
		},
		{
			name: "bare IPs, continuations, multiple arguments, case of node",
			file: "testdata/haresources.mixed",
			want: []resources.Group{
				{Node: "node1", Line: 4, Resources: []resources.Resource{
					res(4, "10.0.0.170", "IPaddr", "10.0.0.170"),
					res(4, "Filesystem::/dev/sda1::/data1::ext2", "Filesystem", "/dev/sda1", "/data1", "ext2"),
				}},
				{Node: "node2", Line: 5, Resources: []resources.Resource{
					res(5, "IPaddr2::10.0.0.171/24/eth0:web/10.0.0.255", "IPaddr2", "10.0.0.171/24/eth0:web/10.0.0.255"),
					res(5, "httpd", "httpd"),
					res(5, "MailTo::ops@example.com::web", "MailTo", "ops@example.com", "web"),
				}},
				{Node: "node1", Line: 9, Resources: []resources.Resource{
					res(9, "192.168.1.5/24/eth1/192.168.1.255", "IPaddr", "192.168.1.5/24/eth1/192.168.1.255"),
					res(9, "drbddisk::r0", "drbddisk", "r0"),
					res(9, "Delay::5::1", "Delay", "5", "1"),
				}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := resources.ParseHaresources("haresources", src)
			if err != nil {
				t.Fatalf("ParseHaresources: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHaresourcesSnippets(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // Group.String() of each group
		wantKey []string
	}{
		{name: "empty file", src: ""},
		{name: "only comments and blanks", src: "# x\n\n   \t\n#y\n"},
		{name: "comment right after a field", src: "n1 httpd#comment\n", want: []string{"n1 httpd"}, wantKey: []string{"httpd"}},
		{name: "continuation joins without a blank", src: "n1 a\\\nb\n", want: []string{"n1 ab"}, wantKey: []string{"ab"}},
		{name: "continuation then comment-only line", src: "n1 a \\\n# c\nn2 b\n", want: []string{"n1 a", "n2 b"}, wantKey: []string{"a", "b"}},
		{name: "CRLF line ends", src: "n1 httpd\r\nn2 smb\r\n", want: []string{"n1 httpd", "n2 smb"}, wantKey: []string{"httpd", "smb"}},
		{name: "tabs and repeated blanks", src: "\tN1 \t  x::1 \t y\n", want: []string{"n1 x::1 y"}, wantKey: []string{"x::1"}},
		{name: "dotted non-IP name is a script", src: "n1 my.svc.v2.d\n", want: []string{"n1 my.svc.v2.d"}, wantKey: []string{"my.svc.v2.d"}},
		{name: "IPaddr2 OCF style", src: "n1 IPaddr2::ip=10.0.0.5::cidr_netmask=24::nic=eth0\n", want: []string{"n1 IPaddr2::ip=10.0.0.5::cidr_netmask=24::nic=eth0"}, wantKey: []string{"IPaddr2::ip=10.0.0.5::cidr_netmask=24::nic=eth0"}},
		{name: "IPaddr dotted netmask", src: "n1 IPaddr::10.0.0.5/255.255.255.0/eth0\n", want: []string{"n1 IPaddr::10.0.0.5/255.255.255.0/eth0"}, wantKey: []string{"IPaddr::10.0.0.5/255.255.255.0/eth0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := resources.ParseHaresources("haresources", []byte(tc.src))
			if err != nil {
				t.Fatalf("ParseHaresources: %v", err)
			}
			var got, keys []string
			for _, g := range gs {
				got = append(got, g.String())
				keys = append(keys, g.Key())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantKey, keys); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHaresourcesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"node without resources", "n1 httpd\nn2\n",
			`haresources:2: group for node "n2" has no resources (want: NODE RESOURCE [RESOURCE...])`},
		{"node only after comment strip", "n1 # httpd\n",
			`haresources:1: group for node "n1" has no resources (want: NODE RESOURCE [RESOURCE...])`},
		{"line starts with an IP", "10.0.0.1 httpd\n",
			`haresources:1: "10.0.0.1" is not a node name (want: NODE RESOURCE [RESOURCE...])`},
		{"line starts with a resource", "IPaddr::10.0.0.1 httpd\n",
			`haresources:1: "IPaddr::10.0.0.1" is not a node name (want: NODE RESOURCE [RESOURCE...])`},
		{"empty resource name", "n1 ::x\n",
			`haresources:1: resource "::x": empty name (want NAME[::arg...])`},
		{"empty argument", "n1 Filesystem::/dev/sda1::::ext3\n",
			`haresources:1: resource "Filesystem::/dev/sda1::::ext3": argument 2 is empty (want NAME::arg[::arg...] with no empty argument)`},
		{"trailing separator", "n1 httpd::\n",
			`haresources:1: resource "httpd::": argument 1 is empty (want NAME::arg[::arg...] with no empty argument)`},
		{"path as name", "n1 ../../bin/sh\n",
			`haresources:1: resource "../../bin/sh": name is not a script file name (want NAME[::arg...], NAME without '/' or ':')`},
		{"single colon", "n1 httpd:conf\n",
			`haresources:1: resource "httpd:conf": name is not a script file name (want NAME[::arg...], NAME without '/' or ':')`},
		{"duplicate key", "n1 10.0.0.1 a\nn2 b\nn2 10.0.0.1 c\n",
			`haresources:3: duplicate group key "10.0.0.1", first used on line 1 (want the first resource of each line unique)`},
		{"stray backslash mid line", "n1 a\\b\n",
			`haresources:1: stray backslash (want "\" only as the last character of a line, to continue it)`},
		{"backslash followed by blank", "n1 a \\ \nn2 b\n",
			`haresources:1: stray backslash (want "\" only as the last character of a line, to continue it)`},
		{"continuation at end of file", "n1 a\nn2 b \\\n",
			`haresources:2: backslash continuation at end of file (want a line after it)`},
		{"continuation at end of file without newline", "n1 a \\",
			`haresources:1: backslash continuation at end of file (want a line after it)`},
		{"bad IP octet", "n1 IPaddr::10.0.0.300/24/eth0\n",
			`haresources:1: resource "IPaddr::10.0.0.300/24/eth0": IPaddr: bad address "10.0.0.300" (want an IPv4 address, ip[/bits[/iface[/broadcast]]])`},
		{"bare IP with bad octet", "n1 300.1.1.1\n",
			`haresources:1: resource "300.1.1.1": IPaddr: bad address "300.1.1.1" (want an IPv4 address, ip[/bits[/iface[/broadcast]]])`},
		{"prefix too long", "n1 10.0.0.1/33/eth0\n",
			`haresources:1: resource "10.0.0.1/33/eth0": IPaddr: bad prefix length "33" (want 1-32)`},
		{"non-contiguous netmask", "n1 IPaddr::10.0.0.1/255.0.255.0\n",
			`haresources:1: resource "IPaddr::10.0.0.1/255.0.255.0": IPaddr: bad netmask "255.0.255.0" (want a prefix length 1-32 or a contiguous netmask)`},
		{"IPaddr without argument", "n1 IPaddr\n",
			`haresources:1: resource "IPaddr": IPaddr: missing address (want IPaddr::ip[/bits[/iface[/broadcast]]])`},
		{"IPaddr with two arguments", "n1 IPaddr::10.0.0.1::eth0\n",
			`haresources:1: resource "IPaddr::10.0.0.1::eth0": IPaddr: 2 arguments (want one: ip[/bits[/iface[/broadcast]]])`},
		{"too many fields", "n1 IPaddr2::10.0.0.1/24/eth0/10.0.0.255/x\n",
			`haresources:1: resource "IPaddr2::10.0.0.1/24/eth0/10.0.0.255/x": IPaddr2: too many '/' fields in "10.0.0.1/24/eth0/10.0.0.255/x" (want ip[/bits[/iface[:label][/broadcast]]])`},
		{"bad broadcast", "n1 IPaddr::10.0.0.1/24/eth0/10.0.0.999\n",
			`haresources:1: resource "IPaddr::10.0.0.1/24/eth0/10.0.0.999": IPaddr: bad broadcast "10.0.0.999" (want an IPv4 address)`},
		{"interface name too long", "n1 IPaddr::10.0.0.1/24/averyveryverylongname\n",
			`haresources:1: resource "IPaddr::10.0.0.1/24/averyveryverylongname": IPaddr: bad interface name "averyveryverylongname" (want up to 15 characters, no '/', ':' or blanks)`},
		{"IPaddr2 label too long", "n1 IPaddr2::10.0.0.1/24/eth0:abcdefghijk\n",
			`haresources:1: resource "IPaddr2::10.0.0.1/24/eth0:abcdefghijk": IPaddr2: label "eth0:abcdefghijk" is longer than 15 characters`},
		{"IPv6 in IPaddr", "n1 IPaddr::fd00::1\n",
			`haresources:1: resource "IPaddr::fd00::1": IPaddr: 2 arguments (want one: ip[/bits[/iface[/broadcast]]])`},
		{"OCF style unknown key", "n1 IPaddr2::ip=10.0.0.1::mask=24\n",
			`haresources:1: resource "IPaddr2::ip=10.0.0.1::mask=24": IPaddr2: unknown parameter "mask" (want ip, cidr_netmask, nic, broadcast or iflabel)`},
		{"OCF style without ip", "n1 IPaddr2::nic=eth0\n",
			`haresources:1: resource "IPaddr2::nic=eth0": IPaddr2: missing ip= (want ip=ADDRESS)`},
		{"error line of a continued group is its first line", "n1 a\nn2 b \\\n  c \\\n  IPaddr::x\n",
			`haresources:2: resource "IPaddr::x": IPaddr: bad address "x" (want an IPv4 address, ip[/bits[/iface[/broadcast]]])`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := resources.ParseHaresources("haresources", []byte(tc.src))
			if err == nil {
				t.Fatalf("ParseHaresources = %v, want error %q", gs, tc.want)
			}
			var pe *resources.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *resources.Error", err, err)
			}
			if pe.File != "haresources" || !strings.HasPrefix(tc.want, "haresources:") {
				t.Errorf("File = %q", pe.File)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceString(t *testing.T) {
	gs, err := resources.ParseHaresources("haresources", []byte("n1 10.1.1.10 httpd Filesystem::/dev/sda1::/data::ext3\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range gs[0].Resources {
		got = append(got, r.String())
	}
	want := []string{"IPaddr::10.1.1.10", "httpd", "Filesystem::/dev/sda1::/data::ext3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

// FuzzParseHaresources checks that the parser never panics, that every
// error is a *Error with a line inside the input, and that a parsed file
// printed back (Group.String per line) parses to the same groups.
func FuzzParseHaresources(f *testing.F) {
	for _, s := range []string{
		"test1.com ldirectord::ldirectord.cf IPaddr::10.1.1.10/24/eth0 IPaddr::192.168.2.240/24/eth1\n",
		"node1 10.0.0.170 Filesystem::/dev/sda1::/data1::ext2\n",
		"n1 a\\\nb # c\n\nn2 IPaddr2::ip=10.0.0.5::cidr_netmask=24\r\n",
		"n1 1.2.3.4/24/eth0/1.2.3.255 x::y::z\n",
		"n1 \\ \n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		gs, err := resources.ParseHaresources("h", src)
		if err != nil {
			var pe *resources.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if pe.Line < 1 || pe.Line > strings.Count(string(src), "\n")+1 {
				t.Fatalf("error line %d outside input: %v", pe.Line, err)
			}
			return
		}
		var b strings.Builder
		for _, g := range gs {
			if len(g.Resources) == 0 || g.Node == "" {
				t.Fatalf("empty group %+v", g)
			}
			b.WriteString(g.String() + "\n")
		}
		again, err := resources.ParseHaresources("h", []byte(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if len(again) != len(gs) {
			t.Fatalf("reparse gave %d groups, want %d", len(again), len(gs))
		}
		for i := range gs {
			if again[i].String() != gs[i].String() {
				t.Fatalf("reparse group %d = %q, want %q", i, again[i].String(), gs[i].String())
			}
		}
	})
}
