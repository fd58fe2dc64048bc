package ops

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shellMode is one way an init script runs.
type shellMode struct {
	name          string
	shell         []string // interpreter before the script; nil: its #! line (dash on Debian)
	initFunctions string   // INIT_FUNCTIONS in the defaults file
}

// noInitFunctions is an INIT_FUNCTIONS that does not exist: the scripts'
// own fallbacks print the messages.
const noInitFunctions = "/nonexistent/lib/lsb/init-functions"

// shellModes are the ways the scripts are tested: as installed with and
// without /lib/lsb/init-functions, and under busybox sh when present.
func shellModes(t *testing.T) []shellMode {
	t.Helper()
	modes := []shellMode{{name: "plain", initFunctions: noInitFunctions}}
	if _, err := os.Stat("/lib/lsb/init-functions"); err == nil {
		modes = append(modes, shellMode{name: "lsb-init-functions", initFunctions: "/lib/lsb/init-functions"})
	} else {
		t.Log("no /lib/lsb/init-functions here: the scripts run without it only")
	}
	if p, err := exec.LookPath("busybox"); err == nil {
		modes = append(modes, shellMode{name: "busybox-sh", shell: []string{p, "sh"}, initFunctions: noInitFunctions})
	}
	return modes
}

// initScript is one init script with its test settings file.
type initScript struct {
	path        string // the script in the repository
	defaultsVar string // HBD_DEFAULTS or LDIRECTORD_DEFAULTS
	defaults    string // the settings file the script reads
	mode        shellMode
	dir         string // working directory
}

// run runs the script with args. SYSTEMCTL_SKIP_REDIRECT keeps Debian's
// init-functions from handing the action to systemctl on a systemd host.
func (s initScript) run(t *testing.T, args ...string) result {
	t.Helper()
	argv := append(append(append([]string{}, s.mode.shell...), s.path), args...)
	return runCmd(t, s.dir, []string{s.defaultsVar + "=" + s.defaults, "SYSTEMCTL_SKIP_REDIRECT=1"}, argv...)
}

// step is one action of a scripted sequence, in the state the steps before
// it left.
type step struct {
	name   string
	args   []string
	want   int // LSB exit code
	before func(t *testing.T)
	after  func(t *testing.T, r result)
	// needsNoIPVS marks a step that starts ldirectord and expects the
	// start to fail for lack of IPVS; on a kernel with IPVS it is skipped
	// rather than touching this host's IPVS table.
	needsNoIPVS bool
}

// runSteps runs steps in order; a failed step ends the sequence, since the
// rest depend on the state it should have left.
func runSteps(t *testing.T, s initScript, steps []step) {
	t.Helper()
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			if st.needsNoIPVS && hostHasIPVS() {
				t.Skip("this kernel has IPVS: a real start would change the host's IPVS table")
			}
			if st.before != nil {
				st.before(t)
			}
			r := s.run(t, st.args...)
			if r.code != st.want {
				t.Fatalf("%s %s: exit %d, want %d\n%s", filepath.Base(s.path), strings.Join(st.args, " "), r.code, st.want, r)
			}
			if st.after != nil {
				st.after(t, r)
			}
		})
		if !ok {
			t.FailNow()
		}
	}
}

// hostHasIPVS reports whether this kernel has IPVS loaded.
func hostHasIPVS() bool {
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// wantOutput asserts that stdout or stderr contains every one of subs.
func wantOutput(subs ...string) func(t *testing.T, r result) {
	return func(t *testing.T, r result) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(r.stdout, s) && !strings.Contains(r.stderr, s) {
				t.Errorf("output lacks %q\n%s", s, r)
			}
		}
	}
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestInitScriptHeaders checks the LSB comment block insserv and
// systemd-sysv-generator read, the shell syntax, and shellcheck when it is
// installed.
func TestInitScriptHeaders(t *testing.T) {
	want := map[string]string{
		"Required-Start": "$network $remote_fs $syslog",
		"Required-Stop":  "$network $remote_fs $syslog",
		"Default-Start":  "2 3 4 5",
		"Default-Stop":   "0 1 6",
	}
	for _, name := range []string{"hbd", "ldirectord"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(repoRoot, "etc/init.d", name)
			h := lsbHeader(t, path)
			if h["Provides"] != name {
				t.Errorf("Provides: %q, want %q", h["Provides"], name)
			}
			for k, v := range want {
				if h[k] != v {
					t.Errorf("%s: %q, want %q", k, h[k], v)
				}
			}
			if h["Short-Description"] == "" {
				t.Error("no Short-Description")
			}
			if r := runCmd(t, repoRoot, nil, "sh", "-n", path); r.code != 0 {
				t.Errorf("sh -n: %s", r)
			}
			if sc, err := exec.LookPath("shellcheck"); err == nil {
				if r := runCmd(t, repoRoot, nil, sc, "-s", "sh", path); r.code != 0 {
					t.Errorf("shellcheck: %s", r)
				}
			} else {
				t.Log("shellcheck not installed: lint skipped")
			}
		})
	}
}

// lsbHeader parses the "### BEGIN INIT INFO" block; continuation lines
// ("#  " plus text) are dropped.
func lsbHeader(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "### BEGIN INIT INFO":
			in = true
		case line == "### END INIT INFO":
			return h
		case in:
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), ":")
			if ok && !strings.Contains(k, " ") {
				h[k] = strings.TrimSpace(v)
			}
		}
	}
	t.Fatalf("%s: no complete LSB header", path)
	return nil
}
