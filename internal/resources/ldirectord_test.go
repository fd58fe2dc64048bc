package resources_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// fakeLdirectord starts a real process whose command line says
// "ldirectord" (sleep under that argv[0]); it is killed at cleanup.
func fakeLdirectord(t *testing.T) *exec.Cmd { return sleeper(t, "/usr/sbin/ldirectord") }

// sleeper starts sleep with argv[0] set to name.
func sleeper(t *testing.T, name string) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("no sleep: %v", err)
	}
	cmd := exec.Command(sleep, "300")
	cmd.Args[0] = name
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func writePid(t *testing.T, path string, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLdirectordPidFileName(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"config name", []string{"ldirectord.cf"}, "/run/ldirectord.ldirectord.cf.pid"},
		{"config path: its basename", []string{"/etc/ha.d/conf/www.cf"}, "/run/ldirectord.www.cf.pid"},
		{"no config", nil, "/run/ldirectord.ldirectord.pid"},
		{"--rundir", []string{"--rundir", "/var/run/ld", "ldirectord.cf"}, "/var/run/ld/ldirectord.ldirectord.cf.pid"},
		{"--rundir=", []string{"-d", "--rundir=/tmp/x", "--", "a.cf"}, "/tmp/x/ldirectord.a.cf.pid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := resources.NewLdirectord(resources.LdirectordConfig{Script: resources.ScriptConfig{Path: "ldirectord", Args: tc.args}})
			if got := a.PidFile(); got != tc.want {
				t.Errorf("pid file %s, want %s", got, tc.want)
			}
		})
	}
}

// TestLdirectordStatus reads a real pid file and a real process: the
// status the monitor polls, without running ldirectord.
func TestLdirectordStatus(t *testing.T) {
	dir := t.TempDir()
	a := resources.NewLdirectord(resources.LdirectordConfig{RunDir: dir,
		Script: resources.ScriptConfig{Path: "ldirectord", Args: []string{"ldirectord.cf"}}})
	pidPath := filepath.Join(dir, "ldirectord.ldirectord.cf.pid")
	if a.PidFile() != pidPath {
		t.Fatalf("pid file %s, want %s", a.PidFile(), pidPath)
	}
	ld := fakeLdirectord(t)
	other := sleeper(t, "sleep")
	dead := fakeLdirectord(t)
	dead.Process.Kill()
	dead.Wait()
	status := func() string {
		st, err := a.Status(context.Background())
		if err != nil {
			return "error: " + err.Error()
		}
		return st.String()
	}
	steps := []struct {
		name string
		pid  string // pid file content; "" removes it
		want string
	}{
		{"no pid file", "", "stopped"},
		{"live ldirectord", strconv.Itoa(ld.Process.Pid) + "\n", "running"},
		{"pid of a dead process (kill -9)", strconv.Itoa(dead.Process.Pid) + "\n", "stopped"},
		{"pid of a live process that is not ldirectord", strconv.Itoa(other.Process.Pid) + "\n", "stopped"},
		{"garbage", "x\n", "stopped"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			os.Remove(pidPath)
			if st.pid != "" {
				writePid(t, pidPath, st.pid)
			}
			if diff := cmp.Diff(st.want, status()); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("killed after it was running", func(t *testing.T) {
		writePid(t, pidPath, strconv.Itoa(ld.Process.Pid)+"\n")
		if got := status(); got != "running" {
			t.Fatalf("before the kill: %s", got)
		}
		ld.Process.Kill()
		ld.Wait()
		if got := status(); got != "stopped" {
			t.Errorf("after kill -9: %s, want stopped", got)
		}
	})
}

// TestLdirectordStartStopRunTheBinary: start and stop keep Heartbeat's
// calling convention; only status is read from the pid file.
func TestLdirectordStartStopRunTheBinary(t *testing.T) {
	dir := t.TempDir()
	bin, calls := filepath.Join(dir, "ldirectord"), filepath.Join(dir, "calls")
	writeScript(t, bin, recorder)
	a := resources.NewLdirectord(resources.LdirectordConfig{RunDir: dir,
		Script: resources.ScriptConfig{Path: bin, Args: []string{"ldirectord.cf"}, Env: []string{"CALLS=" + calls}}})
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSpace(string(b)), "\n"); !cmp.Equal(got, []string{"ldirectord.cf start", "ldirectord.cf stop"}) {
		t.Errorf("runs %q, want start then stop and no status run", got)
	}
}
