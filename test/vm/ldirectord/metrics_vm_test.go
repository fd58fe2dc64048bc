//go:build vm

package ldirectord

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// metricValue finds `name{labels} value` in a scrape ("" when absent).
func metricValue(text, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// TestMetricsVM runs the real ldirectord binary (/opt/bin/ldirectord)
// against the VM kernel's IPVS in a namespace of its own, scrapes
// --metrics-address from inside it and lints the scrape with promlint
// (the linter `promtool check metrics` runs; promtool is not in the VM).
// A busy address stops a second start with exit 2 before the table is
// touched.
func TestMetricsVM(t *testing.T) {
	ns := vmnet.NewNS(t, "ldmetrics")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vm.cf")
	text := "logfile=\"" + filepath.Join(dir, "ldirectord.log") + "\"\ncheckinterval=1\nvirtual=192.0.2.10:80\n\treal=198.51.100.2:80 masq 3\n\tchecktype=on\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	const addr = "127.0.0.1:9640"
	cmd := exec.Command(binary, "--rundir", dir, "--metrics-address", addr, "--foreground", cfg, "start")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := ns.Start(cmd); err != nil {
		t.Fatal(err)
	}
	// done closes when ldirectord has exited (waitErr set): the loop and
	// the cleanup may both wait for it.
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		var err error
		text, err = ns.Get(ctx, "http://"+addr+"/metrics")
		if err == nil && metricValue(text, `ldirectord_real_up{real="198.51.100.2:80",virtual="tcp:192.0.2.10:80"}`) == "1" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no real up in the metrics after 2 min: %v\n%s", err, text)
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "ldirectord.log"))
			t.Fatalf("ldirectord exited: %v\nstderr: %s\nlog:\n%s", waitErr, stderr.String(), log)
		case <-time.After(200 * time.Millisecond):
		}
	}
	problems, err := promlint.New(strings.NewReader(text + "\n")).Lint()
	if err != nil || len(problems) != 0 {
		t.Errorf("promlint: %v %v", err, problems)
	}
	for series, want := range map[string]string{
		`ldirectord_real_weight{real="198.51.100.2:80",virtual="tcp:192.0.2.10:80"}`: "3",
		`ldirectord_virtual_in_kernel{virtual="tcp:192.0.2.10:80"}`:                  "1",
		`ldirectord_ipvs_operations_total{op="-A"}`:                                  "1",
		`ldirectord_ipvs_operations_total{op="-a"}`:                                  "1",
		`ldirectord_sync_ok`: "1",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	out, err := ns.Run(ctx, "/opt/bin/ipvsadm", "-Ln")
	if err != nil || !strings.Contains(string(out), "198.51.100.2:80") {
		t.Errorf("ipvsadm -Ln: %v\n%s", err, out)
	}

	// A second instance on the busy address: exit 2, its table untouched.
	other := vmnet.NewNS(t, "ldmetrics2")
	var busy net.Listener
	if err := other.Do(func() (err error) { busy, err = net.Listen("tcp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir2 := t.TempDir()
	second := exec.Command(binary, "--rundir", dir2, "--metrics-address", addr, "--foreground", cfg, "start")
	var msg strings.Builder
	second.Stderr = &msg
	if err := other.Start(second); err != nil {
		t.Fatal(err)
	}
	second.Wait()
	// Exit 2 is ldirectord's config_error.
	if code := second.ProcessState.ExitCode(); code != 2 || !strings.Contains(msg.String(), "address already in use") {
		t.Errorf("second start on a busy address: exit %d, stderr %q; want 2 and address already in use", code, msg.String())
	}
	if out, _ := other.Run(ctx, "/opt/bin/ipvsadm", "-Ln"); strings.Contains(string(out), "192.0.2.10") {
		t.Errorf("the refused start touched the IPVS table:\n%s", out)
	}
}
