package hacf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t *testing.T, src string) (*Config, []Warning) {
	t.Helper()
	c, w, err := ParseHaCf("ha.cf", []byte(src))
	if err != nil {
		t.Fatalf("ParseHaCf: %v\nsource:\n%s", err, src)
	}
	return c, w
}

// wantDefaults is the Config of a file with one medium and one node:
// every default of Heartbeat 3.0.6 (anchors.md §1.3).
func wantDefaults() *Config {
	return &Config{
		File:                 "ha.cf",
		Lines:                map[string]int{"bcast": 1, "node": 2},
		Nodes:                []Node{{Line: 2, Name: "a"}},
		Keepalive:            time.Second,
		Deadtime:             30 * time.Second,
		Warntime:             15 * time.Second,
		Initdead:             30 * time.Second,
		Deadping:             30 * time.Second,
		UDPPort:              694,
		Bcast:                []Bcast{{Line: 1, Iface: "eth0", Port: 694}},
		AutoFailback:         FailbackLegacy,
		UseLogd:              true,
		SyslogMsgFmt:         true,
		LogBadPack:           true,
		HopFudge:             1,
		Autojoin:             AutojoinNone,
		Realtime:             true,
		Coredumps:            true,
		UUIDFrom:             UUIDFromFile,
		GenMethod:            GenFile,
		MsgFmt:               MsgFmtClassic,
		Compression:          "zlib",
		CompressionThreshold: 2,
		MaxRexmitDelay:       250 * time.Millisecond,
		ConnLogdTime:         60 * time.Second,
		MemReserve:           6500,
		Cluster:              "linux-ha",
	}
}

func TestDefaults(t *testing.T) {
	c, w := mustParse(t, "bcast eth0\nnode a\n")
	if diff := cmp.Diff(wantDefaults(), c, addrCmp); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	wantW := []Warning{{File: "ha.cf", Line: 0, Msg: "Deprecated 'legacy' auto_failback option selected. " +
		"Please convert to 'auto_failback on' (hb_standby and ipfail need it)"}}
	if diff := cmp.Diff(wantW, w); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestSeedS1(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		peers [2]string
		uname string
	}{
		{"test1", "s1-test1.ha.cf", [2]string{"10.1.1.3", "192.168.2.242"}, "test1.com"},
		{"test2", "s1-test2.ha.cf", [2]string{"10.1.1.2", "192.168.2.241"}, "TEST2.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, w, err := ParseHaCf(tc.file, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			// seeds.md X12: S1 respawns ipfail without ping nodes.
			wantW := []Warning{{tc.file, 7, "respawn: ipfail: no ping or ping_group nodes: ipfail has nothing to compare and never moves resources"}}
			if diff := cmp.Diff(wantW, w); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			want := wantDefaults()
			want.File = tc.file
			want.Lines = map[string]int{"logfacility": 1, "ucast": 3, "auto_failback": 4, "node": 6, "respawn": 7}
			want.Nodes = []Node{{5, "test1.com"}, {6, "test2.com"}}
			want.Bcast = nil
			want.Ucast = []Ucast{
				{Line: 2, Iface: "eth0", Peer: tc.peers[0], Addr: netip.MustParseAddr(tc.peers[0]), Port: 694},
				{Line: 3, Iface: "eth1", Peer: tc.peers[1], Addr: netip.MustParseAddr(tc.peers[1]), Port: 694},
			}
			want.AutoFailback = FailbackOn
			want.Respawn = []Respawn{{Line: 7, User: "hacluster", Command: "/usr/lib64/heartbeat/ipfail", Path: "/usr/lib64/heartbeat/ipfail"}}
			want.LogFacility = "local0"
			want.LogFile, want.DebugFile = "/dev/null", "/dev/null"
			want.UseLogd = false
			if diff := cmp.Diff(want, c, addrCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			name, err := c.LocalNode(tc.uname)
			if err != nil || name != strings.ToLower(tc.uname) {
				t.Errorf("LocalNode(%q) = %q, %v", tc.uname, name, err)
			}
		})
	}
}

// TestLab is the lab ha.cf of anchors.md §1.8.
func TestLab(t *testing.T) {
	c, w, err := ParseHaCf("lab.ha.cf", readFixture(t, "lab.ha.cf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	type got struct {
		Keepalive, Deadtime, Warntime, Initdead, Deadping time.Duration
		LogFile, DebugFile                                string
		UseLogd                                           bool
		AutoFailback                                      AutoFailback
		Ucast                                             []Ucast
		Nodes                                             []Node
	}
	want := got{
		Keepalive: time.Second, Deadtime: 3 * time.Second, Warntime: 1500 * time.Millisecond,
		Initdead: 12 * time.Second, Deadping: 3 * time.Second,
		LogFile: "/var/log/ha-log", DebugFile: "/var/log/ha-debug", AutoFailback: FailbackOn,
		Ucast: []Ucast{
			{Line: 7, Iface: "eth0", Peer: "10.206.0.2", Addr: netip.MustParseAddr("10.206.0.2"), Port: 694},
			{Line: 8, Iface: "eth1", Peer: "10.206.1.2", Addr: netip.MustParseAddr("10.206.1.2"), Port: 694},
		},
		Nodes: []Node{{10, "node1"}, {11, "node2"}},
	}
	g := got{c.Keepalive, c.Deadtime, c.Warntime, c.Initdead, c.Deadping, c.LogFile, c.DebugFile, c.UseLogd, c.AutoFailback, c.Ucast, c.Nodes}
	if diff := cmp.Diff(want, g, addrCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  time.Duration
		extra string
		err   bool
	}{
		{in: "2", want: 2 * time.Second},
		{in: "0.4", want: 400 * time.Millisecond},
		{in: ".5", want: 500 * time.Millisecond},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "500MS", want: 500 * time.Millisecond},
		{in: "1.5ms", want: 2 * time.Millisecond},
		{in: "1.4ms", want: time.Millisecond},
		{in: "1000msec", want: time.Second},
		{in: "499us", want: 0},
		{in: "501us", want: time.Millisecond},
		{in: "1000000usec", want: time.Second},
		{in: "0.0004", want: 0},
		{in: "1.2.3", want: 1200 * time.Millisecond},
		{in: "2msx", want: 2 * time.Millisecond, extra: "x"},
		{in: ".", want: 0},
		{in: "2s", err: true},
		{in: "1m", err: true},
		{in: "ms", err: true},
		{in: "-1", err: true},
		{in: "1e3", err: true},
		{in: "0x10", err: true},
		{in: "", err: true},
		{in: "99999999999999999999", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, extra, err := parseTime(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("parseTime(%q) error = %v, want error %v", tc.in, err, tc.err)
			}
			if d != tc.want || extra != tc.extra {
				t.Errorf("parseTime(%q) = %v, %q; want %v, %q", tc.in, d, extra, tc.want, tc.extra)
			}
		})
	}
}

// TestDirectives adds a snippet to a minimal valid file and checks what it
// sets.
func TestDirectives(t *testing.T) {
	const base = "bcast eth0\nnode a\n"
	for _, tc := range []struct {
		name string
		src  string // appended to base, from line 3
		get  func(*Config) any
		want any
	}{
		{"keepalive seconds", "keepalive 2\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
		{"keepalive last token wins", "keepalive 1,2\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
		{"keepalive ms", "keepalive 500ms\n", func(c *Config) any { return c.Keepalive }, 500 * time.Millisecond},
		{"deadtime", "deadtime 10\n", func(c *Config) any { return c.Deadtime }, 10 * time.Second},
		{"warntime derived", "deadtime 10\n", func(c *Config) any { return c.Warntime }, 5 * time.Second},
		{"warntime", "warntime 7\n", func(c *Config) any { return c.Warntime }, 7 * time.Second},
		{"initdead over 10s = deadtime", "deadtime 11\n", func(c *Config) any { return c.Initdead }, 11 * time.Second},
		{"initdead under 6s = 12s", "deadtime 5\n", func(c *Config) any { return c.Initdead }, 12 * time.Second},
		{"initdead 6-10s = 2×deadtime", "deadtime 8\n", func(c *Config) any { return c.Initdead }, 16 * time.Second},
		{"initdead 10s = 2×deadtime", "deadtime 10\n", func(c *Config) any { return c.Initdead }, 20 * time.Second},
		{"initdead", "initdead 60\n", func(c *Config) any { return c.Initdead }, 60 * time.Second},
		{"deadping derived", "deadtime 8\n", func(c *Config) any { return c.Deadping }, 8 * time.Second},
		{"deadping", "deadping 5\n", func(c *Config) any { return c.Deadping }, 5 * time.Second},
		{"udpport", "udpport 695\n", func(c *Config) any { return c.UDPPort }, uint16(695)},
		{"udpport before bcast", "", func(c *Config) any { return c.Bcast[0].Port }, uint16(694)},
		{"ucast", "ucast eth1 10.0.0.2\n", func(c *Config) any { return c.Ucast },
			[]Ucast{{Line: 3, Iface: "eth1", Peer: "10.0.0.2", Addr: netip.MustParseAddr("10.0.0.2"), Port: 694}}},
		{"ucast host name", "ucast eth1 peer.example\n", func(c *Config) any { return c.Ucast },
			[]Ucast{{Line: 3, Iface: "eth1", Peer: "peer.example", Port: 694}}},
		{"bcast several", "bcast eth1 eth2,eth3\n", func(c *Config) any { return len(c.Bcast) }, 4},
		{"udp alias", "udp eth1\n", func(c *Config) any { return c.Bcast[1] }, Bcast{Line: 3, Iface: "eth1", Port: 694}},
		{"mcast", "mcast eth0 225.0.0.1 694 1 0\n", func(c *Config) any { return c.Mcast },
			[]Mcast{{Line: 3, Iface: "eth0", Group: netip.MustParseAddr("225.0.0.1"), Port: 694, TTL: 1}}},
		{"mcast loop", "mcast eth0 239.1.2.3 1694 4 1\n", func(c *Config) any { return c.Mcast[0].Loop }, true},
		{"node several", "node B,c\tD\nnode e\n", func(c *Config) any { return c.Nodes },
			[]Node{{2, "a"}, {3, "b"}, {3, "c"}, {3, "d"}, {4, "e"}}},
		{"auto_failback on", "auto_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackOn},
		{"auto_failback yes", "auto_failback YES\n", func(c *Config) any { return c.AutoFailback }, FailbackOn},
		{"auto_failback off", "auto_failback false\n", func(c *Config) any { return c.AutoFailback }, FailbackOff},
		{"auto_failback legacy", "auto_failback Legacy\n", func(c *Config) any { return c.AutoFailback }, FailbackLegacy},
		{"nice_failback after boolean", "auto_failback on\nnice_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackOff},
		{"nice_failback alone", "nice_failback on\n", func(c *Config) any { return c.AutoFailback }, FailbackLegacy},
		{"ping", "ping 10.0.0.254 GW.example\n", func(c *Config) any { return c.Ping },
			[]Ping{{3, "10.0.0.254", netip.MustParseAddr("10.0.0.254")}, {3, "gw.example", netip.Addr{}}}},
		{"ping_group", "ping_group Routers 10.0.0.1 10.0.0.2\n", func(c *Config) any { return c.PingGroups },
			[]PingGroup{{Line: 3, Name: "routers", Hosts: []string{"10.0.0.1", "10.0.0.2"}}}},
		{"respawn args", "respawn  root  /usr/lib/hb/x -a  b  \n", func(c *Config) any { return c.Respawn },
			[]Respawn{{Line: 3, User: "root", Command: "/usr/lib/hb/x -a  b", Path: "/usr/lib/hb/x"}}},
		{"respawn several", "respawn a /x\nrespawn b /y\n", func(c *Config) any { return len(c.Respawn) }, 2},
		{"logfacility", "logfacility daemon\n", func(c *Config) any { return [3]any{c.LogFacility, c.LogFile, c.UseLogd} },
			[3]any{"daemon", "/dev/null", false}},
		{"logfacility none keeps logd", "logfacility none\n", func(c *Config) any { return [2]any{c.LogFile, c.UseLogd} },
			[2]any{"", true}},
		{"logfile", "logfile /var/log/ha-log\n", func(c *Config) any { return [3]any{c.LogFile, c.DebugFile, c.UseLogd} },
			[3]any{"/var/log/ha-log", "", false}},
		{"debugfile", "debugfile /var/log/ha-debug\n", func(c *Config) any { return c.DebugFile }, "/var/log/ha-debug"},
		{"use_logd yes", "use_logd yes\n", func(c *Config) any { return c.UseLogd }, true},
		{"debug", "debug 3\n", func(c *Config) any { return c.Debug }, 3},
		{"hopfudge", "hopfudge 0\n", func(c *Config) any { return c.HopFudge }, 0},
		{"autojoin none", "autojoin NONE\n", func(c *Config) any { return c.Autojoin }, AutojoinNone},
		{"realtime", "realtime off\n", func(c *Config) any { return c.Realtime }, false},
		{"rtprio", "rtprio 50\n", func(c *Config) any { return c.RTPrio }, 50},
		{"coredumps", "coredumps n\n", func(c *Config) any { return c.Coredumps }, false},
		{"coreroot", "coreroot /var/lib/heartbeat/cores\n", func(c *Config) any { return c.CoreRoot }, "/var/lib/heartbeat/cores"},
		{"uuidfrom", "uuidfrom nodename\n", func(c *Config) any { return c.UUIDFrom }, UUIDFromNodename},
		{"hbgenmethod", "hbgenmethod time\n", func(c *Config) any { return c.GenMethod }, GenTime},
		{"msgfmt", "msgfmt netstring\n", func(c *Config) any { return c.MsgFmt }, MsgFmtNetstring},
		{"compression", "compression bz2\n", func(c *Config) any { return c.Compression }, "bz2"},
		{"compression_threshold", "compression_threshold 8\n", func(c *Config) any { return c.CompressionThreshold }, 8},
		{"traditional_compression", "traditional_compression yes\n", func(c *Config) any { return c.TraditionalCompression }, true},
		{"max_rexmit_delay", "max_rexmit_delay 100\n", func(c *Config) any { return c.MaxRexmitDelay }, 100 * time.Millisecond},
		{"conn_logd_time", "conn_logd_time 500ms\n", func(c *Config) any { return c.ConnLogdTime }, 500 * time.Millisecond},
		{"memreserve", "memreserve 1000\n", func(c *Config) any { return c.MemReserve }, 1000},
		{"cluster", "cluster prod\n", func(c *Config) any { return c.Cluster }, "prod"},
		{"quorum_server overwrites cluster", "quorum_server qs\n", func(c *Config) any { return [2]string{c.QuorumServer, c.Cluster} }, [2]string{"qs", "qs"}},
		{"watchdog", "watchdog /dev/watchdog\n", func(c *Config) any { return c.Watchdog }, "/dev/watchdog"},
		{"env", "env FOO=bar=baz\n", func(c *Config) any { return c.Env }, []Env{{3, "HA_FOO", "bar=baz"}}},
		{"apiauth", "apiauth ipfail uid=hacluster,root gid=haclient\n", func(c *Config) any { return c.APIAuth },
			[]APIAuth{{Line: 3, Client: "ipfail", UIDs: []string{"hacluster", "root"}, GIDs: []string{"haclient"}}}},
		{"syslogmsgfmt", "syslogmsgfmt false\n", func(c *Config) any { return c.SyslogMsgFmt }, false},
		{"log_badpack", "log_badpack 0\n", func(c *Config) any { return c.LogBadPack }, false},
		{"use_apphbd", "use_apphbd on\n", func(c *Config) any { return c.UseAppHBD }, true},
		{"crm off", "crm off\n", func(c *Config) any { return c.Lines["crm"] }, 3},
		{"pacemaker no", "crm_daemon_dir /usr/lib/pacemaker\ncrmd_spawns_pengine yes\npacemaker no\n",
			func(c *Config) any { return c.Lines["pacemaker"] }, 5},
		{"pacemaker-only booleans", "record_config_changes on\nrecord_pengine_inputs off\nenable_config_writes 1\n",
			func(c *Config) any { return c.Lines["enable_config_writes"] }, 5},
		{"comments and blanks", "\n\t# comment\n   \r\nkeepalive 2 # two\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
		{"CRLF", "keepalive 3\r\n", func(c *Config) any { return c.Keepalive }, 3 * time.Second},
		{"commas after directive", "keepalive ,2\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
		{"comment glued to value", "keepalive 2#x\n", func(c *Config) any { return c.Keepalive }, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := mustParse(t, base+tc.src)
			if diff := cmp.Diff(tc.want, tc.get(c), addrCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUDPPortAfterMedia: bcast and ucast read udpport once, when their
// first medium is created (lib/plugins/HBcomm/bcast.c, ucast.c).
func TestUDPPortAfterMedia(t *testing.T) {
	c, w := mustParse(t, "udpport 700\nbcast eth0\nudpport 800\nbcast eth1\nucast eth2 10.0.0.2\nnode a\nauto_failback on\n")
	got := []uint16{c.Bcast[0].Port, c.Bcast[1].Port, c.Ucast[0].Port, c.UDPPort}
	if diff := cmp.Diff([]uint16{700, 700, 800, 800}, got); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	wantW := []Warning{{"ha.cf", 3, "udpport: udpport setting must precede media statements; " +
		"bcast and ucast media declared earlier keep port 700, as in Heartbeat 3.0.6"}}
	if diff := cmp.Diff(wantW, w); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestWarnings(t *testing.T) {
	const base = "bcast eth0\nnode a\nauto_failback on\n"
	for _, tc := range []struct {
		name string
		src  string // appended to base, from line 4
		want []string
	}{
		{"udp alias", "udp eth1\n", []string{"ha.cf:4: directive 'udp' replaced by 'bcast'"}},
		{"empty option", "keepalive\n", []string{"ha.cf:4: keepalive: no value given; directive ignored"}},
		{"empty ucast", "ucast\n", []string{"ha.cf:4: ucast: no interface given; directive ignored"}},
		{"empty mcast", "mcast\n", []string{"ha.cf:4: mcast: no interface given; directive ignored"}},
		{"ucast extra words", "ucast eth0 10.0.0.2 extra words\n", []string{`ha.cf:4: ucast: words after the peer address ignored: "extra words"`}},
		{"mcast extra words", "mcast eth0 225.0.0.1 694 1 0 x\n", []string{`ha.cf:4: mcast: words after loop ignored: "x"`}},
		{"time unit tail", "keepalive 2msx\n", []string{`ha.cf:4: keepalive: "2msx": characters "x" after the unit ignored`}},
		{"atoi tail", "debug 3x\n", []string{`ha.cf:4: debug: "3x" read as 3 (characters after the number ignored)`}},
		{"duplicate node", "node A\n", []string{`ha.cf:4: node: "a" listed more than once; later listing ignored`}},
		{"initdead small", "deadtime 9\ninitdead 9\n", []string{"ha.cf:5: initdead: initial dead time 9000ms may be too small! " +
			"It accounts for slow network startup time and should be >= deadtime and >= 10 seconds"}},
		{"warntime not below deadtime", "warntime 30\n", []string{`ha.cf:4: warntime: 30000ms is not less than deadtime 30000ms; ` +
			`no "Late heartbeat" warning will be logged before a node is declared dead`}},
		{"logd and files", "use_logd yes\nlogfile /x\nlogfacility local1\n", []string{
			"ha.cf:4: use_logd: logd is enabled but logfile/logfacility is still configured in ha.cf"}},
		{"nice_failback", "nice_failback on\n", []string{
			"ha.cf:4: nice_failback flag is obsolete; 'nice_failback on' has been interpreted as 'auto_failback off'"}},
		{"quorum_server", "quorum_server q\n", []string{`ha.cf:4: quorum_server: also sets the cluster name to "q", as in Heartbeat 3.0.6`}},
		{"coredumps", "coredumps yes\n", []string{"ha.cf:4: coredumps: accepted but has no effect in hbd: " +
			"core dumps are left to the system (ulimit -c, kernel.core_pattern, systemd-coredump)"}},
		{"compression", "compression bz2\n", []string{"ha.cf:4: compression: accepted but has no effect in hbd: " +
			"hbd never compresses: R1 messages stay far below compression_threshold, and Heartbeat 3.0.6 sends them uncompressed too"}},
		{"memreserve", "memreserve 100\n", []string{"ha.cf:4: memreserve: accepted but has no effect in hbd: " +
			"hbd locks its memory with mlockall (realtime) instead of preallocating memreserve KB"}},
		{"use_apphbd", "use_apphbd on\n", []string{"ha.cf:4: use_apphbd: accepted but has no effect in hbd: " +
			"apphbd is not provided (use watchdog, or the systemd unit's WatchdogSec)"}},
		{"crm_daemon_dir", "crm_daemon_dir /x\n", []string{"ha.cf:4: crm_daemon_dir: accepted but has no effect in hbd: " +
			"Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6"}},
		{"apiauth other client", "apiauth dopd gid=haclient\n", []string{"ha.cf:4: apiauth: dopd: accepted but has no effect in hbd: " +
			"hbd has no Heartbeat client API (only ipfail is provided, built in)"}},
		{"apiauth ipfail", "apiauth ipfail gid=haclient uid=hacluster\n", []string{}},
		{"respawn API client", "respawn hacluster /usr/lib/heartbeat/dopd\n", []string{"ha.cf:4: respawn: dopd is a Heartbeat API client " +
			"and hbd has no client API: it will be started and respawned but cannot connect (only ipfail is provided, built in)"}},
		{"respawn program", "respawn root /usr/sbin/mydaemon -f\n", []string{}},
		{"ipfail without ping nodes", "respawn hacluster /usr/libexec/heartbeat/ipfail\n", []string{
			"ha.cf:4: respawn: ipfail: no ping or ping_group nodes: ipfail has nothing to compare and never moves resources"}},
		{"ipfail with ping nodes", "respawn hacluster /usr/lib64/heartbeat/ipfail\nping 10.0.0.254\n", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, w := mustParse(t, base+tc.src)
			got := make([]string, len(w))
			for i := range w {
				got[i] = w[i].String()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBroken: each snippet is rejected with the exact file:line and
// message.
func TestBroken(t *testing.T) {
	const base = "bcast eth0\nnode a\nauto_failback on\n"
	for _, tc := range []struct {
		name string
		src  string
		full bool // src is the whole file, not appended to base
		want []string
	}{
		{name: "bad time", src: "deadtime 3x\n", want: []string{`ha.cf:4: deadtime: bad time "3x" (want a number with optional ms/us suffix)`}},
		{name: "seconds suffix", src: "keepalive 2s\n", want: []string{`ha.cf:4: keepalive: bad time "2s" (want a number with optional ms/us suffix)`}},
		{name: "space before ms", src: "keepalive 500 ms\n", want: []string{`ha.cf:4: keepalive: bad time "ms" (want a number with optional ms/us suffix)`}},
		{name: "keepalive zero", src: "keepalive 0\n", want: []string{`ha.cf:4: keepalive: "0" is 0 ms (want more than 0 after rounding to ms)`}},
		{name: "warntime zero", src: "warntime 0.0001\n", want: []string{`ha.cf:4: warntime: "0.0001" is 0 ms (want more than 0 after rounding to ms)`}},
		{name: "time too large", src: "deadtime 99999999999999999\n", want: []string{`ha.cf:4: deadtime: time too large "99999999999999999" (want a number with optional ms/us suffix)`}},
		{name: "deadtime vs keepalive", src: "keepalive 2\ndeadtime 4\n", want: []string{
			"ha.cf:5: deadtime: dead time 4000ms is too small compared to keepalive 2000ms (want deadtime > 2 × keepalive)"}},
		{name: "keepalive raises past default deadtime", src: "keepalive 15\n", want: []string{
			"ha.cf:4: deadtime: dead time 30000ms is too small compared to keepalive 15000ms (want deadtime > 2 × keepalive)"}},
		{name: "initdead below deadtime", src: "initdead 20\n", want: []string{
			"ha.cf:4: initdead: initial dead time 20000ms is smaller than deadtime 30000ms (want initdead >= deadtime)"}},
		{name: "deadping small", src: "deadping 2\n", want: []string{
			"ha.cf:4: deadping: ping dead time 2000ms is too small compared to keepalive 1000ms (want deadping > 2 × keepalive)"}},
		{name: "illegal directive", src: "keepalive2 3\n", want: []string{`ha.cf:4: illegal directive "keepalive2" (not a Heartbeat 3.0.6 ha.cf directive)`}},
		{name: "directive case", src: "Keepalive 3\n", want: []string{`ha.cf:4: illegal directive "Keepalive" (not a Heartbeat 3.0.6 ha.cf directive)`}},
		{name: "normalpoll not built", src: "normalpoll on\n", want: []string{`ha.cf:4: illegal directive "normalpoll" (not a Heartbeat 3.0.6 ha.cf directive)`}},
		{name: "crm on", src: "crm on\n", want: []string{`ha.cf:4: crm: "on": Pacemaker mode is not provided by hbd (want crm off; resources come from haresources)`}},
		{name: "crm yes", src: "crm yes\n", want: []string{`ha.cf:4: crm: "yes": Pacemaker mode is not provided by hbd (want crm off; resources come from haresources)`}},
		{name: "crm respawn", src: "crm respawn\n", want: []string{`ha.cf:4: crm: "respawn": Pacemaker mode is not provided by hbd (want crm off; resources come from haresources)`}},
		{name: "pacemaker bad", src: "pacemaker maybe\n", want: []string{`ha.cf:4: pacemaker: bad value "maybe" (want off; Pacemaker mode is not provided by hbd)`}},
		{name: "crm twice", src: "crm off\npacemaker false\n", want: []string{"ha.cf:5: pacemaker: pacemaker/crm directive used multiple times"}},
		{name: "crm_daemon_dir after crm", src: "crm off\ncrm_daemon_dir /x\n", want: []string{"ha.cf:5: crm_daemon_dir: must come before the crm/pacemaker directive"}},
		{name: "serial", src: "serial /dev/ttyS0\n", want: []string{"ha.cf:4: serial: serial media are not provided by hbd (use ucast, bcast or mcast)"}},
		{name: "baud", src: "baud 19200\n", want: []string{"ha.cf:4: baud: serial media are not provided by hbd (use ucast, bcast or mcast)"}},
		{name: "stonith", src: "stonith baytech /etc/ha.d/conf/stonith.baytech\n", want: []string{"ha.cf:4: stonith: STONITH is not provided by hbd"}},
		{name: "stonith_host", src: "stonith_host * null a b\n", want: []string{"ha.cf:4: stonith_host: STONITH is not provided by hbd"}},
		{name: "failfast", src: "failfast root /x\n", want: []string{"ha.cf:4: failfast: rebooting the machine when a child exits is not provided by hbd (use respawn)"}},
		{name: "ucast6", src: "ucast6 eth0 fe80::1\n", want: []string{"ha.cf:4: ucast6: IPv6 media are not provided by hbd (use ucast, bcast or mcast)"}},
		{name: "ucast v6 peer", src: "ucast eth0 fe80::1\n", want: []string{`ha.cf:4: ucast: "fe80::1" is not an IPv4 address (IPv6 media are not provided by hbd)`}},
		{name: "ucast missing peer", src: "ucast eth0\n", want: []string{"ha.cf:4: ucast: [eth0] missing target IP address/hostname (want ucast <interface> <peer address>)"}},
		{name: "ucast comma is not a separator", src: "ucast eth0,10.0.0.2\n", want: []string{"ha.cf:4: ucast: [eth0,10.0.0.2] missing target IP address/hostname (want ucast <interface> <peer address>)"}},
		{name: "mcast missing loop", src: "mcast eth0 225.0.0.1 694 1\n", want: []string{"ha.cf:4: mcast: [eth0] missing loop (want mcast <interface> <group> <port> <ttl> <loop>)"}},
		{name: "mcast missing group", src: "mcast eth0\n", want: []string{"ha.cf:4: mcast: [eth0] missing mcast address (want mcast <interface> <group> <port> <ttl> <loop>)"}},
		{name: "mcast unicast group", src: "mcast eth0 10.0.0.1 694 1 0\n", want: []string{`ha.cf:4: mcast: [eth0] bad addr "10.0.0.1" (want an IPv4 multicast address 224.0.0.0-239.255.255.255)`}},
		{name: "mcast ttl", src: "mcast eth0 225.0.0.1 694 5 0\n", want: []string{`ha.cf:4: mcast: bad value "5" (want a ttl 0-4)`}},
		{name: "mcast loop", src: "mcast eth0 225.0.0.1 694 1 2\n", want: []string{`ha.cf:4: mcast: bad value "2" (want loop 0 or 1)`}},
		{name: "mcast port", src: "mcast eth0 225.0.0.1 0 1 0\n", want: []string{`ha.cf:4: mcast: bad value "0" (want a port 1-65535)`}},
		{name: "udpport zero", src: "udpport x\n", want: []string{`ha.cf:4: udpport: bad value "x" (want a port 1-65535)`}},
		{name: "udpport big", src: "udpport 70000\n", want: []string{`ha.cf:4: udpport: bad value "70000" (want a port 1-65535)`}},
		{name: "auto_failback bad", src: "auto_failback maybe\n", want: []string{`ha.cf:4: auto_failback: bad value "maybe" (want on, off or legacy)`}},
		{name: "nice_failback bad", src: "nice_failback x\n", want: []string{`ha.cf:4: nice_failback: bad boolean "x" (nice_failback is obsolete: use auto_failback on, off or legacy)`}},
		{name: "bad boolean", src: "realtime maybe\n", want: []string{`ha.cf:4: realtime: bad boolean "maybe" (want on/off, yes/no, true/false, y/n or 1/0)`}},
		{name: "debug range", src: "debug 256\n", want: []string{`ha.cf:4: debug: bad value "256" (want 0-255)`}},
		{name: "hopfudge negative", src: "hopfudge -1\n", want: []string{`ha.cf:4: hopfudge: bad value "-1" (want 0-255)`}},
		{name: "rtprio", src: "rtprio 0\n", want: []string{`ha.cf:4: rtprio: bad value "0" (want a SCHED_RR priority 1-99)`}},
		{name: "max_rexmit_delay", src: "max_rexmit_delay 0\n", want: []string{`ha.cf:4: max_rexmit_delay: bad value "0" (want a number of ms > 0)`}},
		{name: "logfacility", src: "logfacility local9\n", want: []string{`ha.cf:4: logfacility: unknown syslog facility "local9" (want e.g. daemon, local0-local7 or none)`}},
		{name: "msgfmt", src: "msgfmt Classic\n", want: []string{`ha.cf:4: msgfmt: bad value "Classic" (want classic or netstring)`}},
		{name: "uuidfrom", src: "uuidfrom uname\n", want: []string{`ha.cf:4: uuidfrom: bad value "uname" (want file or nodename)`}},
		{name: "hbgenmethod", src: "hbgenmethod clock\n", want: []string{`ha.cf:4: hbgenmethod: bad value "clock" (want file or time)`}},
		{name: "compression", src: "compression lzo\n", want: []string{`ha.cf:4: compression: unknown compression "lzo" (want zlib or bz2)`}},
		{name: "autojoin bad", src: "autojoin all\n", want: []string{`ha.cf:4: autojoin: bad value "all" (want none, other or any)`}},
		{name: "autojoin any with R1", src: "autojoin any\n", want: []string{"ha.cf:4: autojoin: any: R1 style resource management conflicts with autojoin (want autojoin none)"}},
		{name: "respawn relative", src: "respawn hacluster ipfail\n", want: []string{"ha.cf:4: respawn: client child command [ipfail] is not full pathname (want respawn <user> <absolute path> [<args>])"}},
		{name: "respawn empty", src: "respawn\n", want: []string{"ha.cf:4: respawn: want respawn <user> <absolute path> [<args>]"}},
		{name: "apiauth no ids", src: "apiauth ipfail\n", want: []string{"ha.cf:4: apiauth: ipfail: missing uid or gid (want apiauth <client> [uid=<uid,...>] [gid=<gid,...>])"}},
		{name: "apiauth duplicate", src: "apiauth x uid=a\napiauth x gid=b\n", want: []string{"ha.cf:5: apiauth: duplicate apiauth directive for API client x"}},
		{name: "apiauth duplicate list", src: "apiauth x uid=a uid=b\n", want: []string{"ha.cf:4: apiauth: x: duplicate uid list"}},
		{name: "env", src: "env =x\n", want: []string{`ha.cf:4: env: bad value "=x" (want NAME=value)`}},
		{name: "watchdog twice", src: "watchdog /dev/a /dev/b\n", want: []string{"ha.cf:4: watchdog: watchdog device multiply specified"}},
		{name: "watchdog twice on two lines", src: "watchdog /dev/a\nwatchdog /dev/b\n", want: []string{"ha.cf:5: watchdog: watchdog device multiply specified"}},
		{name: "watchdog relative", src: "watchdog watchdog\n", want: []string{
			`ha.cf:4: watchdog: device "watchdog" is not an absolute path (want watchdog <device path>, e.g. watchdog /dev/watchdog)`}},
		{name: "watchdog empty", src: "watchdog\n", want: []string{"ha.cf:4: watchdog: no value given (want watchdog <device path>, e.g. watchdog /dev/watchdog)"}},
		{name: "respawn without program", src: "respawn hacluster\n", want: []string{
			"ha.cf:4: respawn: client child command [] is not full pathname (want respawn <user> <absolute path> [<args>])"}},
		{name: "respawn user too long", src: "respawn " + strings.Repeat("u", 64) + " /x\n", want: []string{
			`ha.cf:4: respawn: user name "` + strings.Repeat("u", 64) + `" too long (max 63 characters)`}},
		{name: "apiauth bad word", src: "apiauth ipfail user=x\n", want: []string{
			`ha.cf:4: apiauth: ipfail: unexpected "user=x" (want apiauth <client> [uid=<uid,...>] [gid=<gid,...>])`}},
		{name: "apiauth empty", src: "apiauth\n", want: []string{
			"ha.cf:4: apiauth: missing client name (want apiauth <client> [uid=<uid,...>] [gid=<gid,...>])"}},
		{name: "ping_group without hosts", src: "ping_group g\n", want: []string{"ha.cf:4: ping_group: want ping_group <name> <host> [<host>...]"}},
		{name: "ping v6", src: "ping ::1\n", want: []string{`ha.cf:4: ping: "::1" is not an IPv4 address (IPv6 ping nodes are not provided by hbd)`}},
		{name: "node name too long", src: "node " + strings.Repeat("n", 100) + "\n", want: []string{
			`ha.cf:4: node: name "` + strings.Repeat("n", 100) + `" too long (max 99 characters)`}},
		{name: "use_logd off without logs", src: "use_logd off\n", want: []string{
			"ha.cf:4: use_logd: no log entry found in ha.cf and use_logd is set to off (want logfile, debugfile or logfacility)"}},
		{name: "empty file", full: true, src: "", want: []string{
			"ha.cf: no heartbeat media defined (want ucast, bcast, mcast, ping or ping_group)",
			"ha.cf: no nodes defined (want at least one node line naming each cluster member as `uname -n` prints it)"}},
		{name: "no nodes", full: true, src: "bcast eth0\n", want: []string{
			"ha.cf: no nodes defined (want at least one node line naming each cluster member as `uname -n` prints it)"}},
		{name: "several errors in line order", src: "keepalive x\ndebug y9\nfoo\n", want: []string{
			`ha.cf:4: keepalive: bad time "x" (want a number with optional ms/us suffix)`,
			`ha.cf:6: illegal directive "foo" (not a Heartbeat 3.0.6 ha.cf directive)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if !tc.full {
				src = base + src
			}
			c, _, err := ParseHaCf("ha.cf", []byte(src))
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned with an error")
			}
			var first *Error
			if !errors.As(err, &first) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want[0], first.Error()); diff != "" {
				t.Errorf("first error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTooManyMedia(t *testing.T) {
	var b strings.Builder
	b.WriteString("node a\n")
	for i := 0; i < MaxMedia+1; i++ {
		b.WriteString("bcast eth0\n")
	}
	_, _, err := ParseHaCf("ha.cf", []byte(b.String()))
	if diff := cmp.Diff("ha.cf:66: bcast: too many media (max 64)", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTooManyNodes(t *testing.T) {
	var b strings.Builder
	b.WriteString("bcast eth0\nping 10.0.0.1\n")
	for i := 0; i < MaxNodes; i++ {
		fmt.Fprintf(&b, "node n%d\n", i)
	}
	_, _, err := ParseHaCf("ha.cf", []byte(b.String()))
	if diff := cmp.Diff("ha.cf:102: node: too many nodes (max 100, ping nodes included)", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestLocalNode(t *testing.T) {
	c, _ := mustParse(t, "bcast eth0\nnode Node1 node2\nauto_failback on\n")
	for _, tc := range []struct {
		uname, want, err string
	}{
		{uname: "node1", want: "node1"},
		{uname: "NODE2", want: "node2"},
		{uname: "node3", err: "ha.cf: Current node [node3] not in configuration! (node lines name node1, node2; " +
			"cluster nodes are named by `uname -n` and must be declared with a node directive)"},
		{uname: "node1.example", err: "ha.cf: Current node [node1.example] not in configuration! (node lines name node1, node2; " +
			"cluster nodes are named by `uname -n` and must be declared with a node directive)"},
	} {
		t.Run(tc.uname, func(t *testing.T) {
			got, err := c.LocalNode(tc.uname)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("LocalNode(%q) = %q, want %q", tc.uname, got, tc.want)
			}
		})
	}
	any := &Config{File: "ha.cf", Autojoin: AutojoinAny}
	if got, err := any.LocalNode("New"); err != nil || got != "new" {
		t.Errorf("autojoin any: LocalNode = %q, %v", got, err)
	}
}

func TestLocalName(t *testing.T) {
	for _, tc := range []struct {
		name     string
		nodeinfo []byte
		want     string
	}{
		{"no file", nil, "host1"},
		{"first line", []byte("cluster-a\nrest\n"), "cluster-a"},
		{"no newline", []byte("cluster-a"), "host1"},
		{"empty line", []byte("\n"), "host1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LocalName("host1", tc.nodeinfo); got != tc.want {
				t.Errorf("LocalName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEnumStrings(t *testing.T) {
	got := []string{
		FailbackOn.String(), FailbackOff.String(), FailbackLegacy.String(),
		AutojoinNone.String(), AutojoinOther.String(), AutojoinAny.String(), Autojoin(7).String(),
		UUIDFromNodename.String(), GenTime.String(), MsgFmtNetstring.String(), MsgFmt(-1).String(),
	}
	want := []string{"on", "off", "legacy", "none", "other", "any", "Autojoin(7)", "nodename", "time", "netstring", "MsgFmt(-1)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
