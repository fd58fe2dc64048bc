package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"

	"github.com/ultramonkey/ultramonkey/test/repo"
)

// ldirectordDirectives is every ldirectord.cf directive of ldirectord
// 4.12 (ldirectord.in, _ld_read_config: the global branch of read_config
// and the $rcmd branch of a virtual section), by where it may appear.
// service=oracle is listed on its own: it is a value the issue names.
var ldirectordDirectives = map[string][]string{
	"global": {"checktimeout", "connecttimeout", "negotiatetimeout", "checkinterval", "checkcount", "failurecount",
		"fallback", "fallback6", "fallbackcommand", "autoreload", "callback", "logfile", "execute", "fork",
		"supervised", "quiescent", "readdquiescent", "emailalert", "emailalertfreq", "emailalertstatus",
		"emailalertfrom", "cleanstop", "smtp", "maintenancedir", "timeout", "virtual", "virtual6"},
	"virtual": {"real", "real6", "request", "receive", "checktype", "checkcommand", "checktimeout", "connecttimeout",
		"negotiatetimeout", "checkcount", "failurecount", "checkinterval", "checkport", "login", "passwd", "database",
		"secret", "load", "scheduler", "persistent", "schedflags", "netmask", "protocol", "ops", "service",
		"service=oracle", "httpmethod", "virtualhost", "fallback", "fallback6", "fallbackcommand", "quiescent",
		"emailalert", "emailalertfreq", "emailalertstatus", "monitorfile", "cleanstop", "smtp", "servicename", "comment"},
}

// ldSample is a typical line of each directive (DIR stands for a
// directory of the test). A global sample is line 1 of a small valid file;
// a virtual sample is line 2, inside "virtual=10.0.0.1:80" (or the IPv6
// virtual for the *6 directives), and may carry more lines after it.
var ldSample = map[string]map[string]string{
	"global": {
		"checktimeout": "checktimeout=5", "connecttimeout": "connecttimeout=5", "negotiatetimeout": "negotiatetimeout=30",
		"checkinterval": "checkinterval=10", "checkcount": "checkcount=1", "failurecount": "failurecount=3",
		"fallback": "fallback=127.0.0.1:80", "fallback6": "fallback6=[::1]:80", "fallbackcommand": "fallbackcommand=/usr/local/sbin/sorry",
		"autoreload": "autoreload=yes", "callback": "callback=\"/usr/local/sbin/reloaded\"", "logfile": "logfile=\"local0\"",
		"execute": "execute=DIR/other.cf", "fork": "fork=yes", "supervised": "supervised=yes", "quiescent": "quiescent=yes",
		"readdquiescent": "readdquiescent=yes", "emailalert": "emailalert=\"ops@example.com\"", "emailalertfreq": "emailalertfreq=600",
		"emailalertstatus": "emailalertstatus=starting,stopping", "emailalertfrom": "emailalertfrom=alerts@example.com",
		"cleanstop": "cleanstop=no", "smtp": "smtp=mail.example.com", "maintenancedir": "maintenancedir=DIR",
		"timeout": "timeout=5", "virtual": "virtual=10.0.0.9:80\n\treal=10.0.0.3:80 gate", "virtual6": "virtual6=[2001:db8::9]:80\n\treal6=[2001:db8::3]:80 gate",
	},
	"virtual": {
		"real": "real=10.0.0.3:80 masq 2", "real6": "real6=[2001:db8::3]:80 gate", "request": "request=\"/health\"",
		"receive": "receive=\"OK\"", "checktype": "checktype=negotiate", "checkcommand": "checkcommand=/bin/true\n\tchecktype=external",
		"checktimeout": "checktimeout=3", "connecttimeout": "connecttimeout=3", "negotiatetimeout": "negotiatetimeout=20",
		"checkcount": "checkcount=2", "failurecount": "failurecount=2", "checkinterval": "checkinterval=5", "checkport": "checkport=8080",
		"login": "login=\"monitor\"\n\tservice=ftp", "passwd": "passwd=\"secret\"\n\tservice=ftp",
		"database": "database=\"app\"\n\tservice=mysql\n\tlogin=\"monitor\"\n\trequest=\"SELECT 1\"", "secret": "secret=\"radius\"\n\tservice=radius",
		"load": "load=\"x\"", "scheduler": "scheduler=wlc", "persistent": "persistent=600", "schedflags": "schedflags=sh-port\n\tscheduler=sh",
		"netmask": "netmask=255.255.255.0\n\tpersistent=600", "protocol": "protocol=tcp", "ops": "ops=yes\n\tprotocol=udp",
		"service": "service=http\n\tchecktype=negotiate", "service=oracle": "service=oracle\n\tchecktype=negotiate",
		"httpmethod": "httpmethod=HEAD", "virtualhost": "virtualhost=www.example.com", "fallback": "fallback=127.0.0.1:80 gate",
		"fallback6": "fallback6=[::1]:80 gate", "fallbackcommand": "fallbackcommand=\"/usr/local/sbin/sorry\"", "quiescent": "quiescent=yes",
		"emailalert": "emailalert=\"web@example.com\"", "emailalertfreq": "emailalertfreq=300", "emailalertstatus": "emailalertstatus=none",
		"monitorfile": "monitorfile=DIR/check.log", "cleanstop": "cleanstop=yes", "smtp": "smtp=127.0.0.1:2525",
		"servicename": "servicename=Web site", "comment": "comment=call the web team",
	},
}

// ldDocRow is one row of docs/migration.md's ldirectord.cf table.
type ldDocRow struct {
	class, test string
	line        int
}

var ldRowRE = regexp.MustCompile("^\\| `([a-z0-9=]+)` \\| (global|virtual) \\| (behaviour|refused|warning) \\| [^|]+ \\| `(Test[A-Za-z0-9_]+)` \\|$")

// readLdirectordTable reads the ldirectord.cf table of docs/migration.md,
// keyed by "scope directive".
func readLdirectordTable(t *testing.T, path string) map[string]ldDocRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]ldDocRow{}
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "<!-- ldirectord.cf directives: begin -->":
			in = true
		case line == "<!-- ldirectord.cf directives: end -->":
			in = false
		case in && strings.HasPrefix(line, "| `"):
			m := ldRowRE.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: malformed row (want | `directive` | global or virtual | behaviour, refused or warning | what | `TestName` |): %s", path, n, line)
				continue
			}
			key := m[2] + " " + m[1]
			if _, dup := rows[key]; dup {
				t.Errorf("%s:%d: %s listed twice", path, n, key)
			}
			rows[key] = ldDocRow{class: m[3], test: m[4], line: n}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no ldirectord.cf directive table found", path)
	}
	return rows
}

// classify runs `ldirectord <file> check` on the sample and says what it
// did to the sample's line: refused (exit 2 naming file:line), warning
// (exit 0, a warning naming file:line) or behaviour (exit 0, no remark).
func classify(t *testing.T, scope, sample, dir string) (class, stderr string) {
	t.Helper()
	sample = strings.ReplaceAll(sample, "DIR", dir)
	var text string
	line := 1
	switch scope {
	case "global":
		text = sample + "\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n"
	default:
		header := "virtual=10.0.0.1:80"
		if strings.Contains(sample, "6=") || strings.Contains(sample, "[") {
			header = "virtual6=[2001:db8::1]:80"
		}
		text = header + "\n\t" + sample + "\n\treal" + map[bool]string{true: "6=[2001:db8::2]:80", false: "=10.0.0.2:80"}[strings.HasPrefix(header, "virtual6")] + " gate\n"
		line = 2
	}
	cf := filepath.Join(dir, "ldirectord.cf")
	writeFile(t, cf, text)
	var out, errb strings.Builder
	code := run([]string{cf, "check"}, &out, &errb, deps{EtcDir: dir, Options: &ldcf.Options{}, Checkers: check.Default()})
	at := fmt.Sprintf("%s:%d: ", cf, line)
	switch {
	case code == exitConfig && strings.HasPrefix(errb.String(), at):
		return "refused", errb.String()
	case code == exitOK && strings.Contains(errb.String(), at):
		return "warning", errb.String()
	case code == exitOK && errb.Len() == 0:
		return "behaviour", ""
	}
	t.Fatalf("%q: exit %d, stderr %q: neither a refusal nor a warning at line %d, nor clean", text, code, errb.String(), line)
	return "", ""
}

// TestLdirectordDirectiveTable: docs/migration.md lists every ldirectord
// 4.12 ldirectord.cf directive, global and per virtual, once, with the
// class `ldirectord check` gives its sample (refused with file:line and
// exit 2, a warning with file:line, or accepted to do what it did) and a
// test that exists (issue 12: no directive silently ignored).
func TestLdirectordDirectiveTable(t *testing.T) {
	root := filepath.Join("..", "..")
	doc := filepath.Join(root, "docs", "migration.md")
	rows := readLdirectordTable(t, doc)
	tests, err := repo.TestFuncs(root)
	if err != nil {
		t.Fatal(err)
	}
	for key, row := range rows {
		scope, name, _ := strings.Cut(key, " ")
		if !slices.Contains(ldirectordDirectives[scope], name) {
			t.Errorf("%s:%d: %s is not an ldirectord 4.12 %s directive", doc, row.line, name, scope)
		}
	}
	for _, scope := range []string{"global", "virtual"} {
		for _, name := range ldirectordDirectives[scope] {
			t.Run(scope+"/"+name, func(t *testing.T) {
				row, ok := rows[scope+" "+name]
				if !ok {
					t.Fatalf("%s: no %s row for %s", doc, scope, name)
				}
				if !tests[row.test] {
					t.Errorf("%s:%d: %s: test %s does not exist", doc, row.line, name, row.test)
				}
				sample, ok := ldSample[scope][name]
				if !ok {
					t.Fatalf("no sample line for %s %s", scope, name)
				}
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "other.cf"), "virtual=10.0.0.5:80\n\treal=10.0.0.6:80 gate\n")
				got, stderr := classify(t, scope, sample, dir)
				if got != row.class {
					t.Errorf("%s:%d: %s %s is %q in the doc, but %q is %s (stderr %q)", doc, row.line, scope, name, row.class, sample, got, stderr)
				}
			})
		}
	}
}
