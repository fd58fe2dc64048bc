package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// TestBinaryWithoutIPVS builds the real binary and runs it on this host,
// whose kernel has no IPVS: start (detached and -d) must fail with the
// no-IPVS error and exit 1, leaving no pid file or socket; the verbs that
// need no kernel still work.
func TestBinaryWithoutIPVS(t *testing.T) {
	if n, err := ipvs.OpenNetlink(); err == nil {
		n.Close()
		t.Skip("this kernel has IPVS; the VM tests cover the binary there")
	} else if !errors.Is(err, ipvs.ErrNoIPVS) {
		t.Skipf("cannot tell whether the kernel has IPVS: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ldirectord")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rundir := filepath.Join(dir, "run")
	if err := os.Mkdir(rundir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.cf")
	writeFile(t, cfg, "virtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n")
	broken := filepath.Join(dir, "broken.cf")
	writeFile(t, broken, "virtual=10.1.1.10:80\n\treal=192.168.2.236:80 tunnel\n")
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // substring
		wantStderr string // substring
	}{
		{name: "start", args: []string{cfg, "start"}, wantCode: 1, wantStderr: ipvs.ErrNoIPVS.Error()},
		{name: "start -d", args: []string{"-d", cfg, "start"}, wantCode: 1, wantStderr: ipvs.ErrNoIPVS.Error()},
		{name: "restart", args: []string{cfg, "restart"}, wantCode: 1, wantStderr: ipvs.ErrNoIPVS.Error()},
		{name: "status", args: []string{cfg, "status"}, wantCode: 3, wantStdout: "ldirectord is stopped for " + cfg},
		{name: "stop", args: []string{cfg, "stop"}, wantCode: 0},
		{name: "reload", args: []string{cfg, "reload"}, wantCode: 1, wantStderr: "ldirectord is stopped for " + cfg},
		{name: "check", args: []string{cfg, "check"}, wantCode: 0, wantStdout: "TCP  10.1.1.10:80 wrr\n  -> 192.168.2.236:80"},
		{name: "broken", args: []string{broken, "start"}, wantCode: 2, wantStderr: broken + ":2: real: "},
		{name: "usage", args: []string{cfg, "begin"}, wantCode: 255, wantStderr: "Usage: ldirectord"},
		{name: "version", args: []string{"--version"}, wantCode: 0, wantStdout: "Linux Director v1.186-ha"},
		{name: "version build info", args: []string{"-V"}, wantCode: 0, wantStdout: "\nmodule github.com/ultramonkey/ultramonkey\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			cmd := exec.Command(bin, append([]string{"--rundir", rundir}, tc.args...)...)
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode || !strings.Contains(out.String(), tc.wantStdout) || !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("ldirectord %q: exit %d, stdout %q, stderr %q; want %d, stdout with %q, stderr with %q",
					tc.args, code, out.String(), errb.String(), tc.wantCode, tc.wantStdout, tc.wantStderr)
			}
			left, _ := os.ReadDir(rundir)
			if len(left) != 0 {
				t.Errorf("ldirectord %q left %v in the run dir", tc.args, left)
			}
		})
	}
}
