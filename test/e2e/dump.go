package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DumpLogs logs the last lines of every director's ha-log, ldirectord.log
// and hbd.out (registered by the tests for failures).
func (p *Pair) DumpLogs(t testing.TB, lines int) {
	t.Helper()
	for _, d := range p.Directors {
		for _, f := range []string{"ha-log", "ldirectord.log", "hbd.out"} {
			b, err := os.ReadFile(filepath.Join(d.LogDir(), f))
			if err != nil {
				t.Logf("%s %s: %v", d.Name, f, err)
				continue
			}
			ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(ls) > lines {
				ls = ls[len(ls)-lines:]
			}
			t.Logf("%s /var/log/%s (last %d lines):\n%s", d.Name, f, len(ls), strings.Join(ls, "\n"))
		}
	}
}
