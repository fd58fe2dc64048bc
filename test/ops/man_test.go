package ops

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// manPages are the pages issue 13 asks for; make install and the packages
// install each one (installedTree, the package tests).
var manPages = []string{
	"cl_status.1", "hb_standby.1", "hb_takeover.1",
	"authkeys.5", "ha.cf.5", "haresources.5", "ldirectord.cf.5",
	"hbd.8", "ldirectord.8",
}

// TestManPages renders docs/man through make (go-md2man), then holds every
// page to mandoc's lint (warnings and style hints included: the output must
// be empty) and to the promise that each page says what differs from
// Heartbeat 3.0.6 or ldirectord 4.12.
func TestManPages(t *testing.T) {
	out := t.TempDir()
	makeTarget(t, "man", "", "MAN_FROM="+out)
	src, err := filepath.Glob(filepath.Join(repoRoot, "docs/man/*.md"))
	if err != nil || len(src) != len(manPages) {
		t.Fatalf("docs/man has %d pages, want %d (%v): %v", len(src), len(manPages), manPages, err)
	}
	var paths []string
	for _, page := range manPages {
		p := filepath.Join(out, page)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("make man did not render %s: %v", page, err)
		}
		name := strings.ToUpper(strings.TrimSuffix(page, filepath.Ext(page)))
		if th := ".TH " + name + " " + page[len(page)-1:] + " "; !strings.Contains(string(b), "\n"+th) {
			t.Errorf("%s: no title line %q:\n%.120s", page, th, b)
		}
		if !strings.Contains(string(b), ".SH DIFFERENCES FROM ") {
			t.Errorf("%s: no DIFFERENCES FROM section", page)
		}
		paths = append(paths, p)
	}
	mandoc, err := exec.LookPath("mandoc")
	if err != nil {
		t.Skip("mandoc not installed (apt-get install mandoc; .ci/run does): lint not run")
	}
	r := runCmd(t, out, nil, append([]string{mandoc, "-T", "lint", "-W", "all"}, paths...)...)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("mandoc -T lint: %s", r)
	}
}
