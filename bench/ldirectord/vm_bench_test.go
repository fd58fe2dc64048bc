//go:build vmbench

package ldbench

// The in-VM half of make bench: this project's director against the real
// IPVS, and keepalived's HTTP_GET checker, on the same farm, N and rate.
// bench/run.sh builds it through test/vm/run.sh with IPVSVM_TAGS=vmbench
// (the tag keeps it out of make test-vm) and reads the line
// "LDBENCH-JSON: {...}" from the serial log.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "ldbench-role" {
		os.Exit(Role(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

// vmNet builds the reference's topology: netns farm behind a veth owning
// 198.18.0.0/16 by an AnyIP route, the VIP on a dummy in the root netns.
func vmNet(t *testing.T) {
	t.Helper()
	cmds := [][]string{
		{"netns", "add", "farm"},
		{"link", "add", "bveth0", "type", "veth", "peer", "name", "bveth1"},
		{"link", "set", "bveth1", "netns", "farm"},
		{"addr", "add", "192.0.2.1/24", "dev", "bveth0"},
		{"link", "set", "bveth0", "up"},
		{"-n", "farm", "addr", "add", "192.0.2.2/24", "dev", "bveth1"},
		{"-n", "farm", "link", "set", "bveth1", "up"},
		{"-n", "farm", "link", "set", "lo", "up"},
		{"-n", "farm", "route", "add", "local", "198.18.0.0/16", "dev", "lo"},
		{"route", "add", "198.18.0.0/16", "via", "192.0.2.2"},
		{"link", "add", "bvip0", "type", "dummy"},
		{"addr", "add", "203.0.113.10/32", "dev", "bvip0"},
		{"link", "set", "bvip0", "up"},
	}
	for _, c := range cmds {
		if out, err := exec.Command("/opt/bin/ip", c...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", c, err, out)
		}
	}
	t.Cleanup(func() {
		exec.Command("/opt/bin/ip", "link", "del", "bveth0").Run()
		exec.Command("/opt/bin/ip", "link", "del", "bvip0").Run()
		exec.Command("/opt/bin/ip", "netns", "del", "farm").Run()
	})
}

func vmEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	if b, err := os.ReadFile("/etc/vm/bench-" + name); err == nil {
		if n, err := strconv.Atoi(string(trimNL(b))); err == nil {
			return n
		}
	}
	return def
}

// vmNs is the list of N (bench-ns, comma-separated; else bench-n; else 1000).
func vmNs() []int {
	var ns []int
	b, err := os.ReadFile("/etc/vm/bench-ns")
	for _, f := range strings.Split(strings.TrimSpace(string(b)), ",") {
		if n, e := strconv.Atoi(strings.TrimSpace(f)); err == nil && e == nil && n > 0 {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		ns = []int{vmEnvInt("n", 1000)}
	}
	return ns
}

// vmSubject is one subject of a VM repetition: this project (with an
// environment: bench-gomaxprocs lists GOMAXPROCS values to compare, 0 for
// Go's own default, one per vCPU; none listed: ldirectord's default,
// daemon.OneProc) or keepalived, last.
type vmSubject struct {
	impl Impl
	env  []string
}

func vmSubjects() []vmSubject {
	var out []vmSubject
	b, _ := os.ReadFile("/etc/vm/bench-gomaxprocs")
	for _, f := range strings.Split(strings.TrimSpace(string(b)), ",") {
		if p, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && p > 0 {
			out = append(out, vmSubject{impl: ImplGo, env: []string{fmt.Sprintf("GOMAXPROCS=%d", p)}})
		} else if err == nil && p == 0 {
			out = append(out, vmSubject{impl: ImplGo, env: []string{fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU())}})
		}
	}
	if len(out) == 0 {
		out = append(out, vmSubject{impl: ImplGo})
	}
	return append(out, vmSubject{impl: ImplKeepalived})
}

// vmPointConfig is one in-VM point: the reference's topology, rate and
// timeout, 500 as the failure kind.
func vmPointConfig(impl Impl, n int, dir, self string, window time.Duration, env []string) PointConfig {
	return PointConfig{
		EngineEnv: env,
		Impl:      impl, N: n, Dir: dir, Self: []string{self, "ldbench-role"},
		Base: "198.18", VIP: "203.0.113.10", Port: 80, Forward: "masq", Netlink: impl == ImplGo,
		FarmCtl: "192.0.2.2:8081", FarmWrap: []string{"/opt/bin/ip", "netns", "exec", "farm"}, FarmAny: true,
		Interval: time.Second, Timeout: 3 * time.Second, StartBound: 90 * time.Second,
		Settle: 5 * time.Second, Window: window, DetectKinds: []Mode{ModeError},
		Rounds: 2, PerRound: 5, KeepalivedBin: "/opt/bench/sbin/keepalived",
		// The farm shares the VM's two vCPUs with the subject: one P
		// spares it the wake-ups between threads (as daemon.OneProc
		// does for ldirectord).
		FarmEnv: []string{"GOMAXPROCS=1"},
	}
}

// vmSetup skips unless inside the IPVS VM, raises the fd limit, lays out
// the VM's network (vmNet) and returns this test binary's path, which the
// bench runs in its other roles.
func vmSetup(t *testing.T) string {
	t.Helper()
	if os.Getenv("IPVS_VM") != "1" {
		t.Skip("runs only inside the IPVS VM (bench/run.sh)")
	}
	lim := syscall.Rlimit{Cur: 65536, Max: 65536}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	vmNet(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return self
}

func TestVMBench(t *testing.T) {
	self := vmSetup(t)
	window := time.Duration(vmEnvInt("window", 20)) * time.Second
	res := Results{Kind: "vm", Date: time.Now().UTC().Format(time.RFC3339), Machine: machine()}
	logf := func(f string, a ...any) { t.Logf(f, a...) }
	// Every repetition runs every N, both subjects back to back at each N,
	// so each ratio compares two points measured minutes apart in one boot.
	for rep := 1; rep <= vmEnvInt("repeat", 1); rep++ {
		for _, n := range vmNs() {
			for i, sub := range vmSubjects() {
				impl := sub.impl
				exec.Command("/opt/bin/ipvsadm", "-C").Run()
				c := vmPointConfig(impl, n, fmt.Sprintf("/tmp/bench-%s-%d-%d-%d", impl, n, rep, i), self, window, sub.env)
				ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
				p, err := RunPoint(ctx, c, logf)
				cancel()
				p.Run = rep
				if err != nil {
					p.Error = err.Error()
					t.Errorf("%s: %v", impl, err)
				}
				res.Points = append(res.Points, p)
			}
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\nLDBENCH-JSON: %s\n", b)
}
