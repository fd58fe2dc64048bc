package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// seedTable is seeds.md §2.3.5, the table S1 must produce.
const seedTable = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.1.1.10:80 wrr
  -> 192.168.2.236:80             Masq    1      0          0
  -> 192.168.2.237:80             Masq    1      0          0
  -> 192.168.2.238:80             Masq    1      0          0
`

// TestCheck runs `ldirectord <file> check` (and -t) on the repository's
// sample, ldcf's fixtures and broken files: the plan goes to stdout, a
// broken file gives file:line on stderr and exit 2, and nothing is touched
// (no kernel is opened: OpenKernel is nil here and would panic).
func TestCheck(t *testing.T) {
	tmp := t.TempDir()
	broken := filepath.Join(tmp, "broken.cf")
	writeFile(t, broken, "checkinterval=5\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq x\n")
	unknown := filepath.Join(tmp, "unknown.cf")
	writeFile(t, unknown, "checkinterval=5\nfrobnicate=yes\n")
	fixture := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "internal", "director", "ldcf", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample, err := filepath.Abs(filepath.Join("..", "..", "etc", "ha.d", "ldirectord.cf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string // substring; "" = must be empty
	}{
		{name: "repo sample", args: []string{sample, "check"}, wantStdout: seedTable},
		{name: "S1 with -t", args: []string{"-t", fixture("s1.cf")}, wantStdout: seedTable},
		{name: "Debian example", args: []string{fixture("debian-ldirectord.cf"), "check"}, wantStdout: `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.6.240:80 rr
  -> 192.168.6.2:80               Route   1      0          0
  -> 192.168.6.3:80               Route   1      0          0
  -> 192.168.6.6:80               Route   1      0          0
`},
		{name: "broken weight", args: []string{broken, "check"}, wantCode: exitConfig, wantStderr: broken + `:3: real: unexpected "x"`},
		{name: "unknown directive", args: []string{unknown, "check"}, wantCode: exitConfig, wantStderr: unknown + ":2: frobnicate: unknown directive"},
		{name: "broken file on status", args: []string{"--rundir", tmp, broken, "status"}, wantCode: exitConfig, wantStderr: broken + ":3: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			d := deps{EtcDir: tmp, Options: &ldcf.Options{}, Checkers: allChecks()}
			code := run(tc.args, &out, &errb, d)
			if code != tc.wantCode {
				t.Errorf("exit = %d, want %d (stderr %q)", code, tc.wantCode, errb.String())
			}
			if diff := cmp.Diff(tc.wantStdout, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if tc.wantStderr == "" && errb.Len() != 0 || !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tc.wantStderr)
			}
		})
	}
}

// TestCheckWarnsUnimplemented: a check type this build cannot run is named
// with its file:line, since its reals would always be reported down.
func TestCheckWarnsUnimplemented(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "x.cf")
	writeFile(t, cfg, "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n\tchecktype=negotiate\n\tservice=http\n")
	var out, errb strings.Builder
	d := deps{Options: &ldcf.Options{}, Checkers: check.Registry{}}
	if code := run([]string{cfg, "check"}, &out, &errb, d); code != exitOK {
		t.Fatalf("exit = %d, want 0; stderr %q", code, errb.String())
	}
	want := cfg + ":3: checktype negotiate (service http): not implemented in this build; its reals will be reported down\n"
	if diff := cmp.Diff(want, errb.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// allChecks claims every check type, so fixtures using negotiate print no
// "not implemented" warning whatever state the check package is in.
func allChecks() check.Registry {
	r := check.Registry{}
	for _, typ := range []ldcf.CheckType{ldcf.CheckNegotiate, ldcf.CheckConnect, ldcf.CheckPing, ldcf.CheckExternal,
		ldcf.CheckExternalPerl, ldcf.CheckOn, ldcf.CheckOff, ldcf.CheckCombined} {
		r[check.Kind{Type: typ}] = check.On{}
	}
	return r
}

// TestCheckFiles: as ldirectord's parser, a monitorfile that cannot be
// opened for appending is refused with file:line (exit 2), and a
// maintenancedir that does not exist is a warning with file:line.
func TestCheckFiles(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.cf")
	writeFile(t, bad, "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n\tmonitorfile="+filepath.Join(tmp, "no", "such", "dir.log")+"\n")
	var out, errb strings.Builder
	d := deps{Options: &ldcf.Options{}, Checkers: allChecks()}
	if code := run([]string{bad, "check"}, &out, &errb, d); code != exitConfig {
		t.Errorf("unopenable monitorfile: exit %d, want %d", code, exitConfig)
	}
	if want := bad + ":3: unable to open monitorfile " + filepath.Join(tmp, "no", "such", "dir.log") + ": "; !strings.HasPrefix(errb.String(), want) {
		t.Errorf("stderr %q, want it to start with %q", errb.String(), want)
	}

	good := filepath.Join(tmp, "good.cf")
	monitor := filepath.Join(tmp, "check.log")
	writeFile(t, good, "maintenancedir="+filepath.Join(tmp, "maint")+"\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n\tmonitorfile="+monitor+"\n")
	out.Reset()
	errb.Reset()
	if code := run([]string{good, "check"}, &out, &errb, d); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %q", code, errb.String())
	}
	if want := good + ":1: warning: maintenance directory does not exist: " + filepath.Join(tmp, "maint") + "\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	if _, err := os.Stat(monitor); err != nil {
		t.Errorf("monitorfile not created as ldirectord does: %v", err)
	}
}

// TestExecInstance: the real runner of execute= instances passes the
// child's output through and reports its exit status.
func TestExecInstance(t *testing.T) {
	var out, errb strings.Builder
	err := execInstance(context.Background(), []string{"/bin/sh", "-c", "echo running; echo oops >&2; exit 3"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("err = %v, want exit status 3", err)
	}
	if out.String() != "running\n" || errb.String() != "oops\n" {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
}

// TestCheckRefusesWhatCannotRun: `ldirectord check` refuses, with
// file:line and exit 2, a receive= regex that does not compile (it used
// to fail only at check time) and service=oracle.
func TestCheckRefusesWhatCannotRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, text, want string }{
		{"receive", "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=negotiate\n\treceive=\"(ok\"\n", ":4: receive: bad regular expression \"(ok\""},
		{"per-real receive", "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 1 \"/\", \"[a-\"\n", ":2: real: bad regular expression \"[a-\""},
		{"oracle", "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=negotiate\n\tservice=oracle\n", ":4: service: oracle check (service=oracle) is not supported"},
	} {
		cf := filepath.Join(dir, tc.name+".cf")
		writeFile(t, cf, tc.text)
		var out, errb strings.Builder
		code := run([]string{cf, "check"}, &out, &errb, deps{Options: &ldcf.Options{}, Checkers: check.Default()})
		if code != exitConfig || !strings.HasPrefix(errb.String(), cf+tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, errb.String(), exitConfig, cf+tc.want)
		}
	}
}
