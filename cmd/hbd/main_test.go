package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/buildinfo"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

const goodHaCf = "keepalive 100ms\ndeadtime 500ms\nwarntime 300ms\ninitdead 500ms\nudpport %PORT%\nucast lo 127.0.0.2\nauto_failback on\nnode node1 node2\n"

// confDir writes a configuration directory; files maps name to content,
// authkeys gets mode 0600 unless keyMode is set.
func confDir(t *testing.T, files map[string]string, keyMode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "authkeys" {
			mode = 0o600
			if keyMode != 0 {
				mode = keyMode
			}
		}
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	return dir
}

func goodFiles() map[string]string {
	return map[string]string{
		"ha.cf":       strings.ReplaceAll(goodHaCf, "%PORT%", "31694"),
		"authkeys":    "auth 1\n1 sha1 secret\n",
		"haresources": "node1 dummy\n",
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConfigErrorsExit6WithFileLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(map[string]string)
		keyMode os.FileMode
		node    string
		want    string
	}{
		{name: "bad time syntax", edit: func(f map[string]string) { f["ha.cf"] = "keepalive 2s\n" + f["ha.cf"] }, want: "/ha.cf:1: "},
		{name: "authkeys readable by others", keyMode: 0o644, want: "Bad permissions on keyfile ["},
		{name: "auth line after its key", edit: func(f map[string]string) { f["authkeys"] = "1 sha1 x\nauth 1\n" }, want: "/authkeys"},
		{name: "node not in config", node: "node9", want: "Current node [node9] not in configuration!"},
		{name: "haresources names an unknown node", edit: func(f map[string]string) { f["haresources"] = "node1 a\nnode7 b\n" },
			want: "/haresources:2: node \"node7\" is not a node of"},
		{name: "haresources duplicate key", edit: func(f map[string]string) { f["haresources"] = "node1 a\nnode2 a\n" }, want: "/haresources:2:"},
		{name: "LVSSyncDaemonSwap unknown argument", edit: func(f map[string]string) {
			f["haresources"] = "node1 a\nnode2 LVSSyncDaemonSwap::master::lo::colour=blue b\n"
		}, want: `/haresources:2: LVSSyncDaemonSwap: unknown argument "colour"`},
		{name: "LVSSyncDaemonSwap syncid out of range", edit: func(f map[string]string) {
			f["haresources"] = "node1 LVSSyncDaemonSwap::master::lo::300 a\n"
		}, want: `/haresources:1: LVSSyncDaemonSwap: syncid="300"`},
		{name: "LVSSyncDaemonSwap missing interface", edit: func(f map[string]string) {
			f["haresources"] = "node1 a\n\nnode2 LVSSyncDaemonSwap::master::nosuch0 b\n"
		}, want: `/haresources:3: LVSSyncDaemonSwap: interface "nosuch0" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := goodFiles()
			if tc.edit != nil {
				tc.edit(files)
			}
			dir := confDir(t, files, tc.keyMode)
			node := tc.node
			if node == "" {
				node = "node1"
			}
			for _, verb := range []string{"run", "start", "reload"} {
				code, _, stderr := runCLI(t, "hbd", "--confdir", dir, "--rundir", t.TempDir(), "--statedir", t.TempDir(), "--node", node, verb)
				if code != exitNotConfiged || !strings.Contains(stderr, tc.want) {
					t.Errorf("hbd %s: exit %d, stderr %q; want 6 and %q", verb, code, stderr, tc.want)
				}
			}
		})
	}
}

func TestAliasesAndUsage(t *testing.T) {
	rundir := t.TempDir()
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		out, errIn string
	}{
		{name: "hbd without verb", args: []string{"hbd"}, code: exitUsage, errIn: "usage: hbd"},
		{name: "hbd -h", args: []string{"hbd", "-h"}, code: exitOK, out: usageText},
		{name: "hbd --version", args: []string{"hbd", "--version"}, code: exitOK, out: buildinfo.Read().Text("hbd")},
		{name: "hbd -V", args: []string{"hbd", "-V", "status"}, code: exitOK, out: buildinfo.Read().Text("hbd")},
		{name: "unknown verb", args: []string{"hbd", "frobnicate"}, code: exitUsage, errIn: `unknown verb "frobnicate"`},
		{name: "status stopped", args: []string{"hbd", "--rundir", rundir, "status"}, code: exitNotRunning, out: "hbd is stopped. No process\n"},
		{name: "status json stopped", args: []string{"hbd", "--rundir", rundir, "status", "--json"}, code: exitNotRunning, out: "{\n  \"running\": false\n}\n"},
		{name: "stop when stopped", args: []string{"hbd", "--rundir", rundir, "stop"}, code: exitOK, out: "hbd: not running\n"},
		{name: "hb_standby bad set", args: []string{"/usr/share/heartbeat/hb_standby", "--rundir", rundir, "everything"}, code: exitFail,
			errIn: "usage: hb_standby [all|foreign|local|failback]"},
		{name: "hb_standby not running", args: []string{"hb_standby", "--rundir", rundir, "failback"}, code: exitNotRunning, errIn: "hbd is not running"},
		{name: "hb_takeover not running", args: []string{"hb_takeover", "--rundir", rundir}, code: exitNotRunning, errIn: "hbd is not running"},
		{name: "hbd standby bad set", args: []string{"hbd", "--rundir", rundir, "standby", "none"}, code: exitUsage, errIn: "usage: hbd standby"},
		{name: "cl_status help", args: []string{"cl_status"}, code: clOK, out: clHelp},
		{name: "cl_status hbstatus stopped", args: []string{"cl_status", "--rundir", rundir, "hbstatus"}, code: clNormalFail,
			out: "Heartbeat is stopped on this machine.\n"},
		{name: "cl_status bad sub-command", args: []string{"cl_status", "frob"}, code: clParameterError, errIn: "frob: invalid sub-command."},
		{name: "cl_status rscstatus stopped", args: []string{"cl_status", "--rundir", rundir, "rscstatus"}, code: clNormalFail,
			errIn: "Cannot signon with heartbeat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errb := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tc.code, out, errb)
			}
			if tc.out != "" {
				if diff := cmp.Diff(tc.out, out); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if !strings.Contains(errb, tc.errIn) {
				t.Errorf("stderr %q does not contain %q", errb, tc.errIn)
			}
		})
	}
}

func TestStatusStalePidFile(t *testing.T) {
	rundir := t.TempDir()
	// The pid of a process that has exited.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(rundir, "hbd.pid"), []byte(strconv.Itoa(gone.Process.Pid)+"\n"), 0o644)
	code, out, _ := runCLI(t, "hbd", "--rundir", rundir, "status")
	if code != exitFail || out != "hbd is stopped. No process\n" {
		t.Errorf("stale pid file: exit %d, %q; want 1 and the stopped line", code, out)
	}
}

func TestFormatStatus(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	st := heartbeat.Status{Node: "node1", Peer: "node2", Resources: "local",
		Nodes: []heartbeat.NodeStatus{
			{Name: "node1", Type: "normal", Status: "active", Local: true, Generation: 7, Links: []heartbeat.LinkStatus{{Name: "eth0", Status: "up"}}},
			{Name: "node2", Type: "normal", Status: "active", Generation: 9, DeadtimeMs: 3000, Links: []heartbeat.LinkStatus{
				{Name: "eth0", Status: "up", LastHeard: now.Add(-400 * time.Millisecond)},
				{Name: "eth1", Status: "dead", LastHeard: now.Add(-12 * time.Second)}}},
		},
		Groups: []heartbeat.GroupStatus{{Key: "10.0.0.1", Preferred: "node1", Owner: "node1", Phase: "running", Resources: []string{"IPaddr::10.0.0.1", "httpd"}}},
		Drops:  map[string]uint64{"bad auth": 3}}
	want := `node node1 (local): active, generation 7
  link eth0: up
node node2: active, generation 9, deadtime 3000ms
  link eth0: up, last heard 0.4s ago
  link eth1: dead, last heard 12.0s ago
resources held here: local
group 10.0.0.1: owner node1 (preferred node1, here: running) [IPaddr::10.0.0.1 httpd]
dropped packets: bad auth 3
`
	if diff := cmp.Diff(want, formatStatus(st, now)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDaemonProcess runs the built binary: `hbd run` alone (the peer never
// answers, so it takes its group after initdead), then status, cl_status
// and stop. Root: it binds to lo with SO_BINDTODEVICE.
func TestDaemonProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (SO_BINDTODEVICE, netlink)")
	}
	bin := filepath.Join(t.TempDir(), "hbd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building hbd: %v\n%s", err, out)
	}
	os.Symlink(bin, filepath.Join(filepath.Dir(bin), "cl_status"))
	state := t.TempDir()
	files := goodFiles()
	files["resource.d/dummy"] = "#!/bin/sh\nS=" + state + "/dummy.on\ncase \"$1\" in start) touch $S;; stop) rm -f $S;; " +
		"status) if [ -e $S ]; then echo running; else echo stopped; fi;; esac\n" +
		// /proc/PID/stat field 41: the scheduling policy (0 SCHED_OTHER, 2 SCHED_RR).
		"[ \"$1\" = start ] && awk '{print $41}' /proc/$$/stat > " + state + "/dummy.policy\nexit 0\n"
	dir := confDir(t, files, 0)
	os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
	// A ping node on loopback: this host's kernel answers the echo requests.
	files["ha.cf"] += "logfile " + filepath.Join(state, "ha-log") + "\nping 127.0.0.1\n"
	os.WriteFile(filepath.Join(dir, "ha.cf"), []byte(files["ha.cf"]), 0o644)
	rundir := t.TempDir()
	flags := []string{"--confdir", dir, "--rundir", rundir, "--statedir", state, "--node", "node1"}
	cmd := exec.Command(bin, append(flags, "run")...)
	stderr, err := os.Create(filepath.Join(state, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	reaped := false
	t.Cleanup(func() {
		if !reaped {
			cmd.Process.Kill()
			<-exited
		}
	})
	cli := func(prog string, args ...string) (int, string) {
		c := exec.Command(filepath.Join(filepath.Dir(bin), prog), append(append([]string{}, flags...), args...)...)
		if prog == "cl_status" {
			c = exec.Command(filepath.Join(filepath.Dir(bin), prog), append([]string{"--rundir", rundir}, args...)...)
		}
		out, _ := c.Output()
		return c.ProcessState.ExitCode(), string(out)
	}
	// Wait (bounded) until the group runs here. The peer is dead, so
	// node1 took over: Heartbeat's rscstatus says "all" then, even though
	// haresources has no foreign group (hb_resource.c mach_down).
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, out := cli("hbd", "status", "--json")
		var sj statusJSON
		json.Unmarshal([]byte(out), &sj)
		if sj.Cluster != nil && sj.Cluster.Resources == "all" && sj.Cluster.Groups[0].Phase == "running" {
			if sj.Cluster.Node != "node1" || sj.Cluster.Nodes[1].Status != "dead" || sj.Pid != cmd.Process.Pid {
				t.Errorf("status: %+v", sj)
			}
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			reaped = true
			errText, _ := os.ReadFile(stderr.Name())
			t.Fatalf("group not acquired in 15 s; last status %s\nstderr %s", out, errText)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(state, "dummy.on")); err != nil {
		t.Errorf("the dummy resource was not started: %v", err)
	}
	// ha.cf realtime is on by default: every hbd thread at SCHED_RR 1,
	// the resource script at SCHED_OTHER.
	if got, want := threadPolicies(t, cmd.Process.Pid), fmt.Sprintf("%d/1", unix.SCHED_RR); len(got) != 1 || got[want] == 0 {
		t.Errorf("hbd threads by policy/priority: %v, want all %s", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(state, "dummy.policy")); err != nil || string(b) != "0\n" {
		t.Errorf("the dummy resource's scheduling policy: %q (%v), want SCHED_OTHER (0)", b, err)
	}
	code, out := cli("hbd", "status")
	if code != 0 || !strings.HasPrefix(out, "hbd OK [pid "+strconv.Itoa(cmd.Process.Pid)+"] is running on ") ||
		!strings.Contains(out, "group dummy: owner node1 (preferred node1, here: running) [dummy]") {
		t.Errorf("hbd status: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"hbstatus"}, 0, "Heartbeat is running on this machine.\n"},
		{[]string{"listnodes"}, 0, "node1\nnode2\n127.0.0.1\n"},
		{[]string{"listnodes", "-p"}, 0, "127.0.0.1\n"},
		{[]string{"listnodes", "-n"}, 0, "node1\nnode2\n"},
		{[]string{"nodetype", "127.0.0.1"}, 0, "ping\n"},
		{[]string{"nodestatus", "127.0.0.1"}, 0, "ping\n"},
		{[]string{"listhblinks", "127.0.0.1"}, 0, "\t127.0.0.1\n"},
		{[]string{"nodestatus", "node2"}, 1, "dead\n"},
		{[]string{"nodestatus", "node1", "-m"}, 0, "The cluster node node1 is active\n"},
		{[]string{"nodetype", "node2"}, 0, "normal\n"},
		{[]string{"listhblinks", "node2"}, 0, "\tlo\n"},
		{[]string{"hblinkstatus", "node2", "lo"}, 1, "dead\n"},
		{[]string{"rscstatus"}, 0, "all\n"},
		{[]string{"rscstatus", "-m"}, 0, "This node is holding all resources.\n"},
	} {
		code, out := cli("cl_status", tc.args...)
		if code != tc.code || out != tc.out {
			t.Errorf("cl_status %v: exit %d, %q; want %d, %q", tc.args, code, out, tc.code, tc.out)
		}
	}
	if code, _ := cli("hbd", "stop"); code != 0 {
		t.Errorf("hbd stop: exit %d", code)
	}
	select {
	case <-exited:
		reaped = true
	case <-time.After(10 * time.Second):
		t.Fatal("hbd did not exit after stop")
	}
	if _, err := os.Stat(filepath.Join(state, "dummy.on")); err == nil {
		t.Error("stop did not release the dummy resource")
	}
	log, _ := os.ReadFile(filepath.Join(state, "ha-log"))
	for _, line := range []string{"Heartbeat generation: ", "WARN: node node2: is dead", "All HA resources relinquished.", "Heartbeat shutdown complete."} {
		if !bytes.Contains(log, []byte(line)) {
			t.Errorf("ha-log lacks %q:\n%s", line, log)
		}
	}
}

// threadPolicies counts pid's threads by "policy/priority".
func threadPolicies(t *testing.T, pid int) map[string]int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		if a, err := unix.SchedGetAttr(tid, 0); err == nil {
			got[fmt.Sprintf("%d/%d", a.Policy, a.Priority)]++
		}
	}
	return got
}
