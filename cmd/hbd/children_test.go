package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

// TestDaemonChildren runs the built binary with a respawn program and a
// watchdog "device" (a regular file: the WDIOC_SETTIMEOUT refusal is
// logged, the writes are recorded): the program runs as its user, is
// restarted after it is killed, and is stopped with hbd; the device gets
// one byte per heartbeat and the magic 'V' on the clean stop. The real
// device is tested with softdog in the VM (test/vm).
func TestDaemonChildren(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (SO_BINDTODEVICE, netlink)")
	}
	bin := filepath.Join(t.TempDir(), "hbd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building hbd: %v\n%s", err, out)
	}
	state := t.TempDir()
	files := goodFiles()
	files["resource.d/dummy"] = "#!/bin/sh\nexit 0\n"
	files["prog"] = "#!/bin/sh\necho $$ >> " + state + "/prog.pids\nexec sleep 300\n"
	dir := confDir(t, files, 0)
	os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
	os.Chmod(filepath.Join(dir, "prog"), 0o755)
	wd := filepath.Join(state, "watchdog")
	os.WriteFile(wd, nil, 0o600)
	files["ha.cf"] += "logfile " + filepath.Join(state, "ha-log") + "\nrespawn root " + filepath.Join(dir, "prog") +
		"\nwatchdog " + wd + "\n"
	os.WriteFile(filepath.Join(dir, "ha.cf"), []byte(files["ha.cf"]), 0o644)
	flags := []string{"--confdir", dir, "--rundir", t.TempDir(), "--statedir", state, "--node", "node1"}
	cmd := exec.Command(bin, append(flags, "run")...)
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
		// The program's group, should hbd have left it behind.
		for _, p := range pids(state) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(state, "ha-log"))
				t.Fatalf("timed out waiting for %s\n%s", what, log)
			}
		}
	}
	waitFor("the respawn program to start", func() bool { return len(pids(state)) == 1 })
	first := pids(state)[0]
	syscall.Kill(first, syscall.SIGKILL)
	waitFor("the respawn program to be restarted", func() bool { return len(pids(state)) == 2 })
	second := pids(state)[1]
	if !alive(second) {
		t.Fatalf("restarted program %d not running", second)
	}
	exec.Command(bin, append(flags, "stop")...).Run()
	select {
	case <-exited:
		reaped = true
	case <-time.After(15 * time.Second):
		t.Fatal("hbd did not exit after stop")
	}
	waitFor("the program to be stopped with hbd", func() bool { return !alive(second) })
	log, _ := os.ReadFile(filepath.Join(state, "ha-log"))
	for _, line := range []string{
		fmt.Sprintf("Starting child client %q (0,0)", filepath.Join(dir, "prog")),
		fmt.Sprintf("Client %s (pid=%d) killed by signal 9.", filepath.Join(dir, "prog"), first),
		fmt.Sprintf("Respawning client %q:", filepath.Join(dir, "prog")),
		"Using watchdog device: " + wd,
		"WDIOC_SETTIMEOUT: failed to set watchdog timer to 1 seconds",
	} {
		if !bytes.Contains(log, []byte(line)) {
			t.Errorf("ha-log lacks %q:\n%s", line, log)
		}
	}
	dev, _ := os.ReadFile(wd)
	if len(dev) < 3 || dev[len(dev)-1] != 'V' || strings.Trim(string(dev[:len(dev)-1]), "\x00") != "" {
		t.Errorf("watchdog device got %q, want NUL bytes (one per heartbeat) then 'V'", dev)
	}
}

func pids(state string) []int {
	b, _ := os.ReadFile(filepath.Join(state, "prog.pids"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(st), ") Z")
}

// TestFormatStatusIPfail: hbd status shows the built-in ipfail (ping nodes
// up, a pending give-up) and the comparison with the peer's haresources.
func TestFormatStatusIPfail(t *testing.T) {
	now := time.Unix(1000, 0)
	st := heartbeat.Status{Resources: "all",
		IPfail:     &heartbeat.IPfailStatus{PingNodesUp: 0, PingNodes: 1, GiveUp: "all", GiveUpAt: now.Add(1500 * time.Millisecond)},
		PeerConfig: "haresources identical on node2 and here (1 group(s))"}
	got := formatStatus(st, now)
	for _, want := range []string{
		"ipfail: on, 0 of 1 ping node(s) up, giving all resources up in 1.5s\n",
		"peer configuration: haresources identical on node2 and here (1 group(s))\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if got := formatStatus(heartbeat.Status{Resources: "all"}, now); strings.Contains(got, "ipfail") || strings.Contains(got, "peer configuration") {
		t.Errorf("status without ipfail or comparison mentions them:\n%s", got)
	}
}
