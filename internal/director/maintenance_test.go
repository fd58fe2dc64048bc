package director

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// TestMaintenanceCandidates pins _check_real_for_maintenance's file names
// and their order.
func TestMaintenanceCandidates(t *testing.T) {
	for _, tc := range []struct {
		name, real, host string
		want             []string
	}{
		{"address only", "172.16.1.2:4444", "", []string{"172.16.1.2:4444", "172.16.1.2"}},
		{"with a name", "172.16.1.2:4444", "realserver2.example.com",
			[]string{"172.16.1.2:4444", "172.16.1.2", "realserver2.example.com:4444", "realserver2.example.com", "realserver2:4444", "realserver2"}},
		{"a name with no dot has no short form", "172.16.1.2:80", "localhost", []string{"172.16.1.2:80", "172.16.1.2", "localhost:80", "localhost"}},
		{"ldirectord's short-name regex wants lower case", "172.16.1.2:80", "Web2.example.com", []string{"172.16.1.2:80", "172.16.1.2", "Web2.example.com:80", "Web2.example.com"}},
		{"IPv6 in brackets", "[2001:db8::2]:80", "", []string{"[2001:db8::2]:80", "[2001:db8::2]"}},
		{"no port", "10.0.0.2:0", "", []string{"10.0.0.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, maintenanceCandidates(ap(tc.real), tc.host)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMaintenanceViewFile(t *testing.T) {
	v := maintenanceView{Files: map[string]bool{"10.0.0.2": true, "web3:80": true, "README": true}}
	if f := v.file(ap("10.0.0.2:8080")); f != "10.0.0.2" {
		t.Errorf("10.0.0.2:8080 matched %q, want the address-only file", f)
	}
	if f := v.file(ap("10.0.0.3:80")); f != "" {
		t.Errorf("10.0.0.3:80 matched %q without its name resolved", f)
	}
	v.Names = map[netip.Addr]string{netip.MustParseAddr("10.0.0.3"): "web3.example.com"}
	if f := v.file(ap("10.0.0.3:80")); f != "web3:80" {
		t.Errorf("10.0.0.3:80 named web3.example.com matched %q, want web3:80", f)
	}
	if f := v.file(ap("10.0.0.3:443")); f != "" {
		t.Errorf("10.0.0.3:443 matched %q, want nothing (web3:80 names port 80)", f)
	}
	if !v.needsNames() {
		t.Error("needsNames false with host-named files")
	}
	if (maintenanceView{Files: map[string]bool{"10.0.0.2:80": true, "[2001:db8::1]": true, "2001:db8::2": true}}).needsNames() {
		t.Error("needsNames true with address-named files only")
	}
}

// TestCheckLogLine pins service_set's monitorfile line.
func TestCheckLogLine(t *testing.T) {
	now := time.Date(2026, 12, 6, 5, 46, 10, 0, time.UTC)
	v := virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) {
		v.CheckType, v.Service, v.Request, v.Receive, v.VirtualHost, v.CheckPort = ldcf.CheckNegotiate, "http", "/index.html", "Test Page", "www.example.com", 8080
	})
	r := rl("10.0.0.2:80", 3, ldcf.Masq)
	got := checkLogLine(now, 4242, v, r, false, "500 Internal Server Error|retry\n100%")
	want := "[Sun Dec  6 05:46:10 2026] [4242] negotiate http tcp 10.0.0.2 80 www.example.com 8080 3 masq /index.html Test Page [down] 500 Internal Server Error%7cretry%0a100%25\n"
	if got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	v = virt("[2001:db8::10]:80", nil)
	got = checkLogLine(now, 1, v, rl("[2001:db8::2]:80", 1, ldcf.Gate), true, "")
	want = "[Sun Dec  6 05:46:10 2026] [1] connect tcp [2001 db8 2] 80 1 gate /  [up] -\n"
	if got != want {
		t.Errorf("IPv6 line\n got %q\nwant %q", got, want)
	}
}

// TestRunMaintenance: a file named after a real drains it at the next
// poll with no reload, its checks are ignored while the file is there,
// and removing the file lets the next successful check restore it. A file
// present at start keeps its real out from the start. Every check and
// every maintenance verdict is logged to the monitorfile.
func TestRunMaintenance(t *testing.T) {
	dir, logDir := t.TempDir(), t.TempDir()
	monitor := filepath.Join(logDir, "check.log")
	touch(t, filepath.Join(dir, "10.0.0.3"))
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		fc.set("10.0.0.3:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)},
			func(v *ldcf.Virtual) { v.MonitorFile = monitor }))
		cfg.Global.MaintenanceDir = dir
		h := start(t, "", cfg, fc, func(c *Config) { c.Pid = 4242 })
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.expectLogs("real server in maintenance", "Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)")

		touch(t, filepath.Join(dir, "10.0.0.2:80"))
		h.advance(time.Second)
		h.expectOps("-d -t 10.1.1.10:80 -r 10.0.0.2:80")
		h.expectLogs("real server in maintenance", "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)")
		if st := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80"); st.State != Down || !strings.Contains(st.Reason, "maintenance file 10.0.0.2:80") {
			t.Errorf("status of a real in maintenance: %+v", st)
		}
		h.advance(10 * time.Second) // checks succeed, and are ignored
		h.expectOps()

		if err := os.Remove(filepath.Join(dir, "10.0.0.3")); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Second)
		h.expectOps() // out of maintenance, down until its next check
		h.expectLogs("real server out of maintenance; checking it again")
		h.advance(9 * time.Second)
		h.expectOps("-a -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 1")
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
	})
	b, err := os.ReadFile(monitor)
	if err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\] \[4242\] `)
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !stamp.MatchString(l) {
			t.Errorf("monitorfile line without ldirectord's timestamp and pid: %q", l)
		}
		got = append(got, stamp.ReplaceAllString(l, ""))
	}
	const r2, r3 = "connect tcp 10.0.0.2 80 1 gate /  ", "connect tcp 10.0.0.3 80 1 gate /  " // the id ends in ":" (no receive)
	maint := "[down] Server in maintenance"
	want := []string{
		r3 + maint,                // at start, before any check
		r2 + "[up] -", r3 + maint, // t=0: the checks
		r2 + maint,             // t=1: the new file
		r2 + maint, r3 + maint, // t=10: the checks
		r2 + maint, r3 + "[up] -", // t=20
	}
	if diff := cmp.Diff(sortedPairs(want), sortedPairs(got)); diff != "" {
		t.Errorf("monitorfile (-want +got):\n%s", diff)
	}
}

// sortedPairs sorts a copy of lines (the checks of one round finish in
// any order): the comparison is of the multiset of lines.
func sortedPairs(lines []string) []string {
	out := append([]string(nil), lines...)
	slices.Sort(out)
	return out
}

// TestRunMaintenanceByNameQuiescent: with quiescent=yes a real in
// maintenance is set to weight 0; a file named after the short name of
// the real's reverse DNS name matches it.
func TestRunMaintenanceByNameQuiescent(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 2, ldcf.Gate)}, func(v *ldcf.Virtual) { v.Quiescent = true }))
		cfg.Global.MaintenanceDir = dir
		var lookups atomic.Int32
		lookup := func(_ context.Context, addr string) ([]string, error) {
			lookups.Add(1)
			if addr == "10.0.0.2" {
				return []string{"web2.example.com."}, nil
			}
			return nil, errors.New("NXDOMAIN")
		}
		h := start(t, "", cfg, fc, func(c *Config) { c.LookupAddr = lookup })
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 2")
		h.advance(5 * time.Second)
		if lookups.Load() != 0 {
			t.Errorf("%d reverse lookups with an empty maintenance directory", lookups.Load())
		}
		touch(t, filepath.Join(dir, "web2"))
		h.advance(time.Second)
		h.expectOps("-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0")
		h.expectLogs("Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)")
		h.advance(30 * time.Second)
		if lookups.Load() != 1 {
			t.Errorf("%d reverse lookups of one real over 30 polls, want 1 (cached)", lookups.Load())
		}
		if err := os.Remove(filepath.Join(dir, "web2")); err != nil {
			t.Fatal(err)
		}
		h.advance(10 * time.Second)
		h.expectOps("-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 2")

		cfg2 := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 2, ldcf.Gate)}, func(v *ldcf.Virtual) { v.Quiescent = true }))
		touch(t, filepath.Join(dir, "10.0.0.2:80"))
		h.d.Reload(cfg2) // maintenancedir removed: the file means nothing
		h.advance(11 * time.Second)
		h.expectOps()
		h.stop()
	})
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckLogWriterFailure: a monitorfile that cannot be written is
// logged once (ldirectord died instead), and again only after a write
// succeeded in between.
func TestCheckLogWriterFailure(t *testing.T) {
	logs := newLogRecorder()
	w := newCheckLogWriter(slogNew(logs))
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "check.log")
	w.write(path, "a\n")
	w.write(path, "b\n")
	want := []string{"Error writing to monitorfile '" + path + "'"}
	if diff := cmp.Diff(want, logs.take()); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.write(path, "c\n")
	if b, _ := os.ReadFile(path); string(b) != "c\n" {
		t.Errorf("file holds %q, want the line written once the directory exists", b)
	}
	if err := os.RemoveAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	w.write(path, "d\n")
	if diff := cmp.Diff(want, logs.take()); diff != "" {
		t.Errorf("logs after a new failure (-want +got):\n%s", diff)
	}
}

// TestRunMaintenanceCheckTypeOn: reals of a checktype=on virtual, never
// checked, go down in maintenance too (ldirectord looks for the file
// before the check type) and come back as soon as the file goes; a
// reload keeps them down.
func TestRunMaintenanceCheckTypeOn(t *testing.T) {
	dir := t.TempDir()
	touch(t, filepath.Join(dir, "10.0.0.3:80"))
	synctest.Test(t, func(t *testing.T) {
		mk := func() *ldcf.Config {
			cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)},
				func(v *ldcf.Virtual) { v.CheckType = ldcf.CheckOn }))
			cfg.Global.MaintenanceDir = dir
			return cfg
		}
		h := start(t, "", mk(), newFakeChecker())
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		touch(t, filepath.Join(dir, "10.0.0.2"))
		h.advance(time.Second)
		h.expectOps("-d -t 10.1.1.10:80 -r 10.0.0.2:80")
		h.d.Reload(mk())
		h.advance(time.Second)
		h.expectOps()
		for _, f := range []string{"10.0.0.2", "10.0.0.3:80"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		h.advance(time.Second)
		got := h.ops()
		slices.Sort(got)
		if diff := cmp.Diff([]string{"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1", "-a -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 1"}, got); diff != "" {
			t.Errorf("out of maintenance (-want +got):\n%s", diff)
		}
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
	})
}
