package pkg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cmdTimeout bounds every command (make packages builds two binaries).
const cmdTimeout = 5 * time.Minute

// run runs argv in dir with env added to the test's environment.
func run(t *testing.T, dir string, env []string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var xe *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &xe) && ctx.Err() == nil:
		r.code = xe.ExitCode()
	default:
		t.Fatalf("running %s: %v\n%s", strings.Join(argv, " "), err, r)
	}
	return r
}

// need skips the test unless every tool is installed.
func need(t *testing.T, root bool, tools ...string) {
	t.Helper()
	if root && os.Geteuid() != 0 {
		t.Skip("needs root (mount namespaces, dpkg)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (.ci/run installs it): %v", tool, err)
		}
	}
}

var (
	buildOnce sync.Once
	built     struct {
		dist, deb, rpm string
		err            error
	}
	repoRoot, _ = filepath.Abs("../..")
)

// TestMain removes the packages built for the tests once they are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dist != "" {
		os.RemoveAll(built.dist)
	}
	os.Exit(code)
}

// packages builds the .deb and .rpm once for every test of the package.
func packages(t *testing.T) (deb, rpm string) {
	t.Helper()
	buildOnce.Do(func() {
		dist, err := os.MkdirTemp("", "ops-pkg-dist-")
		if err != nil {
			built.err = err
			return
		}
		built.dist = dist // every test of the package reads it; TestMain removes it
		r := run(t, repoRoot, nil, "make", "--no-print-directory", "packages", "DIST="+dist)
		if r.code != 0 {
			built.err = fmt.Errorf("make packages: %s", r)
			return
		}
		debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
		rpms, _ := filepath.Glob(filepath.Join(dist, "*.rpm"))
		if len(debs) != 1 || len(rpms) != 1 {
			built.err = fmt.Errorf("make packages wrote %v and %v, want one .deb and one .rpm", debs, rpms)
			return
		}
		built.deb, built.rpm = debs[0], rpms[0]
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.deb, built.rpm
}

// TestDebLintian: lintian reports no error on the .deb.
func TestDebLintian(t *testing.T) {
	need(t, false, "lintian", "dpkg-deb")
	t.Parallel()
	deb, _ := packages(t)
	r := run(t, "", nil, "lintian", "--tag-display-limit", "0", deb)
	var errs, warns []string
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "E: "):
			errs = append(errs, l)
		case strings.HasPrefix(l, "W: "):
			warns = append(warns, l)
		}
	}
	t.Logf("lintian: %d errors, %d warnings:\n%s", len(errs), len(warns), strings.Join(warns, "\n"))
	if len(errs) != 0 || (r.code != 0 && r.code != 2) {
		t.Errorf("lintian errors:\n%s\n%s", strings.Join(errs, "\n"), r)
	}
}

// TestRPMMetadata: the .rpm's header, relations, file list and config
// files; rpmlint reports no error.
func TestRPMMetadata(t *testing.T) {
	need(t, false, "rpm", "rpmlint")
	t.Parallel()
	_, rpm := packages(t)
	info := run(t, "", nil, "rpm", "-qpil", rpm)
	if info.code != 0 {
		t.Fatalf("rpm -qpil: %s", info)
	}
	for _, want := range []string{
		"Name        : ultramonkey", "Architecture: x86_64", "Release     : 1",
		"/usr/sbin/hbd\n", "/usr/sbin/ldirectord\n", "/usr/bin/cl_status\n",
		"/usr/share/heartbeat/hb_standby\n", "/usr/share/heartbeat/hb_takeover\n",
		"/etc/init.d/hbd\n", "/lib/systemd/system/hbd.service\n", "/lib/systemd/system/ldirectord@.service\n",
		"/etc/logrotate.d/heartbeat\n", "/etc/logrotate.d/ldirectord\n",
		"/usr/share/man/man8/hbd.8.gz\n", "/usr/share/man/man5/ha.cf.5.gz\n", "/usr/share/man/man1/cl_status.1.gz\n",
		"/usr/share/doc/ultramonkey/copyright\n",
	} {
		if !strings.Contains(info.stdout, want) {
			t.Errorf("rpm -qpil lacks %q", want)
		}
	}
	if strings.Contains(info.stdout, "/etc/ha.d/authkeys\n") {
		t.Errorf("the rpm ships an authkeys: a shared key for every cluster")
	}
	rel := run(t, "", nil, "rpm", "-qp", "--conflicts", "--provides", rpm)
	for _, want := range []string{"heartbeat\n", "ldirectord\n"} {
		if strings.Count(rel.stdout, want) < 2 && want == "ldirectord\n" || !strings.Contains(rel.stdout, want) {
			t.Errorf("rpm --conflicts --provides lacks %q:\n%s", want, rel.stdout)
		}
	}
	conf := run(t, "", nil, "rpm", "-qpc", rpm)
	wantConf := "/etc/default/hbd\n/etc/default/ldirectord\n/etc/ha.d/ha.cf\n/etc/ha.d/haresources\n/etc/ha.d/ldirectord.cf\n/etc/logrotate.d/heartbeat\n/etc/logrotate.d/ldirectord\n"
	if conf.stdout != wantConf {
		t.Errorf("rpm -qpc:\n%s\nwant:\n%s", conf.stdout, wantConf)
	}
	lint := run(t, "", nil, "rpmlint", "-r", filepath.Join(repoRoot, "packaging/rpmlintrc"), rpm)
	if !regexp.MustCompile(`\b0 errors\b`).MatchString(lint.stdout) {
		t.Errorf("rpmlint: %s", lint)
	}
	t.Logf("rpmlint: %s", lastLine(lint.stdout))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// ns runs script with sh inside a private mount namespace whose /etc, /usr
// and /var are overlays kept in state (overlay.sh).
func ns(t *testing.T, state, script string) result {
	t.Helper()
	return run(t, "", []string{"DEBIAN_FRONTEND=noninteractive"},
		"unshare", "--mount", "--propagation", "private", "--",
		filepath.Join(repoRoot, "test/pkg/overlay.sh"), state, "sh", "-c", script)
}

// nsOK is ns that fails the test unless script exits 0.
func nsOK(t *testing.T, state, step, script string) string {
	t.Helper()
	r := ns(t, state, script)
	if r.code != 0 {
		t.Fatalf("%s: %s", step, r)
	}
	return r.stdout
}

// systemctlStandIn logs its arguments: this machine runs no systemd, and
// what matters is what the maintainer scripts ask of it. /run is a fresh
// tmpfs in every ns call, so each script first makes /run/systemd/system.
const systemctlStandIn = `#!/bin/sh
echo "$*" >> /var/log/ops-systemctl.log
`

const withSystemd = "mkdir -p /run/systemd/system; "

// snapshotScript lists every path of /etc, /usr and /var but those Debian
// policy lets a purged package leave or change: dpkg's own database and
// logs, the group files (the haclient group stays), man-db's cache, and
// the systemctl stand-in with its log.
const snapshotScript = `find /etc /usr /var -xdev \
	-path /var/lib/dpkg -prune -o -path /var/cache/man -prune -o \
	-path /var/log/dpkg.log -prune -o -path /var/log/ops-systemctl.log -prune -o \
	-path /usr/local/sbin/systemctl -prune -o \
	-path '/etc/group*' -prune -o -path '/etc/gshadow*' -prune -o -print | sort`

// TestDebLifecycle installs, upgrades and purges the .deb with dpkg in an
// overlay namespace.
func TestDebLifecycle(t *testing.T) {
	need(t, true, "dpkg", "unshare", "dpkg-deb", "logrotate")
	t.Parallel()
	deb, _ := packages(t)
	state := t.TempDir()
	standIn := filepath.Join(state, "systemctl")
	if err := os.WriteFile(standIn, []byte(systemctlStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	// A clean start: Debian's heartbeat purged (the interop lab installs it
	// on this machine; the takeover is TestDebReplacesHeartbeat's).
	// No log files of an earlier ldirectord or Heartbeat either: the purge
	// removes those of the default paths. man-db's trigger is switched off
	// (its file /var/lib/man-db/auto-update): it rebuilds the whole cache,
	// seconds per dpkg call, and its cache is not the package's.
	nsOK(t, state, "setup", "rm -f /var/lib/man-db/auto-update; "+
		"if dpkg-query -W -f '${Status}' heartbeat 2>/dev/null | grep -q installed; then dpkg --purge heartbeat >/dev/null; fi; "+
		"rm -f /var/log/ldirectord.log* /var/log/ha-log* /var/log/ha-debug*; "+
		"cp "+standIn+" /usr/local/sbin/systemctl")
	before := nsOK(t, state, "snapshot", snapshotScript)

	// A migrating node's own haresources, owned by no package.
	mine := "# my cluster\ntest1.com IPaddr::192.0.2.10\n"
	nsOK(t, state, "seed", "mkdir -p /etc/ha.d && printf '"+mine+"' > /etc/ha.d/haresources")

	out := nsOK(t, state, "dpkg -i", withSystemd+"dpkg -i "+deb)
	for _, want := range []string{"ultramonkey: kept your /etc/ha.d/haresources", "nothing was enabled, started or restarted"} {
		if !strings.Contains(out, want) {
			t.Errorf("dpkg -i output lacks %q:\n%s", want, out)
		}
	}
	checkInstalled(t, state, mine)

	// Removal while hbd runs is refused (a stand-in process owns the pid file).
	r := ns(t, state, `mkdir -p /run/hbd; sleep 30 & echo $! > /run/hbd/hbd.pid; dpkg -r ultramonkey; rc=$?; kill %1; exit $rc`)
	if r.code == 0 || !strings.Contains(r.stderr, "not removed: still running: hbd (pid") {
		t.Errorf("dpkg -r with hbd running: want a refusal naming hbd:\n%s", r)
	}
	if st := nsOK(t, state, "status", "dpkg-query -W -f '${Status}' ultramonkey"); !strings.HasSuffix(st, " ok installed") {
		t.Errorf("after the refused removal: %q, want ... ok installed", st)
	}

	// An upgrade (the same version again) keeps the configuration, prompts
	// for nothing and only reloads systemd.
	nsOK(t, state, "reinstall", withSystemd+"dpkg -i "+deb+" </dev/null")
	checkInstalled(t, state, mine)
	log := nsOK(t, state, "systemctl log", "cat /var/log/ops-systemctl.log")
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		if l != "--system daemon-reload" {
			t.Errorf("a maintainer script ran systemctl %s (only daemon-reload is allowed)", l)
		}
	}
	if !strings.Contains(log, "daemon-reload") {
		t.Errorf("no maintainer script ran systemctl daemon-reload")
	}

	nsOK(t, state, "dpkg --purge", withSystemd+"dpkg --purge ultramonkey")
	after := nsOK(t, state, "snapshot", snapshotScript)
	if added, removed := diffLines(before, after); len(added)+len(removed) != 0 {
		t.Errorf("after the purge, left: %v; missing: %v", added, removed)
	}
	if st := ns(t, state, "dpkg-query -W -f '${Status}' ultramonkey"); strings.Contains(st.stdout, "installed") {
		t.Errorf("after purge: %q", st.stdout)
	}
}

// checkInstalled runs the installed daemons and checks the files.
func checkInstalled(t *testing.T, state, mine string) {
	t.Helper()
	out := nsOK(t, state, "installed", `set -e
/usr/sbin/hbd --version
/usr/sbin/ldirectord --version
/usr/sbin/ldirectord /etc/ha.d/ldirectord.cf check
/usr/sbin/hbd --node test1.com check
/usr/bin/cl_status hbstatus || echo "cl_status exit $?"
readlink /usr/share/heartbeat/hb_standby /etc/ha.d/resource.d/ldirectord
stat -c '%a %U' /etc/ha.d/authkeys
cat /etc/ha.d/authkeys
getent group haclient >/dev/null && echo haclient
test -f /usr/share/man/man8/hbd.8.gz && echo man
dpkg-query -W -f '${Conffiles}\n' ultramonkey
logrotate -d -s /tmp/ops-logrotate.state /etc/logrotate.d/heartbeat /etc/logrotate.d/ldirectord 2>&1 | grep -ci error || true
echo ---
cat /etc/ha.d/haresources`)
	for _, want := range []string{
		"hbd ", "module github.com/ultramonkey/ultramonkey", "Linux Director v1.186-ha", "\nldirectord ",
		"TCP  10.1.1.10:80 wrr", "configuration OK: local node test1.com, peer test2.com",
		"Heartbeat is stopped on this machine.\ncl_status exit 1",
		"../../sbin/hbd\n/usr/sbin/ldirectord\n", "600 root\n", "haclient\n", "man\n",
		" /etc/ha.d/haresources ", " /etc/default/hbd ", " /etc/init.d/hbd ", " /etc/logrotate.d/heartbeat ",
		"\n0\n---\n" + mine,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("installed: output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^auth 2\n2 sha1 [0-9a-f]{40}$`).MatchString(out) {
		t.Errorf("authkeys has no fresh sha1 key:\n%s", out)
	}
}

// diffLines returns the lines only in b and only in a.
func diffLines(a, b string) (added, removed []string) {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			if l != "" {
				m[l] = true
			}
		}
		return m
	}
	sa, sb := set(a), set(b)
	for l := range sb {
		if !sa[l] {
			added = append(added, l)
		}
	}
	for l := range sa {
		if !sb[l] {
			removed = append(removed, l)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}

// TestDebReplacesHeartbeat: with Debian's heartbeat installed, dpkg -i
// removes it in favour of the package and takes its logrotate file over.
func TestDebReplacesHeartbeat(t *testing.T) {
	need(t, true, "dpkg", "unshare", "dpkg-deb")
	if r := run(t, "", nil, "dpkg-query", "-W", "-f", "${Status}", "heartbeat"); r.stdout != "install ok installed" {
		t.Skip("Debian's heartbeat is not installed on this machine (.ci/run installs it)")
	}
	deb, _ := packages(t)
	state := t.TempDir()
	out := nsOK(t, state, "dpkg -i", "rm -f /var/lib/man-db/auto-update; dpkg -i "+deb+" 2>&1; dpkg-query -W -f '${Status}\\n' heartbeat ultramonkey; dpkg-query -S /etc/logrotate.d/heartbeat /usr/bin/cl_status")
	for _, want := range []string{
		"will remove heartbeat in favour of ultramonkey", " ok config-files\ninstall ok installed\n",
		"ultramonkey: /etc/logrotate.d/heartbeat\n", "ultramonkey: /usr/bin/cl_status\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dpkg -i over heartbeat: output lacks %q:\n%s", want, out)
		}
	}
}

// TestRPMInstallErase installs the .rpm with this machine's rpm (Debian's
// rpm package, with its database put under /var/lib/rpm, inside the
// overlay: Debian's rpm defaults to ~/.rpmdb, on the host, where a failed
// run left the package "already installed" for every later one; --nodeps, as the
// Debian host provides no RPM capabilities) in an overlay namespace, runs
// the daemons from the installed paths, and erases it: the scriptlets run
// with RPM's arguments (1 on install, 0 on erase), a config file already
// on disk is kept (.rpmnew), and the erase removes the binaries.
func TestRPMInstallErase(t *testing.T) {
	need(t, true, "rpm", "unshare")
	t.Parallel()
	_, rpm := packages(t)
	state := t.TempDir()
	out := nsOK(t, state, "rpm -i", `set -e
mkdir -p /etc/ha.d /var/lib/rpm && printf '# mine\n' > /etc/ha.d/haresources
rpm() { command rpm --dbpath /var/lib/rpm "$@"; }
rpm --initdb
rpm -i --nodeps `+rpm+` 2>&1
rpm -q --qf '%{NAME}\n' ultramonkey
stat -c '%a %U' /etc/ha.d/authkeys
/usr/sbin/hbd --version | head -1
/usr/sbin/ldirectord /etc/ha.d/ldirectord.cf check | grep -c '^TCP'
cat /etc/ha.d/haresources
ls /etc/ha.d/haresources.rpmnew
rpm -e ultramonkey 2>&1
test ! -e /usr/sbin/hbd && test ! -e /usr/bin/cl_status && echo erased`)
	for _, want := range []string{
		"ultramonkey: wrote /etc/ha.d/authkeys", "nothing was enabled, started or restarted", "\nultramonkey\n600 root\nhbd ",
		"\n1\n# mine\n/etc/ha.d/haresources.rpmnew\n", "erased\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rpm install and erase: output lacks %q:\n%s", want, out)
		}
	}
}
