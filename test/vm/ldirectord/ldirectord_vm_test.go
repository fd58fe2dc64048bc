//go:build vm

package ldirectord

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// config is the scenario's ldirectord.cf: two virtuals on the VIP, both
// NAT to the reals' port 80, checked by connect, quiescent like S1.
// %s are the reals of :80 and of :8080.
const config = `checktimeout=2
checkinterval=1
quiescent=yes
autoreload=yes
virtual=203.0.113.10:80
%s	checktype=connect
	scheduler=rr
	protocol=tcp
virtual=203.0.113.10:8080
%s	checktype=connect
	scheduler=wrr
	protocol=tcp
`

const (
	rs1 = "192.0.2.11:80"
	rs2 = "192.0.2.12:80"
	rs3 = "192.0.2.13:80"
	vs  = "TCP 203.0.113.10:80 rr"
	vsW = "TCP 203.0.113.10:8080 wrr"
	// foreign is a service the test adds before ldirectord starts.
	foreign = "TCP 203.0.113.10:9090 rr"
)

func reals(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\treal=" + l + "\n")
	}
	return b.String()
}

// TestLdirectord drives the real ldirectord through the S1-like lab: the
// scheduler split, a failing real quiesced while its established download
// continues, reloads (SIGHUP and autoreload) that add, remove and
// re-weight reals without breaking an established download, status against
// ipvsadm, and stop with cleanstop leaving a foreign service alone. The
// subtests share one daemon and run in order.
func TestLdirectord(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	l := newLab(t, ctx, 3)
	url := "http://203.0.113.10/"
	urlW := "http://203.0.113.10:8080/"

	l.ipvsadm("-A", "-t", "203.0.113.10:9090", "-s", "rr")
	l.ipvsadm("-a", "-t", "203.0.113.10:9090", "-r", rs1, "-m", "-w", "1")
	foreignTable := ipvsTable{foreign: {rs1: "Masq 1"}}

	l.writeConfig(fmt.Sprintf(config, reals(rs1+" masq", rs2+" masq"), reals(rs1+" masq 1", rs2+" masq 3")))
	start := time.Now()
	if code, out, errOut := l.ld("start"); code != 0 {
		t.Fatalf("ldirectord start = %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	t.Logf("ldirectord start returned after %s", time.Since(start).Round(time.Millisecond))
	both := ipvsTable{
		vs:      {rs1: "Masq 1", rs2: "Masq 1"},
		vsW:     {rs1: "Masq 1", rs2: "Masq 3"},
		foreign: {rs1: "Masq 1"},
	}
	l.waitTable("start", both)
	t.Logf("both reals up after %s", time.Since(start).Round(time.Millisecond))
	sc := &scenario{l: l, url: url, urlW: urlW, both: both, foreign: foreignTable}

	t.Run("a scheduler split", sc.split)
	t.Run("b quiescent keeps established", sc.quiescent)
	t.Run("c reload keeps established", sc.reload)
	t.Run("f maintenance drains without a reload", sc.maintenance)
	t.Run("e status matches ipvsadm", sc.status)
	t.Run("d stop with cleanstop", sc.stop)
}

// scenario is the state the ordered subtests of TestLdirectord share.
type scenario struct {
	l         *lab
	url, urlW string
	both      ipvsTable // the table with every real up
	foreign   ipvsTable // the foreign service alone
}

// split: rr spreads 8 connections 4:4, wrr with weights 1:3 spreads them 2:6.
func (sc *scenario) split(t *testing.T) {
	l, url, urlW := sc.l, sc.url, sc.urlW
	if diff := cmp.Diff(map[string]int{"rs1": 4, "rs2": 4}, l.tally(url, 8)); diff != "" {
		t.Errorf("rr over 8 connections (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"rs1": 2, "rs2": 6}, l.tally(urlW, 8)); diff != "" {
		t.Errorf("wrr 1:3 over 8 connections (-want +got):\n%s", diff)
	}
}

// quiescent: rs1 stops listening, its check fails, it goes to weight 0
// (quiescent=yes): new connections avoid it while an established download
// from it keeps flowing; it comes back when it listens again.
func (sc *scenario) quiescent(t *testing.T) {
	l, url, both := sc.l, sc.url, sc.both
	s := l.streamTo(url, "rs1")
	s.flowing(t, "before the failure")
	l.reals[0].closeListener()
	l.waitTable("rs1 quiesced", ipvsTable{
		vs:      {rs1: "Masq 0", rs2: "Masq 1"},
		vsW:     {rs1: "Masq 0", rs2: "Masq 3"},
		foreign: {rs1: "Masq 1"},
	})
	if diff := cmp.Diff(map[string]int{"rs2": 6}, l.tally(url, 6)); diff != "" {
		t.Errorf("new connections with rs1 at weight 0 (-want +got):\n%s", diff)
	}
	s.flowing(t, "rs1 quiesced")
	l.reals[0].start(t)
	l.waitTable("rs1 restored", both)
	s.flowing(t, "rs1 restored")
}

// reload: SIGHUP and autoreload edits that add and remove other reals and
// re-weight rs1 keep a download from rs1 flowing; a broken edit is logged and
// ignored; ipvsadm -d of rs1 (negative control) cuts it.
func (sc *scenario) reload(t *testing.T) {
	l, url, both := sc.l, sc.url, sc.both
	s := l.streamTo(url, "rs1")
	s.flowing(t, "before the reload")

	// SIGHUP: rs2 goes, rs3 comes, rs1's weight changes in place.
	l.writeConfig(fmt.Sprintf(config, reals(rs1+" masq 2", rs3+" masq"), reals(rs1+" masq 1", rs2+" masq 3")))
	if code, _, errOut := l.ld("reload"); code != 0 {
		t.Fatalf("ldirectord reload = %d (%s)", code, errOut)
	}
	l.waitTable("after reload", ipvsTable{
		vs:      {rs1: "Masq 2", rs3: "Masq 1"},
		vsW:     {rs1: "Masq 1", rs2: "Masq 3"},
		foreign: {rs1: "Masq 1"},
	})
	s.flowing(t, "after the SIGHUP reload")

	// autoreload: back to rs1 and rs2, rs1's weight back to 1.
	l.writeConfig(fmt.Sprintf(config, reals(rs1+" masq", rs2+" masq"), reals(rs1+" masq 1", rs2+" masq 3")))
	l.waitTable("after autoreload", both)
	s.flowing(t, "after the autoreload")

	// A broken edit is logged (line 15: writeConfig adds logfile= and
	// maintenancedir= on lines 1 and 2) and changes nothing.
	good := fmt.Sprintf(config, reals(rs1+" masq", rs2+" masq"), reals(rs1+" masq 1", rs2+" masq 3"))
	l.writeConfig(strings.Replace(good, rs2+" masq 3", rs2+" masq three", 1))
	func() {
		defer l.writeConfig(good)
		logf := filepath.Join(l.dir, "ldirectord.log")
		waitFileContains(t, logf, "Error [")
		waitFileContains(t, logf, "reading file "+l.cfg+" at line 15: real: unexpected \"three\"")
		if got := l.table(); got.String() != both.String() {
			t.Errorf("a broken edit changed the table:\n%s", got)
		}
		s.flowing(t, "after the broken edit")
	}()

	// Negative control: deleting the real cuts its connection (with
	// expire_nodest_conn the next packet resets it instead of stalling).
	if err := l.Director.Sysctl("net.ipv4.vs.expire_nodest_conn", "1"); err != nil {
		t.Fatal(err)
	}
	l.ipvsadm("-d", "-t", "203.0.113.10:80", "-r", rs1)
	select {
	case <-s.done:
		t.Logf("ipvsadm -d cut the download after %d bytes: %v", s.read.Load(), s.err)
	case <-time.After(60 * time.Second):
		t.Errorf("the download from rs1 survived ipvsadm -d of rs1 (%d bytes)", s.read.Load())
	}
	if err := l.Director.Sysctl("net.ipv4.vs.expire_nodest_conn", "0"); err != nil {
		t.Fatal(err)
	}
	// ldirectord's periodic repair would put rs1 back; restart quickly
	// by a reload, which runs a full diff.
	if code, _, errOut := l.ld("reload"); code != 0 {
		t.Fatalf("ldirectord reload = %d (%s)", code, errOut)
	}
	l.waitTable("rs1 re-added by the reload", both)
}

// maintenance: a file named after rs2's address in maintenancedir
// drains it in both virtuals (quiescent=yes: weight 0) within seconds and
// without a reload, while an established download from it keeps flowing
// and new connections avoid it; removing the file restores it.
func (sc *scenario) maintenance(t *testing.T) {
	l, url, both := sc.l, sc.url, sc.both
	s := l.streamTo(url, "rs2")
	s.flowing(t, "before maintenance")
	file := filepath.Join(l.maint, "192.0.2.12")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l.waitTable("rs2 in maintenance", ipvsTable{
		vs:      {rs1: "Masq 1", rs2: "Masq 0"},
		vsW:     {rs1: "Masq 1", rs2: "Masq 0"},
		foreign: {rs1: "Masq 1"},
	})
	t.Logf("rs2 drained %s after its maintenance file appeared", time.Since(start).Round(time.Millisecond))
	if diff := cmp.Diff(map[string]int{"rs1": 6}, l.tally(url, 6)); diff != "" {
		t.Errorf("new connections with rs2 in maintenance (-want +got):\n%s", diff)
	}
	s.flowing(t, "rs2 in maintenance")
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	l.waitTable("rs2 out of maintenance", both)
	t.Logf("rs2 restored %s after its maintenance file went", time.Since(start).Round(time.Millisecond))
	s.flowing(t, "rs2 out of maintenance")
	waitFileContains(t, filepath.Join(l.dir, "ldirectord.log"), "real server in maintenance")
}

// status: `ldirectord status --json` and the status table show what
// ipvsadm -Ln shows for the managed services (rs2 down at weight 0).
func (sc *scenario) status(t *testing.T) {
	l, both := sc.l, sc.both
	l.reals[1].closeListener() // one real down, so weights differ
	l.waitTable("rs2 quiesced", ipvsTable{
		vs:      {rs1: "Masq 1", rs2: "Masq 0"},
		vsW:     {rs1: "Masq 1", rs2: "Masq 0"},
		foreign: {rs1: "Masq 1"},
	})
	code, out, errOut := l.ld("status", "--json")
	if code != 0 {
		t.Fatalf("status --json = %d (%s)", code, errOut)
	}
	st, err := statusTable(out)
	if err != nil {
		t.Fatal(err)
	}
	kernel := l.table()
	if diff := cmp.Diff(kernel.only(st).String(), st.String()); diff != "" {
		t.Errorf("status --json vs ipvsadm -Ln (-ipvsadm +status):\n%s", diff)
	}
	if len(st) != 2 {
		t.Errorf("status --json has %d virtuals, want 2:\n%s", len(st), st)
	}
	code, out, errOut = l.ld("status")
	if code != 0 {
		t.Fatalf("status = %d (%s)", code, errOut)
	}
	stText, err := statusTextTable(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(kernel.only(stText).String(), stText.String()); diff != "" {
		t.Errorf("status vs ipvsadm -Ln (-ipvsadm +status):\n%s\n%s", diff, out)
	}
	if !strings.Contains(out, "  -> 192.0.2.12:80                Masq    0      down     real down: ") {
		t.Errorf("status does not show rs2 down at weight 0:\n%s", out)
	}
	t.Logf("ldirectord status:\n%s", out)
	l.reals[1].start(t)
	l.waitTable("rs2 restored", both)
}

// stop: stop returns once the daemon has exited; cleanstop removed exactly
// what it added, so only the foreign service is left.
func (sc *scenario) stop(t *testing.T) {
	l, foreignTable := sc.l, sc.foreign
	pf := daemon.PidFile{Path: filepath.Join(l.rundir, "ldirectord.lab.cf.pid"), Program: "ldirectord"}
	pid, state, err := pf.Check()
	if err != nil || state != daemon.PidRunning {
		t.Fatalf("pid file: pid %d state %v err %v, want running", pid, state, err)
	}
	if code, _, errOut := l.ld("stop"); code != 0 {
		t.Fatalf("ldirectord stop = %d (%s)", code, errOut)
	}
	if daemon.IsRunning(pid, "ldirectord") {
		t.Errorf("stop returned while pid %d still runs", pid)
	}
	if got := l.table(); got.String() != foreignTable.String() {
		t.Errorf("after stop ipvsadm -Ln is\n%s\nwant only the foreign service\n%s", got, foreignTable)
	}
	if code, out, _ := l.ld("status"); code != 3 || !strings.Contains(out, "ldirectord is stopped for "+l.cfg) {
		t.Errorf("status after stop = %d %q, want 3 and the stopped line", code, out)
	}
	for _, f := range []string{"ldirectord.lab.cf.pid", "ldirectord.lab.cf.sock"} {
		if _, err := os.Stat(filepath.Join(l.rundir, f)); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
	logf := filepath.Join(l.dir, "ldirectord.log")
	waitFileContains(t, logf, "Linux Director Daemon terminated on signal: TERM")
	waitFileContains(t, logf, "Starting Linux Director v1.186-ha as daemon")
	waitFileContains(t, logf, "Reloading Linux Director Daemon config on signal")
	waitFileContains(t, logf, "Configuration file '"+l.cfg+"' has changed on disk")
}

// waitFileContains waits (bounded) until the file contains s.
func waitFileContains(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never contained %q:\n%s", path, s, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
