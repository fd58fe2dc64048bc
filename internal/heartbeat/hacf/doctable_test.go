package hacf

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ultramonkey/ultramonkey/test/repo"
)

// heartbeatDirectives is every ha.cf directive of Heartbeat 3.0.6
// (anchors.md §1.3: heartbeat/config.c Directives[] and WLdirectives, the
// HBcomm media plugins Debian ships, the udp alias), plus normalpoll,
// which the Debian build does not compile in. Each one needs a row in
// docs/migration.md's ha.cf table.
var heartbeatDirectives = []string{
	"node", "keepalive", "deadtime", "warntime", "initdead", "deadping", "udpport", "baud", "hopfudge",
	"auto_failback", "nice_failback", "logfile", "debugfile", "logfacility", "use_logd", "conn_logd_time",
	"syslogmsgfmt", "log_badpack", "debug", "realtime", "rtprio", "coredumps", "coreroot", "hbgenmethod",
	"uuidfrom", "autojoin", "msgfmt", "compression", "compression_threshold", "traditional_compression",
	"max_rexmit_delay", "memreserve", "cluster", "quorum_server", "watchdog", "pacemaker", "crm",
	"crm_daemon_dir", "crmd_spawns_pengine", "record_config_changes", "record_pengine_inputs",
	"enable_config_writes", "env", "use_apphbd", "apiauth", "respawn", "failfast", "stonith", "stonith_host",
	"bcast", "udp", "ucast", "mcast", "ucast6", "mcast6", "serial", "ping", "ping6", "ping_group", "normalpoll",
}

// directiveSample is one typical line of each directive. The table test
// puts it on line 1 of a small valid file and checks that the parser does
// what the doc row's class says: an error on line 1 (refused), a warning
// on line 1 (warning), or neither (behaviour).
var directiveSample = map[string]string{
	"node": "node b", "keepalive": "keepalive 2", "deadtime": "deadtime 20", "warntime": "warntime 10",
	"initdead": "initdead 60", "deadping": "deadping 20", "udpport": "udpport 694", "baud": "baud 19200",
	"hopfudge": "hopfudge 2", "auto_failback": "auto_failback off", "nice_failback": "nice_failback on",
	"logfile": "logfile /var/log/ha-log", "debugfile": "debugfile /var/log/ha-debug", "logfacility": "logfacility local0",
	"use_logd": "use_logd yes", "conn_logd_time": "conn_logd_time 60", "syslogmsgfmt": "syslogmsgfmt false",
	"log_badpack": "log_badpack false", "debug": "debug 1", "realtime": "realtime off", "rtprio": "rtprio 5",
	"coredumps": "coredumps true", "coreroot": "coreroot /var/lib/heartbeat/cores", "hbgenmethod": "hbgenmethod time",
	"uuidfrom": "uuidfrom nodename", "autojoin": "autojoin none", "msgfmt": "msgfmt netstring",
	"compression": "compression bz2", "compression_threshold": "compression_threshold 4",
	"traditional_compression": "traditional_compression yes", "max_rexmit_delay": "max_rexmit_delay 300",
	"memreserve": "memreserve 8000", "cluster": "cluster web", "quorum_server": "quorum_server q1",
	"watchdog": "watchdog /dev/watchdog", "pacemaker": "pacemaker on", "crm": "crm respawn",
	"crm_daemon_dir": "crm_daemon_dir /usr/lib/heartbeat", "crmd_spawns_pengine": "crmd_spawns_pengine yes",
	"record_config_changes": "record_config_changes on", "record_pengine_inputs": "record_pengine_inputs on",
	"enable_config_writes": "enable_config_writes on", "env": "env LANG=C", "use_apphbd": "use_apphbd yes",
	"apiauth": "apiauth ipfail gid=haclient uid=hacluster", "respawn": "respawn hacluster /usr/lib/heartbeat/ipfail",
	"failfast": "failfast root /usr/sbin/x", "stonith": "stonith baytech /etc/ha.d/conf/stonith.baytech",
	"stonith_host": "stonith_host * null a b", "bcast": "bcast eth1", "udp": "udp eth1",
	"ucast": "ucast eth1 10.0.0.2", "mcast": "mcast eth1 225.0.0.1 694 1 0", "ucast6": "ucast6 eth1 fe80::1",
	"mcast6": "mcast6 eth1 ff02::1 694 1 0", "serial": "serial /dev/ttyS0", "ping": "ping 10.0.0.254",
	"ping6": "ping6 fe80::1", "ping_group": "ping_group g 10.0.0.253 10.0.0.254", "normalpoll": "normalpoll on",
}

// sampleRest follows the sample: a valid file (ping node included, so the
// ipfail respawn line has something to compare).
const sampleRest = "\nbcast eth0\nnode a\nauto_failback on\nping 10.0.0.1\n"

type docRow struct {
	class, test string
	line        int
}

// readDirectiveTable reads the ha.cf table of docs/migration.md.
func readDirectiveTable(t *testing.T, path string) map[string]docRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]docRow{}
	in := false
	rowRE := regexp.MustCompile("^\\| `([a-z_0-9]+)` \\| ([a-z]+) \\| [^|]+ \\| `(Test[A-Za-z0-9_]+)` \\|$")
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "<!-- ha.cf directives: begin -->":
			in = true
		case line == "<!-- ha.cf directives: end -->":
			in = false
		case in && strings.HasPrefix(line, "| `"):
			m := rowRE.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: malformed row (want | `directive` | class | what | `TestName` |): %s", path, n, line)
				continue
			}
			if _, dup := rows[m[1]]; dup {
				t.Errorf("%s:%d: %s listed twice", path, n, m[1])
			}
			rows[m[1]] = docRow{class: m[2], test: m[3], line: n}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no ha.cf directive table found", path)
	}
	return rows
}

// TestDirectiveTable: docs/migration.md lists every Heartbeat 3.0.6 ha.cf
// directive once, with the class the parser gives it and a test that
// exists (issue 12: no directive silently ignored).
func TestDirectiveTable(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	doc := filepath.Join(root, "docs", "migration.md")
	rows := readDirectiveTable(t, doc)
	tests, err := repo.TestFuncs(root)
	if err != nil {
		t.Fatal(err)
	}
	for name := range rows {
		if !slices.Contains(heartbeatDirectives, name) {
			t.Errorf("%s:%d: %s is not a Heartbeat 3.0.6 ha.cf directive", doc, rows[name].line, name)
		}
	}
	for _, dir := range heartbeatDirectives {
		t.Run(dir, func(t *testing.T) {
			row, ok := rows[dir]
			if !ok {
				t.Fatalf("%s: no row for %s", doc, dir)
			}
			if !tests[row.test] {
				t.Errorf("%s:%d: %s: test %s does not exist", doc, row.line, dir, row.test)
			}
			sample, ok := directiveSample[dir]
			if !ok {
				t.Fatalf("no sample line for %s", dir)
			}
			_, warnings, err := ParseHaCf("ha.cf", []byte(sample+sampleRest))
			var line1Err bool
			if el, ok := err.(ErrorList); ok {
				line1Err = slices.ContainsFunc(el, func(e *Error) bool { return e.Line == 1 })
			} else if e, ok := err.(*Error); ok {
				line1Err = e.Line == 1
			}
			if err != nil && !line1Err {
				t.Fatalf("%q: error not on line 1: %v", sample, err)
			}
			line1Warn := slices.ContainsFunc(warnings, func(w Warning) bool { return w.Line == 1 })
			got := "behaviour"
			switch {
			case line1Err:
				got = "refused"
			case line1Warn:
				got = "warning"
			}
			if got != row.class {
				t.Errorf("%s:%d: %s is %q in the doc, but %q is %s (err %v, warnings %v)",
					doc, row.line, dir, row.class, sample, got, err, warnings)
			}
		})
	}
}
