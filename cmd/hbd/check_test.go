package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkFiles is a valid configuration with an executable resource script,
// a ping node, ipfail and a respawn program.
func checkFiles() map[string]string {
	f := goodFiles()
	f["ha.cf"] += "ping 127.0.0.9\nrespawn hacluster /usr/lib64/heartbeat/ipfail\nrespawn root /bin/true --flag\nwatchdog /dev/watchdog\n"
	f["haresources"] = "node1 dummy IPaddr::192.0.2.10/24/lo\n"
	f["resource.d/dummy"] = "#!/bin/sh\nexit 0\n"
	return f
}

func checkDir(t *testing.T, files map[string]string) string {
	dir := confDir(t, files, 0)
	if _, ok := files["resource.d/dummy"]; ok {
		os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
	}
	// %DIR% in ha.cf is the configuration directory (paths of test files).
	if hacf := files["ha.cf"]; strings.Contains(hacf, "%DIR%") {
		if err := os.WriteFile(filepath.Join(dir, "ha.cf"), []byte(strings.ReplaceAll(hacf, "%DIR%", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCheck: `hbd check` and `hbd -t` print the plan and exit 0 on a valid
// configuration, touching nothing (no pid file, no state, no socket).
func TestCheck(t *testing.T) {
	dir := checkDir(t, checkFiles())
	rundir, statedir := t.TempDir(), t.TempDir()
	for _, args := range [][]string{{"check"}, {"-t"}} {
		code, out, errb := runCLI(t, append([]string{"hbd", "--confdir", dir, "--rundir", rundir, "--statedir", statedir, "--node", "node1"}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errb)
		}
		want := []string{
			"hbd: " + dir + ": configuration OK: local node node1, peer node2, 1 ucast, 0 bcast, 0 mcast line(s), 1 resource group(s)",
			"node node1 (this node)",
			"node node2",
			"timing: keepalive 100ms, deadtime 500ms, warntime 300ms, initdead 500ms, deadping 500ms",
			"auto_failback on",
			"link ucast lo to 127.0.0.2 port 31694",
			"ping node 127.0.0.9",
			"ipfail on (built in), from " + dir + "/ha.cf:10",
			"respawn as root: /bin/true --flag",
			"watchdog /dev/watchdog, timeout 1s",
			"group 1 (haresources:1), preferred node node1, starts in order: dummy, IPaddr::192.0.2.10/24/lo",
		}
		plan := strings.Split(strings.TrimSpace(out), "\n")
		if diff := cmp.Diff(want, plan); diff != "" {
			t.Errorf("%v: plan (-want +got):\n%s", args, diff)
		}
		// Warnings (initdead small; the watchdog device where this host
		// has none) go to stderr.
		if !strings.Contains(errb, "hbd: warning: "+dir+"/ha.cf:4: initdead: initial dead time 500ms may be too small!") {
			t.Errorf("%v: ha.cf warnings not printed: %q", args, errb)
		}
	}
	for _, d := range []string{rundir, statedir} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("check wrote into %s: %v", d, ents)
		}
	}
}

// TestCheckErrors: every error names file:line, exits 6, and stops start
// and reload the same way.
func TestCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"missing resource script", func(f map[string]string) { f["haresources"] = "node1 dummy\\\n  nosuchscript::x\n" },
			"/haresources:1: resource nosuchscript::x: cannot locate resource script nosuchscript (want an executable "},
		{"bad IPaddr prefix", func(f map[string]string) { f["haresources"] = "node1 IPaddr::10.0.0.1/33/eth0\n" },
			"/haresources:1: "},
		{"bad IPaddr interface name", func(f map[string]string) { f["haresources"] = "node1 IPaddr2::10.0.0.1/24/eth0.toolonginterfacename\n" },
			"/haresources:1: "},
		{"respawn unknown user", func(f map[string]string) { f["ha.cf"] += "respawn nosuchuser42 /bin/true\n" },
			"/ha.cf:9: respawn: invalid uid [nosuchuser42] specified for client child"},
		{"respawn not executable", func(f map[string]string) {
			f["ha.cf"] += "respawn root %DIR%/resource.d/plain\n"
			f["resource.d/plain"] = "data\n"
		},
			"/ha.cf:9: respawn: client child command ["},
		{"apiauth unknown user", func(f map[string]string) { f["ha.cf"] += "apiauth ipfail uid=nosuchuser42\n" },
			"/ha.cf:9: apiauth: ipfail: invalid uid [nosuchuser42] (want a user name or number)"},
		{"apiauth unknown group", func(f map[string]string) { f["ha.cf"] += "apiauth ipfail gid=nosuchgroup42 uid=0\n" },
			"/ha.cf:9: apiauth: ipfail: invalid gid [nosuchgroup42] (want a group name or number)"},
		{"watchdog relative", func(f map[string]string) { f["ha.cf"] += "watchdog dog\n" },
			"/ha.cf:9: watchdog: device \"dog\" is not an absolute path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := goodFiles()
			files["resource.d/dummy"] = "#!/bin/sh\nexit 0\n"
			tc.edit(files)
			dir := checkDir(t, files)
			for _, verb := range []string{"check", "-t", "start", "reload"} {
				code, out, errb := runCLI(t, "hbd", "--confdir", dir, "--rundir", t.TempDir(), "--statedir", t.TempDir(), "--node", "node1", verb)
				if code != exitNotConfiged || !strings.Contains(errb, tc.want) {
					t.Errorf("hbd %s: exit %d, stderr %q; want 6 and %q", verb, code, errb, tc.want)
				}
				if out != "" {
					t.Errorf("hbd %s: stdout %q, want nothing", verb, out)
				}
			}
		})
	}
}

// TestCheckVerb: hbd check validates like start, prints a summary, and
// creates nothing (no pid file, no socket, no state).
func TestCheckVerb(t *testing.T) {
	run := func(t *testing.T, files map[string]string, node string) (int, string, string, string, string) {
		t.Helper()
		dir := checkDir(t, files)
		rundir, statedir := t.TempDir(), t.TempDir()
		code, stdout, stderr := runCLI(t, "hbd", "--confdir", dir, "--rundir", rundir, "--statedir", statedir, "--node", node, "check")
		return code, stdout, stderr, rundir, statedir
	}
	t.Run("valid", func(t *testing.T) {
		files := goodFiles()
		files["resource.d/dummy"] = "#!/bin/sh\nexit 0\n"
		code, stdout, stderr, rundir, statedir := run(t, files, "node1")
		want := "configuration OK: local node node1, peer node2, 1 ucast, 0 bcast, 0 mcast line(s), 1 resource group(s)\n"
		// goodHaCf's short initdead draws Heartbeat's warning, with its line.
		warn := "/ha.cf:4: initdead: initial dead time 500ms may be too small!"
		if code != exitOK || !strings.Contains(stdout, want) || !strings.HasPrefix(stderr, "hbd: warning: ") || !strings.Contains(stderr, warn) {
			t.Errorf("hbd check: exit %d, stdout %q, stderr %q; want 0, %q and the warning %q", code, stdout, stderr, want, warn)
		}
		for _, d := range []string{rundir, statedir} {
			if ents, _ := os.ReadDir(d); len(ents) != 0 {
				t.Errorf("hbd check wrote into %s: %v", d, ents)
			}
		}
	})
	for _, tc := range []struct {
		name, node, want string
		edit             func(map[string]string)
	}{
		{name: "bad ha.cf line", node: "node1", edit: func(f map[string]string) { f["ha.cf"] = "keepalive 2s\n" + f["ha.cf"] }, want: "/ha.cf:1: "},
		{name: "not a node", node: "node9", want: "Current node [node9] not in configuration!"},
		{name: "bad haresources", node: "node1", edit: func(f map[string]string) { f["haresources"] = "node1 a\nnode7 b\n" }, want: "/haresources:2: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := goodFiles()
			if tc.edit != nil {
				tc.edit(files)
			}
			code, stdout, stderr, _, _ := run(t, files, tc.node)
			if code != exitNotConfiged || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("hbd check: exit %d, stdout %q, stderr %q; want 6 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}
