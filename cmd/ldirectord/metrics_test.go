package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// freeAddr returns a loopback address nothing listens on (bound, then
// released: the daemon binds it again right after).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrape GETs /metrics from addr.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping %s: %v", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %s %v", addr, resp.Status, err)
	}
	return string(b)
}

// promtoolCheck runs `promtool check metrics` on a scrape: no lint
// problem and exit 0. Shared by the hbd test through its own copy: the
// two commands are separate packages.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// metricValue finds `name{labels} value` in a scrape ("" when absent).
func metricValue(text, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// TestMetrics runs the daemon in-process with --metrics-address against
// the strict fake IPVS kernel, scrapes its endpoint over HTTP and holds
// the scrape to promtool and to what the daemon did.
func TestMetrics(t *testing.T) {
	h := newHarness(t, twoReals)
	h.checks.set("192.168.2.236:80", true)
	addr := freeAddr(t)
	g := h.start("--metrics-address", addr)
	h.waitKernel(twoRealsTable)
	h.waitFor("two checks of the down real", func() bool {
		n, _ := strconv.Atoi(metricValue(scrape(t, addr), `ldirectord_real_consecutive_failures{real="192.168.2.237:80",virtual="tcp:10.1.1.10:80"}`))
		return n >= 2
	})
	text := scrape(t, addr)
	promtoolCheck(t, text)
	for series, want := range map[string]string{
		`ldirectord_real_up{real="192.168.2.236:80",virtual="tcp:10.1.1.10:80"}`:     "1",
		`ldirectord_real_up{real="192.168.2.237:80",virtual="tcp:10.1.1.10:80"}`:     "0",
		`ldirectord_real_weight{real="192.168.2.236:80",virtual="tcp:10.1.1.10:80"}`: "2",
		`ldirectord_real_weight{real="192.168.2.237:80",virtual="tcp:10.1.1.10:80"}`: "0", // quiescent
		`ldirectord_virtual_in_kernel{virtual="tcp:10.1.1.11:443"}`:                  "1",
		`ldirectord_sync_ok`: "1",
		`ldirectord_real_transitions_total{check="connect",real="192.168.2.236:80",to="up"}`:   "1",
		`ldirectord_real_transitions_total{check="connect",real="192.168.2.237:80",to="down"}`: "1",
		`ldirectord_ipvs_operations_total{op="-A"}`:                                            "2",
		`ldirectord_config_reloads_total`:                                                      "0",
		`ldirectord_config_reload_failures_total`:                                              "0",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	for _, series := range []string{
		`ldirectord_checks_total{check="connect",real="192.168.2.237:80",result="down"}`,
		`ldirectord_check_duration_seconds_count{check="connect",real="192.168.2.236:80"}`,
		`ldirectord_last_sync_timestamp_seconds`,
		`process_start_time_seconds`,
	} {
		if metricValue(text, series) == "" {
			t.Errorf("the scrape lacks %s:\n%s", series, text)
		}
	}

	// A broken file is a failed reload; a good one a reload (SIGHUP: the
	// reload verb itself refuses a broken file before signalling).
	writeFile(t, h.cfg, twoReals+"bogus=1\n")
	g.sigs <- syscall.SIGHUP
	h.waitFor("the failed reload", func() bool {
		return metricValue(scrape(t, addr), "ldirectord_config_reload_failures_total") == "1"
	})
	writeFile(t, h.cfg, twoReals)
	g.sigs <- syscall.SIGHUP
	h.waitFor("the reload", func() bool { return metricValue(scrape(t, addr), "ldirectord_config_reloads_total") == "1" })
}

// TestMetricsAddressRefused: a malformed or busy --metrics-address stops
// the start with exit 2 before the IPVS table is opened or a pid file
// written; $LDIRECTORD_METRICS_ADDRESS is read when the flag is absent.
func TestMetricsAddressRefused(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name, flag, env, want string
	}{
		{name: "malformed", flag: "--metrics-address=127.0.0.1", want: `--metrics-address "127.0.0.1": missing port in address`},
		{name: "bad port", flag: "--metrics-address=127.0.0.1:99999", want: `bad port "99999"`},
		{name: "in use", flag: "--metrics-address=" + busy.Addr().String(), want: "address already in use"},
		{name: "malformed from the environment", env: "localhost", want: `--metrics-address "localhost": missing port in address`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, twoReals)
			d := h.deps(os.Getpid(), make(chan os.Signal))
			d.OpenKernel = func() (ipvs.Kernel, func() error, error) {
				t.Error("the IPVS table was opened")
				return nil, nil, fmt.Errorf("opened")
			}
			d.Getenv = func(k string) string {
				if k == metricsEnv {
					return tc.env
				}
				return ""
			}
			args := []string{"--rundir", h.rundir, "-d"}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			var out, errb syncBuffer
			code := run(append(args, "start"), &out, &errb, d)
			if code != exitConfig || !strings.Contains(errb.String()+h.logs.String(), tc.want) {
				t.Errorf("start = %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
			if ents, _ := os.ReadDir(h.rundir); len(ents) != 0 {
				t.Errorf("run dir not empty: %v", ents)
			}
		})
	}
}
