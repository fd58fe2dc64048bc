package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// scrapeMetrics GETs /metrics from addr ("" and the error on failure).
func scrapeMetrics(addr string) (string, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func metricValue(text, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// TestMetricsProcess runs the built hbd with --metrics-address alone (the
// peer never answers: it takes its group after initdead), scrapes the
// endpoint over HTTP, holds the scrape to promtool check metrics and to
// what the node did, then stops it. Root: SO_BINDTODEVICE on lo.
func TestMetricsProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (SO_BINDTODEVICE, netlink)")
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	bin := filepath.Join(t.TempDir(), "hbd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building hbd: %v\n%s", err, out)
	}
	state := t.TempDir()
	files := goodFiles()
	// Not TestDaemonProcess's port; a ping node on loopback and ipfail.
	files["ha.cf"] = strings.ReplaceAll(files["ha.cf"], "31694", "31695") + "ping 127.0.0.1\nrespawn hacluster /usr/lib/heartbeat/ipfail\n"

	files["resource.d/dummy"] = "#!/bin/sh\nS=" + state + "/dummy.on\ncase \"$1\" in start) touch $S;; stop) rm -f $S;; " +
		"status) if [ -e $S ]; then echo running; else echo stopped; fi;; esac\nexit 0\n"
	dir := confDir(t, files, 0)
	os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--confdir", dir, "--rundir", t.TempDir(), "--statedir", state, "--node", "node1",
		"--metrics-address", addr, "run")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Error("hbd did not exit 20 s after SIGTERM")
		}
	}()
	var text string
	deadline := time.Now().Add(20 * time.Second)
	for {
		text, _ = scrapeMetrics(addr)
		if metricValue(text, `hbd_takeover_duration_seconds_count{group="dummy"}`) == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no takeover in the metrics after 20 s:\n%s\nstderr:\n%s", text, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := exec.CommandContext(ctx, promtool, "check", "metrics")
	check.Stdin = strings.NewReader(text)
	if out, err := check.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	for series, want := range map[string]string{
		`hbd_status_up`: "1",
		`hbd_node_status{node="node1",status="active",type="normal"}`:      "1",
		`hbd_node_status{node="node2",status="dead",type="normal"}`:        "1",
		`hbd_node_status{node="node2",status="up",type="normal"}`:          "0",
		`hbd_link_up{link="lo",node="node2"}`:                              "0",
		`hbd_group_held{group="dummy"}`:                                    "1",
		`hbd_group_phase{group="dummy",phase="running"}`:                   "1",
		`hbd_group_failed{group="dummy"}`:                                  "0",
		`hbd_resources_status{status="all"}`:                               "1",
		`hbd_group_operations_total{group="dummy",op="start",result="ok"}`: "1",
		`hbd_takeover_duration_seconds_count{group="dummy"}`:               "1",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "dummy.on")); err != nil {
		t.Errorf("the dummy resource was not started: %v", err)
	}
}

// TestMetricsAddressRefused: a malformed --metrics-address stops start
// and run with exit 6; a busy one stops run with exit 6 before the node
// opens a link or touches a resource (no pid file, the resource not run).
func TestMetricsAddressRefused(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name, addr, verb, want string
	}{
		{"malformed, start", "127.0.0.1", "start", `--metrics-address "127.0.0.1": missing port in address`},
		{"malformed, run", "127.0.0.1:x", "run", `bad port "x"`},
		{"in use, run", busy.Addr().String(), "run", "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := goodFiles()
			marker := filepath.Join(t.TempDir(), "touched")
			files["resource.d/dummy"] = "#!/bin/sh\ntouch " + marker + "\n"
			dir := confDir(t, files, 0)
			os.Chmod(filepath.Join(dir, "resource.d/dummy"), 0o755)
			rundir := t.TempDir()
			code, _, stderr := runCLI(t, "hbd", "--confdir", dir, "--rundir", rundir, "--statedir", t.TempDir(),
				"--node", "node1", "--metrics-address", tc.addr, tc.verb)
			if code != exitNotConfiged || !strings.Contains(stderr, tc.want) {
				t.Errorf("hbd %s: exit %d, stderr %q; want 6 and %q", tc.verb, code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(rundir, "hbd.pid")); err == nil {
				t.Errorf("pid file written")
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("a resource ran")
			}
		})
	}
}

// fakeSync lists fixed sync daemons (the real listing is ipvs.SyncNetlink,
// tested against the kernel in the VM: internal/director/ipvs).
type fakeSync struct {
	ds  []ipvs.SyncDaemon
	err error
}

func (f fakeSync) Daemons() ([]ipvs.SyncDaemon, error) { return f.ds, f.err }

func TestCollectSync(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    fakeSync
		want []string
	}{
		{"master and backup", fakeSync{ds: []ipvs.SyncDaemon{{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 7}, {State: ipvs.SyncBackup, Interface: "eth1", SyncID: 7}}},
			// labels: state, interface, syncid
			[]string{"hbd_lvs_sync_daemons_readable[] 1", "hbd_lvs_sync_daemon_running[master eth1 7] 1", "hbd_lvs_sync_daemon_running[backup eth1 7] 1"}},
		{"none", fakeSync{}, []string{"hbd_lvs_sync_daemons_readable[] 1"}},
		{"unreadable", fakeSync{err: errors.New("no IPVS")}, []string{"hbd_lvs_sync_daemons_readable[] 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			collectSync(tc.l, func(d *prometheus.Desc, v float64, labels ...string) {
				name := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())[1]
				got = append(got, fmt.Sprintf("%s%v %g", name, labels, v))
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
