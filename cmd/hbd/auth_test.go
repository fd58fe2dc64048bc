package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

var fakeUsers = userLookup{
	user: func(name string) (uint32, error) {
		if name == "hacluster" {
			return 105, nil
		}
		return 0, errors.New("unknown user")
	},
	group: func(name string) (uint32, error) {
		switch name {
		case "haclient":
			return 110, nil
		case "ops":
			return 120, nil
		}
		return 0, errors.New("unknown group")
	},
}

func TestResolveAPIAccess(t *testing.T) {
	type result struct {
		UIDs, GIDs []uint32
		Group      int
		Desc       string
		Warnings   int
	}
	for _, tc := range []struct {
		name, hacf string
		want       result
	}{
		{"built-in", "", result{GIDs: []uint32{110}, Group: 110, Desc: "apiauth anon gid=haclient"}},
		{"anon entry", "apiauth anon uid=hacluster,7 gid=ops\n", result{UIDs: []uint32{7, 105}, GIDs: []uint32{120}, Group: 120, Desc: "apiauth anon uid=hacluster,7 gid=ops"}},
		{"other clients do not count", "apiauth ipfail gid=ops\n", result{GIDs: []uint32{110}, Group: 110, Desc: "apiauth anon gid=haclient"}},
		{"unknown group", "apiauth anon gid=nosuch,ops\n", result{GIDs: []uint32{120}, Group: 120, Desc: "apiauth anon gid=nosuch,ops", Warnings: 1}},
		{"no group at all", "apiauth anon uid=hacluster\n", result{UIDs: []uint32{105}, Group: -1, Desc: "apiauth anon uid=hacluster"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cf, _, err := hacf.ParseHaCf("ha.cf", []byte("node a b\nucast lo 127.0.0.2\n"+tc.hacf))
			if err != nil {
				t.Fatal(err)
			}
			acc, warnings := resolveAPIAccess(cf, fakeUsers)
			got := result{Group: acc.group, Desc: acc.desc, Warnings: len(warnings)}
			for id := range acc.uids {
				got.UIDs = append(got.UIDs, id)
			}
			for id := range acc.gids {
				got.GIDs = append(got.GIDs, id)
			}
			sortIDs(got.UIDs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nwarnings: %q", diff, warnings)
			}
		})
	}
}

func sortIDs(s []uint32) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestAuthorize(t *testing.T) {
	acc := apiAccess{uids: map[uint32]bool{105: true}, gids: map[uint32]bool{110: true}, group: 110, desc: "apiauth anon gid=haclient"}
	h := authorize(func(context.Context, daemon.Request) daemon.Response { return daemon.Response{OK: true} }, acc)
	for _, tc := range []struct {
		name string
		peer *daemon.Peer
		verb string
		ok   bool
		text string
	}{
		{"root standby", &daemon.Peer{UID: 0}, "standby", true, ""},
		{"member status (primary group)", &daemon.Peer{UID: 1000, GID: 110}, "status", true, ""},
		{"member status (supplementary group)", &daemon.Peer{UID: 1000, GID: 1000, Groups: []uint32{4, 110}}, "status", true, ""},
		{"listed uid status", &daemon.Peer{UID: 105, GID: 105}, "status", true, ""},
		{"member standby", &daemon.Peer{UID: 1000, GID: 110}, "standby", false, "standby: permission denied: root only (uid 1000)"},
		{"member takeover", &daemon.Peer{UID: 1000, GID: 110}, "takeover", false, "takeover: permission denied: root only (uid 1000)"},
		{"stranger status", &daemon.Peer{UID: 1001, GID: 1001}, "status", false, "status: permission denied: uid 1001 is not in apiauth anon gid=haclient"},
		{"no credentials", nil, "status", false, "status: permission denied: the caller's credentials could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() == 1000 || os.Geteuid() == 1001 {
				t.Skip("the test's own uid is allowed everything")
			}
			ctx := context.Background()
			if tc.peer != nil {
				ctx = daemon.WithPeer(ctx, *tc.peer)
			}
			r := h(ctx, daemon.Request{Verb: tc.verb})
			if r.OK != tc.ok || r.Text != tc.text || (!tc.ok && r.Exit != exitFail) {
				t.Errorf("%s: %+v, want ok=%v text %q exit 1 when denied", tc.verb, r, tc.ok, tc.text)
			}
		})
	}
}

// TestStatusWithoutRoot runs the built hbd as root with a fresh group in
// apiauth anon, creates two real unprivileged users (one in the group,
// one not), and runs hbd status, cl_status and hb_standby as each. The
// users and the group are removed at the end, also on failure.
func TestStatusWithoutRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (useradd, SO_BINDTODEVICE)")
	}
	for _, tool := range []string{"useradd", "userdel", "groupadd", "groupdel", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	suffix := fmt.Sprintf("%d", os.Getpid()%100000)
	group, member, stranger := "hbdtg"+suffix, "hbdtm"+suffix, "hbdts"+suffix
	mustRun := func(argv ...string) {
		t.Helper()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	mustRun("groupadd", group)
	t.Cleanup(func() { exec.Command("groupdel", group).Run() })
	mustRun("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G", group, member)
	t.Cleanup(func() { exec.Command("userdel", member).Run() })
	mustRun("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", stranger)
	t.Cleanup(func() { exec.Command("userdel", stranger).Run() })

	// Everything the users run must be reachable: 0755 directories.
	top, err := os.MkdirTemp("", "hbd-auth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	os.Chmod(top, 0o755)
	bin := filepath.Join(top, "hbd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building hbd: %v\n%s", err, out)
	}
	for _, alias := range []string{"cl_status", "hb_standby"} {
		os.Symlink(bin, filepath.Join(top, alias))
	}
	files := goodFiles()
	files["ha.cf"] = strings.ReplaceAll(files["ha.cf"], "31694", "31696") + "apiauth anon gid=" + group + "\n"
	files["haresources"] = "node1 dummy\n"
	files["resource.d/dummy"] = "#!/bin/sh\nexit 0\n"
	dir := confDir(t, files, 0)
	os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
	rundir := filepath.Join(top, "run")
	os.Mkdir(rundir, 0o755)
	cmd := exec.Command(bin, "--confdir", dir, "--rundir", rundir, "--statedir", t.TempDir(), "--node", "node1", "run")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	sock := filepath.Join(rundir, "hbd.sock")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if st, err := os.Stat(sock); err == nil && st.Mode().Perm() == 0o660 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no control socket with mode 0660 after 15 s\nstderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	as := func(user string, argv ...string) (int, string) {
		c := exec.Command("setpriv", append([]string{"--reuid=" + user, "--regid=" + user, "--init-groups", "--"}, argv...)...)
		out, _ := c.CombinedOutput()
		return c.ProcessState.ExitCode(), string(out)
	}
	for _, tc := range []struct {
		user string
		argv []string
		code int
		want string
	}{
		{member, []string{filepath.Join(top, "cl_status"), "--rundir", rundir, "hbstatus"}, 0, "Heartbeat is running on this machine."},
		{member, []string{filepath.Join(top, "cl_status"), "--rundir", rundir, "listnodes"}, 0, "node1\nnode2\n"},
		{member, []string{bin, "--rundir", rundir, "status"}, 0, "is running on"},
		{member, []string{filepath.Join(top, "hb_standby"), "--rundir", rundir, "all"}, 1, "standby: permission denied: root only (uid "},
		{member, []string{bin, "--rundir", rundir, "takeover"}, 1, "takeover: permission denied: root only (uid "},
		// Heartbeat's line for a failed signon, and why on stderr.
		{stranger, []string{filepath.Join(top, "cl_status"), "--rundir", rundir, "hbstatus"}, 1, "connect: permission denied"},
		{stranger, []string{filepath.Join(top, "cl_status"), "--rundir", rundir, "listnodes"}, 1, "connect: permission denied"},
		// The pid file says hbd runs (exit 0, as the init script's status);
		// the details are refused.
		{stranger, []string{bin, "--rundir", rundir, "status"}, 0, "(no details: calling " + sock + ": dial unix " + sock + ": connect: permission denied)"},
	} {
		code, out := as(tc.user, tc.argv...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("as %s: %s: exit %d, %q; want exit %d and %q", tc.user, strings.Join(tc.argv[1:], " "), code, out, tc.code, tc.want)
		}
	}
}
