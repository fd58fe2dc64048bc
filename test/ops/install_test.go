package ops

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is one path of an installed tree: its type and permissions, and a
// symlink's target.
type entry struct {
	Path string
	Mode string // fs.FileMode.String(): "drwxr-xr-x", "-rw-------", "L..."
	Link string
}

// tree lists every path below root.
func tree(t *testing.T, root string) []entry {
	t.Helper()
	var out []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := entry{Path: rel, Mode: fi.Mode().String()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			e.Mode = "L"
			e.Link, err = os.Readlink(p)
		}
		out = append(out, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

const (
	dirMode  = "drwxr-xr-x"
	execMode = "-rwxr-xr-x"
	fileMode = "-rw-r--r--"
	keyMode  = "-rw-------"
)

// installedTree is what `make install` into an empty DESTDIR leaves, with
// sbin the SBINDIR the links point at and prefix the PREFIX below DESTDIR.
func installedTree(prefix, sbin string) []entry {
	p := strings.TrimPrefix(prefix, "/")
	want := []entry{
		{Path: "etc", Mode: dirMode}, {Path: "etc/default", Mode: dirMode},
		{Path: "etc/default/hbd", Mode: fileMode}, {Path: "etc/default/ldirectord", Mode: fileMode},
		{Path: "etc/ha.d", Mode: dirMode}, {Path: "etc/ha.d/authkeys", Mode: keyMode},
		{Path: "etc/ha.d/ha.cf", Mode: fileMode}, {Path: "etc/ha.d/haresources", Mode: fileMode},
		{Path: "etc/ha.d/ldirectord.cf", Mode: fileMode}, {Path: "etc/ha.d/resource.d", Mode: dirMode},
		{Path: "etc/ha.d/resource.d/ldirectord", Mode: "L", Link: sbin + "/ldirectord"},
		{Path: "etc/init.d", Mode: dirMode},
		{Path: "etc/init.d/hbd", Mode: execMode}, {Path: "etc/init.d/ldirectord", Mode: execMode},
		{Path: "etc/logrotate.d", Mode: dirMode},
		{Path: "etc/logrotate.d/heartbeat", Mode: fileMode}, {Path: "etc/logrotate.d/ldirectord", Mode: fileMode},
		{Path: "lib", Mode: dirMode}, {Path: "lib/systemd", Mode: dirMode}, {Path: "lib/systemd/system", Mode: dirMode},
		{Path: "lib/systemd/system/hbd.service", Mode: fileMode},
		{Path: "lib/systemd/system/ldirectord.service", Mode: fileMode},
		{Path: "lib/systemd/system/ldirectord@.service", Mode: fileMode},
		{Path: "var", Mode: dirMode}, {Path: "var/lib", Mode: dirMode}, {Path: "var/lib/hbd", Mode: dirMode},
		{Path: p + "/bin", Mode: dirMode}, {Path: p + "/bin/cl_status", Mode: "L", Link: sbin + "/hbd"},
		{Path: p + "/sbin", Mode: dirMode},
		{Path: p + "/sbin/hbd", Mode: execMode}, {Path: p + "/sbin/ldirectord", Mode: execMode},
		{Path: p + "/share", Mode: dirMode}, {Path: p + "/share/doc", Mode: dirMode},
		{Path: p + "/share/doc/ultramonkey", Mode: dirMode},
		{Path: p + "/share/doc/ultramonkey/README.md", Mode: fileMode},
		{Path: p + "/share/doc/ultramonkey/examples", Mode: dirMode},
		{Path: p + "/share/heartbeat", Mode: dirMode},
		{Path: p + "/share/heartbeat/hb_standby", Mode: "L", Link: sbin + "/hbd"},
		{Path: p + "/share/heartbeat/hb_takeover", Mode: "L", Link: sbin + "/hbd"},
	}
	for _, f := range []string{"authkeys", "default.hbd", "default.ldirectord", "ha.cf", "haresources", "ldirectord.cf"} {
		want = append(want, entry{Path: p + "/share/doc/ultramonkey/examples/" + f, Mode: fileMode})
	}
	want = append(want, entry{Path: p + "/share/man", Mode: dirMode})
	for _, sec := range []string{"1", "5", "8"} {
		want = append(want, entry{Path: p + "/share/man/man" + sec, Mode: dirMode})
	}
	for _, page := range manPages {
		want = append(want, entry{Path: p + "/share/man/man" + page[len(page)-1:] + "/" + page, Mode: fileMode})
	}
	// The prefix and its parents: usr, or opt/um and opt.
	for d := p; d != "."; d = filepath.Dir(d) {
		want = append(want, entry{Path: d, Mode: dirMode})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Path < want[j].Path })
	return want
}

func makeTarget(t *testing.T, target, destdir string, vars ...string) result {
	t.Helper()
	argv := append([]string{"make", "--no-print-directory", "-C", repoRoot, target, "DESTDIR=" + destdir, "INSTALL_FROM=" + binDir}, vars...)
	r := runCmd(t, repoRoot, goEnv(t), argv...)
	if r.code != 0 {
		t.Fatalf("make %s: %s", target, r)
	}
	return r
}

// sameFile asserts that got has want's bytes.
func sameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s", got, want)
	}
}

var authkeyLine = regexp.MustCompile(`(?m)^2 sha1 [0-9a-f]{40}$`)

func TestInstallFresh(t *testing.T) {
	dest := t.TempDir()
	out := makeTarget(t, "install", dest)
	for _, s := range []string{"do NOT enable ldirectord", "Nothing was enabled or started", "sample  /etc/ha.d/authkeys"} {
		if !strings.Contains(out.stdout, s) {
			t.Errorf("install output lacks %q\n%s", s, out.stdout)
		}
	}
	want := installedTree("/usr", "/usr/sbin")
	if diff := cmp.Diff(want, tree(t, dest)); diff != "" {
		t.Fatalf("installed tree (-want +got):\n%s", diff)
	}
	checkContents(t, dest)
	key1 := readKey(t, dest)

	out = makeTarget(t, "install", dest)
	for _, f := range []string{"/etc/ha.d/ha.cf", "/etc/ha.d/haresources", "/etc/ha.d/ldirectord.cf", "/etc/ha.d/authkeys", "/etc/default/hbd", "/etc/default/ldirectord", "/etc/logrotate.d/heartbeat", "/etc/logrotate.d/ldirectord"} {
		if !strings.Contains(out.stdout, "kept    "+f) {
			t.Errorf("second install does not report keeping %s\n%s", f, out.stdout)
		}
	}
	if diff := cmp.Diff(want, tree(t, dest)); diff != "" {
		t.Errorf("tree after the second install (-want +got):\n%s", diff)
	}
	if key2 := readKey(t, dest); key2 != key1 {
		t.Errorf("second install replaced the authkeys key")
	}

	makeTarget(t, "uninstall", dest)
	left := []entry{
		{Path: "etc", Mode: dirMode}, {Path: "etc/default", Mode: dirMode},
		{Path: "etc/default/hbd", Mode: fileMode}, {Path: "etc/default/ldirectord", Mode: fileMode},
		{Path: "etc/ha.d", Mode: dirMode}, {Path: "etc/ha.d/authkeys", Mode: keyMode},
		{Path: "etc/ha.d/ha.cf", Mode: fileMode}, {Path: "etc/ha.d/haresources", Mode: fileMode},
		{Path: "etc/ha.d/ldirectord.cf", Mode: fileMode}, {Path: "etc/ha.d/resource.d", Mode: dirMode},
		{Path: "etc/init.d", Mode: dirMode},
		{Path: "etc/logrotate.d", Mode: dirMode},
		{Path: "etc/logrotate.d/heartbeat", Mode: fileMode}, {Path: "etc/logrotate.d/ldirectord", Mode: fileMode},
		{Path: "lib", Mode: dirMode}, {Path: "lib/systemd", Mode: dirMode},
		{Path: "lib/systemd/system", Mode: dirMode},
		{Path: "usr", Mode: dirMode}, {Path: "usr/bin", Mode: dirMode}, {Path: "usr/sbin", Mode: dirMode},
		{Path: "usr/share", Mode: dirMode}, {Path: "usr/share/doc", Mode: dirMode},
		{Path: "usr/share/man", Mode: dirMode}, {Path: "usr/share/man/man1", Mode: dirMode},
		{Path: "usr/share/man/man5", Mode: dirMode}, {Path: "usr/share/man/man8", Mode: dirMode},
		{Path: "var", Mode: dirMode}, {Path: "var/lib", Mode: dirMode},
	}
	if diff := cmp.Diff(left, tree(t, dest)); diff != "" {
		t.Errorf("tree after uninstall (-want +got):\n%s", diff)
	}
}

// checkContents compares the installed files with their sources.
func checkContents(t *testing.T, dest string) {
	t.Helper()
	src := func(p string) string { return filepath.Join(repoRoot, p) }
	pairs := map[string]string{
		"usr/sbin/hbd":                           filepath.Join(binDir, "hbd"),
		"usr/sbin/ldirectord":                    filepath.Join(binDir, "ldirectord"),
		"etc/init.d/hbd":                         src("etc/init.d/hbd"),
		"etc/init.d/ldirectord":                  src("etc/init.d/ldirectord"),
		"lib/systemd/system/hbd.service":         src("etc/systemd/hbd.service"),
		"lib/systemd/system/ldirectord.service":  src("etc/systemd/ldirectord.service"),
		"lib/systemd/system/ldirectord@.service": src("etc/systemd/ldirectord@.service"),
		"etc/ha.d/ha.cf":                         src("etc/ha.d/ha.cf"),
		"etc/ha.d/haresources":                   src("etc/ha.d/haresources"),
		"etc/ha.d/ldirectord.cf":                 src("etc/ha.d/ldirectord.cf"),
		"etc/default/hbd":                        src("etc/default/hbd"),
		"etc/default/ldirectord":                 src("etc/default/ldirectord"),
		"etc/logrotate.d/heartbeat":              src("etc/logrotate.d/heartbeat"),
		"etc/logrotate.d/ldirectord":             src("etc/logrotate.d/ldirectord"),
		"usr/share/doc/ultramonkey/README.md":    src("README.md"),
	}
	for _, f := range []string{"authkeys", "ha.cf", "haresources", "ldirectord.cf"} {
		pairs["usr/share/doc/ultramonkey/examples/"+f] = src("etc/ha.d/" + f)
	}
	pairs["usr/share/doc/ultramonkey/examples/default.hbd"] = src("etc/default/hbd")
	pairs["usr/share/doc/ultramonkey/examples/default.ldirectord"] = src("etc/default/ldirectord")
	for got, want := range pairs {
		sameFile(t, filepath.Join(dest, got), want)
	}
	for _, l := range []string{"usr/bin/cl_status", "usr/share/heartbeat/hb_standby", "etc/ha.d/resource.d/ldirectord"} {
		target, err := os.Readlink(filepath.Join(dest, l))
		if err != nil {
			t.Fatal(err)
		}
		if !exists(filepath.Join(dest, target)) {
			t.Errorf("%s -> %s: no such file in DESTDIR", l, target)
		}
	}
}

// readKey returns the installed authkeys' key line, which must be a fresh
// sha1 key, not the sample's.
func readKey(t *testing.T, dest string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dest, "etc/ha.d/authkeys"))
	if err != nil {
		t.Fatal(err)
	}
	key := authkeyLine.FindString(string(b))
	if key == "" || strings.Contains(string(b), "PASSWORD") {
		t.Fatalf("installed authkeys has no fresh sha1 key:\n%s", b)
	}
	return key
}

// TestInstallKeepsExisting installs over an /etc that already has an
// Ultra Monkey configuration: nothing of it changes, not even modes, and
// uninstall leaves it and hbd's state alone.
func TestInstallKeepsExisting(t *testing.T) {
	dest := t.TempDir()
	mine := map[string]struct {
		text string
		mode os.FileMode
	}{
		"etc/ha.d/ha.cf":                 {"# my cluster\nnode a\nnode b\n", 0o640},
		"etc/ha.d/authkeys":              {"auth 1\n1 crc\n", 0o600},
		"etc/ha.d/haresources":           {"a IPaddr::192.0.2.10\n", 0o644},
		"etc/ha.d/ldirectord.cf":         {"# mine\n", 0o600},
		"etc/ha.d/resource.d/ldirectord": {"#!/bin/sh\n# my own wrapper\n", 0o755},
		"etc/default/hbd":                {"HBD_OPTS=\"--node a\"\n", 0o644},
		"etc/default/ldirectord":         {"CONFIG_FILE=/etc/ha.d/web.cf\n", 0o644},
		"etc/logrotate.d/heartbeat":      {"/var/log/ha-log {\n}\n", 0o644},
		"var/lib/hbd/generation":         {"42\n", 0o644},
	}
	for p, f := range mine {
		writeFile(t, filepath.Join(dest, p), f.text, f.mode)
	}
	check := func(stage string) {
		t.Helper()
		for p, f := range mine {
			b, err := os.ReadFile(filepath.Join(dest, p))
			if err != nil {
				t.Errorf("%s: %v", stage, err)
				continue
			}
			fi, _ := os.Lstat(filepath.Join(dest, p))
			got := struct {
				Text string
				Mode os.FileMode
			}{string(b), fi.Mode()}
			if diff := cmp.Diff(struct {
				Text string
				Mode os.FileMode
			}{f.text, f.mode}, got); diff != "" {
				t.Errorf("%s: %s changed (-want +got):\n%s", stage, p, diff)
			}
		}
	}
	makeTarget(t, "install", dest)
	check("install")
	makeTarget(t, "install", dest)
	check("second install")
	makeTarget(t, "uninstall", dest)
	check("uninstall")
	for _, p := range []string{"usr/sbin/hbd", "usr/bin/cl_status", "etc/init.d/hbd", "lib/systemd/system/hbd.service", "usr/share/doc/ultramonkey"} {
		if exists(filepath.Join(dest, p)) {
			t.Errorf("uninstall left %s", p)
		}
	}
}

// TestInstallPrefix installs below another PREFIX: the binaries, links,
// scripts and units name it; /etc and the unit directory stay.
func TestInstallPrefix(t *testing.T) {
	dest := t.TempDir()
	makeTarget(t, "install", dest, "PREFIX=/opt/um")
	if diff := cmp.Diff(installedTree("/opt/um", "/opt/um/sbin"), tree(t, dest)); diff != "" {
		t.Fatalf("installed tree (-want +got):\n%s", diff)
	}
	for _, fl := range [][2]string{
		{"etc/init.d/hbd", "DAEMON=/opt/um/sbin/hbd"},
		{"etc/init.d/ldirectord", "DAEMON=/opt/um/sbin/ldirectord"},
		{"lib/systemd/system/hbd.service", "ExecStart=/opt/um/sbin/hbd $HBD_OPTS run"},
		{"lib/systemd/system/hbd.service", "ExecReload=/opt/um/sbin/hbd $HBD_OPTS check"},
		{"lib/systemd/system/ldirectord.service", "ExecStart=/opt/um/sbin/ldirectord --foreground $CONFIG_FILE start"},
	} {
		file, line := fl[0], fl[1]
		b, err := os.ReadFile(filepath.Join(dest, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "\n"+line+"\n") {
			t.Errorf("%s lacks the line %q", file, line)
		}
		if strings.Contains(string(b), "/usr/sbin/") {
			t.Errorf("%s still names /usr/sbin", file)
		}
	}
	makeTarget(t, "uninstall", dest, "PREFIX=/opt/um")
	for _, p := range []string{"opt/um/sbin/hbd", "opt/um/bin/cl_status", "opt/um/share/heartbeat"} {
		if exists(filepath.Join(dest, p)) {
			t.Errorf("uninstall left %s", p)
		}
	}
}
