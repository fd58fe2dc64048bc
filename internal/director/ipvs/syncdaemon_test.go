package ipvs

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The byte layouts below are written out by hand from the kernel's
// attribute definitions (see syncdaemon.go); they assume a little-endian
// host, like every machine this project runs on.
func skipBigEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("byte layouts are written for a little-endian host")
	}
}

func TestEncodeStartDaemonLayout(t *testing.T) {
	skipBigEndian(t)
	tests := []struct {
		name string
		d    SyncDaemon
		want []byte
	}{
		{
			name: "ipvsadm defaults: only the three required attributes",
			d:    DefaultSyncDaemon(SyncMaster),
			want: []byte{
				9, 1, 0, 0, // IPVS_CMD_NEW_DAEMON, version 1
				32, 0, 3, 0, // nested IPVS_CMD_ATTR_DAEMON, 4 + 8 + 12 + 8
				8, 0, 1, 0, 1, 0, 0, 0, // STATE u32 1 (master)
				9, 0, 2, 0, 'e', 't', 'h', '0', 0, 0, 0, 0, // MCAST_IFN "eth0\0", padded
				8, 0, 3, 0, 255, 0, 0, 0, // SYNC_ID u32 255
			},
		},
		{
			name: "every attribute, IPv4 group",
			d: SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 7, MaxLen: 1400,
				Group: netip.MustParseAddr("239.1.2.3"), Port: 8849, TTL: 2},
			want: []byte{
				9, 1, 0, 0,
				64, 0, 3, 0,
				8, 0, 1, 0, 2, 0, 0, 0, // STATE 2 (backup)
				9, 0, 2, 0, 'e', 't', 'h', '1', 0, 0, 0, 0,
				8, 0, 3, 0, 7, 0, 0, 0, // SYNC_ID 7
				6, 0, 4, 0, 0x78, 0x05, 0, 0, // SYNC_MAXLEN u16 1400, host order
				8, 0, 5, 0, 239, 1, 2, 3, // MCAST_GROUP, network order
				6, 0, 7, 0, 0x91, 0x22, 0, 0, // MCAST_PORT u16 8849 (0x2291), host order
				5, 0, 8, 0, 2, 0, 0, 0, // MCAST_TTL u8 2
			},
		},
		{
			name: "IPv6 group, 15-byte interface name",
			d: SyncDaemon{State: SyncMaster, Interface: "abcdefghijklmno", SyncID: 0,
				Group: netip.MustParseAddr("ff02::51")},
			want: []byte{
				9, 1, 0, 0,
				60, 0, 3, 0, // 4 + 8 + 20 + 8 + 20
				8, 0, 1, 0, 1, 0, 0, 0,
				20, 0, 2, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 0,
				8, 0, 3, 0, 0, 0, 0, 0,
				20, 0, 6, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x51, // MCAST_GROUP6
			},
		},
		{
			name: "IPv4-mapped group is sent as IPv4",
			d:    SyncDaemon{State: SyncMaster, Interface: "e", SyncID: 1, Group: netip.MustParseAddr("::ffff:224.0.0.81")},
			want: []byte{
				9, 1, 0, 0,
				36, 0, 3, 0,
				8, 0, 1, 0, 1, 0, 0, 0,
				6, 0, 2, 0, 'e', 0, 0, 0,
				8, 0, 3, 0, 1, 0, 0, 0,
				8, 0, 5, 0, 224, 0, 0, 81,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encodeStartDaemon(tt.d)); diff != "" {
				t.Errorf("encodeStartDaemon(%+v) (-want +got):\n%s", tt.d, diff)
			}
		})
	}
}

func TestEncodeStopAndGetLayout(t *testing.T) {
	skipBigEndian(t)
	want := []byte{10, 1, 0, 0, 12, 0, 3, 0, 8, 0, 1, 0, 2, 0, 0, 0}
	if diff := cmp.Diff(want, encodeStopDaemon(SyncBackup)); diff != "" {
		t.Errorf("encodeStopDaemon(backup) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]byte{11, 1, 0, 0}, encodeGetDaemons()); diff != "" {
		t.Errorf("encodeGetDaemons (-want +got):\n%s", diff)
	}
}

// kernelDaemonReply builds what ip_vs_genl_dump_daemon sends for d, in the
// kernel's attribute order (STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN,
// MCAST_PORT, MCAST_TTL, then the group), independently of the encoder.
func kernelDaemonReply(d SyncDaemon, nestedFlag bool) []byte {
	var in attrBuf
	in = in.u32(daemonAttrState, uint32(d.State))
	in = in.add(daemonAttrMcastIfn, append([]byte(d.Interface), 0))
	in = in.u32(daemonAttrSyncID, uint32(d.SyncID))
	in = in.u16(daemonAttrSyncMaxLen, d.MaxLen)
	in = in.u16(daemonAttrMcastPort, d.Port)
	in = in.add(daemonAttrMcastTTL, []byte{d.TTL})
	if d.Group.Is4() {
		a := d.Group.As4()
		in = in.add(daemonAttrMcastGroup, a[:])
	} else if d.Group.IsValid() {
		a := d.Group.As16()
		in = in.add(daemonAttrMcastGroup6, a[:])
	}
	typ := uint16(cmdAttrDaemon)
	if nestedFlag {
		typ |= 0x8000 // NLA_F_NESTED
	}
	return append(genlHeader(cmdNewDaemon), attrBuf(nil).add(typ, in)...)
}

func TestDecodeDaemon(t *testing.T) {
	for _, d := range []SyncDaemon{
		{State: SyncMaster, Interface: "eth0", SyncID: 255, MaxLen: 1472, Group: DefaultSyncGroup, Port: 8848, TTL: 1},
		{State: SyncBackup, Interface: "abcdefghijklmno", SyncID: 0, MaxLen: 9000, Group: netip.MustParseAddr("ff15::1234"), Port: 1, TTL: 255},
	} {
		for _, flag := range []bool{false, true} {
			got, err := decodeDaemon(kernelDaemonReply(d, flag))
			if err != nil {
				t.Fatalf("decode %v (NLA_F_NESTED %v): %v", d, flag, err)
			}
			if diff := cmp.Diff(d, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("decode kernel reply (NLA_F_NESTED %v) (-want +got):\n%s", flag, diff)
			}
		}
	}
}

// TestDaemonRoundTrip: what Start encodes, decoded, is the daemon again
// (the reply shares the request's attribute layout).
func TestDaemonRoundTrip(t *testing.T) {
	for _, d := range []SyncDaemon{
		DefaultSyncDaemon(SyncMaster),
		DefaultSyncDaemon(SyncBackup),
		{State: SyncBackup, Interface: "vlan.10", SyncID: 42, MaxLen: 1024, Group: netip.MustParseAddr("239.255.0.1"), Port: 65535, TTL: 64},
		{State: SyncMaster, Interface: "bond0", SyncID: 1, Group: netip.MustParseAddr("ff02::1:2")},
	} {
		msg := encodeStartDaemon(d)
		got, err := decodeDaemon(msg)
		if err != nil {
			t.Fatalf("decode(encode(%v)): %v", d, err)
		}
		if diff := cmp.Diff(d, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestDecodeDaemonErrors(t *testing.T) {
	good := kernelDaemonReply(SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 1, MaxLen: 1472, Group: DefaultSyncGroup, Port: 8848, TTL: 1}, false)
	only := func(attrs attrBuf) []byte {
		return append(genlHeader(cmdNewDaemon), attrBuf(nil).add(cmdAttrDaemon, attrs)...)
	}
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"no header", []byte{9, 1}, "no generic netlink header"},
		{"wrong command", append([]byte{cmdDelDaemon}, good[1:]...), "command 10"},
		{"no daemon attribute", genlHeader(cmdNewDaemon), "no IPVS_CMD_ATTR_DAEMON"},
		{"truncated", good[:len(good)-3], "does not fit"},
		{"missing state", only(attrBuf(nil).add(daemonAttrMcastIfn, []byte("eth0\x00")).u32(daemonAttrSyncID, 1)), "no state"},
		{"missing interface and syncid", only(attrBuf(nil).u32(daemonAttrState, 1)), "no interface; no syncid"},
		{"short group", only(attrBuf(nil).u32(daemonAttrState, 1).add(daemonAttrMcastIfn, []byte("e\x00")).u32(daemonAttrSyncID, 1).add(daemonAttrMcastGroup, []byte{224, 0})), "group has 2 bytes, want 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeDaemon(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeDaemon: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSyncDaemonValidate(t *testing.T) {
	ok := func(mod func(*SyncDaemon)) SyncDaemon {
		d := DefaultSyncDaemon(SyncMaster)
		mod(&d)
		return d
	}
	tests := []struct {
		name string
		d    SyncDaemon
		want string // "" = valid
	}{
		{"ipvsadm default master", DefaultSyncDaemon(SyncMaster), ""},
		{"ipvsadm default backup", DefaultSyncDaemon(SyncBackup), ""},
		{"everything set", SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 0, MaxLen: 1024, Group: netip.MustParseAddr("239.0.0.1"), Port: 1, TTL: 255}, ""},
		{"IPv6 group", ok(func(d *SyncDaemon) { d.Group = netip.MustParseAddr("ff05::81") }), ""},
		{"15 bytes", ok(func(d *SyncDaemon) { d.Interface = "abcdefghijklmno" }), ""},
		{"master maxlen 1", ok(func(d *SyncDaemon) { d.MaxLen = 1 }), ""},
		{"master maxlen 65507", ok(func(d *SyncDaemon) { d.MaxLen = 65507 }), ""},
		{"state 0", ok(func(d *SyncDaemon) { d.State = 0 }), "sync daemon state 0: want master (1) or backup (2)"},
		{"state 3 (both)", ok(func(d *SyncDaemon) { d.State = 3 }), "sync daemon state 3"},
		{"no interface", ok(func(d *SyncDaemon) { d.Interface = "" }), "needs a multicast interface name"},
		{"16 bytes", ok(func(d *SyncDaemon) { d.Interface = "abcdefghijklmnop" }), `sync interface "abcdefghijklmnop" is 16 bytes long (at most 15)`},
		{"slash", ok(func(d *SyncDaemon) { d.Interface = "eth0/1" }), "not a valid interface name"},
		{"space", ok(func(d *SyncDaemon) { d.Interface = "eth 0" }), "not a valid interface name"},
		{"dot", ok(func(d *SyncDaemon) { d.Interface = "." }), "not a valid interface name"},
		{"unicast v4", ok(func(d *SyncDaemon) { d.Group = netip.MustParseAddr("192.0.2.1") }), "sync group 192.0.2.1 is not an IPv4 multicast address"},
		{"broadcast v4", ok(func(d *SyncDaemon) { d.Group = netip.MustParseAddr("255.255.255.255") }), "not an IPv4 multicast address"},
		{"unicast v6", ok(func(d *SyncDaemon) { d.Group = netip.MustParseAddr("2001:db8::1") }), "sync group 2001:db8::1 is not an IPv6 multicast address"},
		{"zone", ok(func(d *SyncDaemon) { d.Group = netip.MustParseAddr("ff02::1%eth0") }), "a zone is not allowed"},
		{"backup maxlen under 1024", SyncDaemon{State: SyncBackup, Interface: "eth0", MaxLen: 1023}, "sync maxlen 1023 out of range for a backup (want 1024-65507"},
		{"master maxlen over v4 limit", ok(func(d *SyncDaemon) { d.MaxLen = 65508 }), "sync maxlen 65508 out of range for a master (want 1-65507"},
		{"maxlen over v6 limit", ok(func(d *SyncDaemon) { d.MaxLen = 65488; d.Group = netip.MustParseAddr("ff02::51") }), "(want 1-65487"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", tt.d, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate(%+v) = %v, want an error containing %q", tt.d, err, tt.want)
			}
		})
	}
}

func TestSyncStateText(t *testing.T) {
	for _, s := range []SyncState{SyncMaster, SyncBackup} {
		got, err := ParseSyncState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSyncState(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := ParseSyncState("Master"); err == nil {
		t.Error(`ParseSyncState("Master"): want an error (ipvsadm's words are lower case)`)
	}
	if got := SyncState(3).String(); got != "state(3)" {
		t.Errorf("SyncState(3).String() = %q", got)
	}
	d := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 255, MaxLen: 1472, Group: DefaultSyncGroup, Port: 8848, TTL: 1}
	if got, want := d.String(), "master sync daemon (mcast=eth0, syncid=255, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := DefaultSyncDaemon(SyncBackup).String(), "backup sync daemon (mcast=eth0, syncid=255)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestOpenSyncNetlinkHost pins the family guard where the unit tests run:
// without IPVS, ErrNoIPVS and no handle; with IPVS (the VM), a handle that
// lists and then refuses calls once closed.
func TestOpenSyncNetlinkHost(t *testing.T) {
	_, statErr := os.Stat("/proc/net/ip_vs")
	n, err := OpenSyncNetlink()
	if statErr == nil {
		if err != nil {
			t.Fatalf("OpenSyncNetlink on a host with IPVS: %v", err)
		}
		if _, err := n.Daemons(); err != nil {
			t.Fatalf("Daemons: %v", err)
		}
		n.Close()
		if _, err := n.Daemons(); err == nil {
			t.Fatal("Daemons after Close: want an error")
		}
		return
	}
	if !errors.Is(err, ErrNoIPVS) || n != nil {
		t.Fatalf("OpenSyncNetlink without IPVS = %v, %v; want nil and an error wrapping ErrNoIPVS", n, err)
	}
}

// TestPlanSync: what to stop and start so that the running daemons become
// the wanted ones, leaving alone what already runs as wanted and what is
// not wanted.
func TestPlanSync(t *testing.T) {
	master := SyncDaemon{State: SyncMaster, Interface: "eth1", SyncID: 10}
	backup := SyncDaemon{State: SyncBackup, Interface: "eth1", SyncID: 10}
	// The kernel reports its defaults filled in.
	running := func(d SyncDaemon) SyncDaemon {
		d.Group, d.Port, d.TTL = DefaultSyncGroup, DefaultSyncPort, DefaultSyncTTL
		if d.MaxLen == 0 {
			d.MaxLen = DefaultSyncMaxLen
		}
		return d
	}
	other := master
	other.SyncID = 11
	tests := []struct {
		name          string
		running, want []SyncDaemon
		stop          []SyncState
		start         []SyncDaemon
	}{
		{name: "nothing runs", want: []SyncDaemon{master, backup}, start: []SyncDaemon{master, backup}},
		{name: "both run as wanted", running: []SyncDaemon{running(master), running(backup)}, want: []SyncDaemon{master, backup}},
		{name: "master with another sync id", running: []SyncDaemon{running(other), running(backup)}, want: []SyncDaemon{master, backup},
			stop: []SyncState{SyncMaster}, start: []SyncDaemon{master}},
		{name: "a set port differs", running: []SyncDaemon{running(master)}, want: []SyncDaemon{{State: SyncMaster, Interface: "eth1", SyncID: 10, Port: 9000}},
			stop: []SyncState{SyncMaster}, start: []SyncDaemon{{State: SyncMaster, Interface: "eth1", SyncID: 10, Port: 9000}}},
		{name: "an unwanted state stays", running: []SyncDaemon{running(backup)}, want: []SyncDaemon{master}, start: []SyncDaemon{master}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop, start := PlanSync(tt.running, tt.want)
			if diff := cmp.Diff(tt.stop, stop, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("stop (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.start, start, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("start (-want +got):\n%s", diff)
			}
		})
	}
}
