package main

import (
	"os"
	"strings"
	"testing"
)

// TestCheckVerb: hbd check validates like start, prints a summary, and
// creates nothing (no pid file, no socket, no state).
func TestCheckVerb(t *testing.T) {
	run := func(t *testing.T, files map[string]string, node string) (int, string, string, string, string) {
		t.Helper()
		dir := confDir(t, files, 0)
		rundir, statedir := t.TempDir(), t.TempDir()
		code, stdout, stderr := runCLI(t, "hbd", "--confdir", dir, "--rundir", rundir, "--statedir", statedir, "--node", node, "check")
		return code, stdout, stderr, rundir, statedir
	}
	t.Run("valid", func(t *testing.T) {
		code, stdout, stderr, rundir, statedir := run(t, goodFiles(), "node1")
		want := "configuration OK: local node node1, peer node2, 1 ucast, 0 bcast, 0 mcast line(s), 1 resource group(s)\n"
		// goodHaCf's short initdead draws Heartbeat's warning, with its line.
		warn := "/ha.cf:4: initdead: initial dead time 500ms may be too small!"
		if code != exitOK || !strings.HasSuffix(stdout, want) || !strings.HasPrefix(stderr, "hbd: warning: ") || !strings.Contains(stderr, warn) {
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
