package director

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// harness runs a Director inside a synctest bubble against the strict fake
// kernel and the fake checker.
type harness struct {
	t      *testing.T
	k      *ipvstest.Kernel
	fc     *fakeChecker
	logs   logRecorder
	cmds   *cmdRecorder
	d      *Director
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, kernel string, cfg *ldcf.Config, fc *fakeChecker, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, k: &ipvstest.Kernel{}, fc: fc, logs: newLogRecorder(), cmds: &cmdRecorder{}, done: make(chan error, 1)}
	if err := h.k.Load(kernel); err != nil {
		t.Fatal(err)
	}
	c := Config{
		Kernel:     h.k,
		Checkers:   check.Registry{{Type: ldcf.CheckConnect}: fc},
		Logger:     slogNew(h.logs),
		RunCommand: h.cmds.run,
		Jitter:     func(time.Duration) time.Duration { return 0 },
		Hostname:   "lb1.example.com",
		User:       "root",
	}
	for _, m := range mods {
		m(&c)
	}
	h.d = New(c)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.d.Run(ctx, cfg) }()
	synctest.Wait()
	return h
}

// ops returns the kernel changes since the last call.
func (h *harness) ops() []string {
	o := h.k.Ops()
	h.k.ResetOps()
	return o
}

// advance moves the bubble's clock and lets every goroutine settle.
func (h *harness) advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (h *harness) stop() error {
	h.cancel()
	return <-h.done
}

func (h *harness) expectOps(want ...string) {
	h.t.Helper()
	if diff := cmp.Diff(want, h.ops(), cmpEmpty); diff != "" {
		h.t.Errorf("kernel ops (-want +got):\n%s", diff)
	}
}

// expectLogs checks that want appear, in order, among the lines logged
// since the last call.
func (h *harness) expectLogs(want ...string) {
	h.t.Helper()
	got := h.logs.take()
	i := 0
	for _, line := range got {
		if i < len(want) && line == want[i] {
			i++
		}
	}
	if i < len(want) {
		h.t.Errorf("log line %q missing (in order) from:\n  %s", want[i], strings.Join(got, "\n  "))
	}
}

var cmpEmpty = cmp.Transformer("nilEmpty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

func realStatus(t *testing.T, d *Director, virtual, addr string) RealStatus {
	t.Helper()
	for _, v := range d.Status().Virtuals {
		if v.Name != virtual {
			continue
		}
		for _, r := range v.Reals {
			if r.Addr == addr {
				return r
			}
		}
	}
	t.Fatalf("no real %s in %s in status", addr, virtual)
	return RealStatus{}
}

func TestRunAddsNothingBeforeFirstResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.gate = make(chan struct{})
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 2, ldcf.Gate)}))
		h := start(t, "", cfg, fc)
		h.expectOps("-A -t 10.1.1.10:80 -s wrr")
		h.expectLogs("Added virtual server: 10.1.1.10:80")
		if st := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80").State; st != Unknown {
			t.Errorf("state before first result = %v, want unknown", st)
		}
		close(fc.gate)
		synctest.Wait()
		h.expectOps("-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.expectLogs("Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)")
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRunFailureCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.FailureCount = 3 }))
		h := start(t, "", cfg, fc)
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.logs.take()

		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.expectLogs("Soft failure real server: 10.0.0.2:80 (tcp:10.1.1.10:80) failure 1/3")
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.expectLogs("Resetting soft failure count: 10.0.0.2:80 (tcp:10.1.1.10:80)")
		h.expectOps()

		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.advance(10 * time.Second)
		h.expectOps()
		h.expectLogs("Soft failure real server: 10.0.0.2:80 (tcp:10.1.1.10:80) failure 1/3",
			"Soft failure real server: 10.0.0.2:80 (tcp:10.1.1.10:80) failure 2/3")
		h.advance(10 * time.Second)
		h.expectOps("-d -t 10.1.1.10:80 -r 10.0.0.2:80")
		h.expectLogs("Deleted real server: 10.0.0.2:80 (10.1.1.10:80)")
		rs := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80")
		if rs.State != Down || rs.Failures != 3 || rs.LastError != "connection refused" || rs.KernelWeight != nil {
			t.Errorf("status after 3 failures = %+v", rs)
		}
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.expectOps("-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.stop()
	})
}

func TestRunQuiescent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 2, ldcf.Masq)},
			func(v *ldcf.Virtual) { v.Quiescent = true }))
		h := start(t, "", cfg, fc)
		got := h.ops()
		slices.Sort(got[1:]) // the two first results race
		if diff := cmp.Diff([]string{"-A -t 10.1.1.10:80 -s wrr",
			"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1", "-a -t 10.1.1.10:80 -r 10.0.0.3:80 -m -w 0"}, got); diff != "" {
			t.Errorf("start ops (-want +got):\n%s", diff)
		}
		h.logs.take()
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.expectOps("-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0")
		h.expectLogs("Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)")
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.expectOps("-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.expectLogs("Restored real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)")
		h.stop()
	})
}

func TestRunFallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
			v.Fallback = &ldcf.Fallback{Addr: ap("127.0.0.1:0"), Forward: ldcf.Gate}
			v.FallbackCommand = "/usr/local/bin/sorry"
		}))
		h := start(t, "", cfg, fc)
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 127.0.0.1:80 -g -w 1")
		h.expectLogs("Added fallback server: 127.0.0.1:80 (10.1.1.10:80) (Weight set to 1)")
		if diff := cmp.Diff([]string{"/usr/local/bin/sorry start 10.1.1.10:80 tcp"}, h.cmds.take()); diff != "" {
			t.Errorf("fallbackcommand (-want +got):\n%s", diff)
		}
		h.advance(10 * time.Second) // still down: no op, no command
		h.expectOps()
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.expectOps("-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1", "-d -t 10.1.1.10:80 -r 127.0.0.1:80")
		h.expectLogs("Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)",
			"Deleted fallback server: 127.0.0.1:80 (10.1.1.10:80)")
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.expectOps("-a -t 10.1.1.10:80 -r 127.0.0.1:80 -g -w 1", "-d -t 10.1.1.10:80 -r 10.0.0.2:80")
		if diff := cmp.Diff([]string{"/usr/local/bin/sorry stop 10.1.1.10:80 tcp", "/usr/local/bin/sorry start 10.1.1.10:80 tcp"}, h.cmds.take()); diff != "" {
			t.Errorf("fallbackcommand (-want +got):\n%s", diff)
		}
		h.stop()
		if runs := h.cmds.take(); len(runs) != 0 {
			t.Errorf("fallbackcommand ran on shutdown: %q", runs)
		}
	})
}

func TestRunReloadKeepsState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		for _, a := range []string{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"} {
			fc.set(a, true)
		}
		cfg1 := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)}))
		h := start(t, "", cfg1, fc)
		h.ops()
		h.advance(3 * time.Second)
		before := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80")
		calls := fc.callCount("10.0.0.2:80")

		cfg2 := conf(
			virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 5, ldcf.Gate), rl("10.0.0.4:80", 1, ldcf.Gate)},
				func(v *ldcf.Virtual) { v.Scheduler = "rr" }),
			virt("10.1.1.11:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}),
		)
		h.d.Reload(cfg2)
		synctest.Wait()
		got := h.ops()
		for _, op := range got {
			if strings.HasPrefix(op, "-D -t 10.1.1.10:80") || strings.HasPrefix(op, "-d -t 10.1.1.10:80 -r 10.0.0.2:80") {
				t.Errorf("reload deleted what stays: %s", op)
			}
		}
		if diff := cmp.Diff([]string{
			"-E -t 10.1.1.10:80 -s rr",
			"-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 5",
			"-d -t 10.1.1.10:80 -r 10.0.0.3:80",
			"-A -t 10.1.1.11:80 -s wrr",
			"-a -t 10.1.1.11:80 -r 10.0.0.2:80 -g -w 1", // known up: no wait for a check
			"-a -t 10.1.1.10:80 -r 10.0.0.4:80 -g -w 1", // new check, after its first result
		}, got); diff != "" {
			t.Errorf("reload ops (-want +got):\n%s", diff)
		}
		h.expectLogs("Changed virtual server: 10.1.1.10:80",
			"Restored real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 5)",
			"Purged real server (start): 10.0.0.3:80 (10.1.1.10:80)")
		after := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80")
		if !after.LastChange.Equal(before.LastChange) || after.State != Up {
			t.Errorf("check state not kept: before %+v after %+v", before, after)
		}
		if c := fc.callCount("10.0.0.2:80"); c != calls {
			t.Errorf("kept check was restarted: %d calls, want %d", c, calls)
		}
		h.stop()
	})
}

func TestRunCleanStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		kernel := "TCP 10.1.1.11:80 wrr\n -> 10.0.0.2:80 Route 3\nTCP 10.9.9.9:80 rr\n -> 10.0.0.9:80 Masq 1"
		cfg := conf(
			virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}),
			virt("10.1.1.11:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}),
			virt("10.1.1.12:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.CleanStop = false }),
		)
		h := start(t, kernel, cfg, fc)
		h.ops()
		h.logs.take()
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		h.expectOps(
			"-d -t 10.1.1.10:80 -r 10.0.0.2:80",
			"-D -t 10.1.1.10:80",
			"-d -t 10.1.1.11:80 -r 10.0.0.2:80", // adopted service: our real goes, the service stays
		)
		h.expectLogs("Purged real server (stop): 10.0.0.2:80 (10.1.1.10:80)", "Purged virtual server (stop): 10.1.1.10:80")
		want := ipvstest.Header + "TCP  10.1.1.11:80 wrr\n" +
			"TCP  10.1.1.12:80 wrr\n  -> 10.0.0.2:80                  Route   1      0          0\n" +
			"TCP  10.9.9.9:80 rr\n  -> 10.0.0.9:80                  Masq    1      0          0\n"
		if diff := cmp.Diff(want, h.k.String()); diff != "" {
			t.Errorf("table after stop (-want +got):\n%s", diff)
		}
	})
}

func TestRunHangingCheckDelaysNoOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.hang[ap("10.0.0.2:80")] = true
		fc.set("10.0.0.3:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)}))
		h := start(t, "", cfg, fc)
		start := time.Now()
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 1")
		if rs := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80"); rs.State != Unknown {
			t.Errorf("hanging real state = %v, want unknown until its timeout", rs.State)
		}
		h.advance(5 * time.Second)
		rs := realStatus(t, h.d, "tcp:10.1.1.10:80", "10.0.0.2:80")
		if rs.State != Down || rs.LastError != "timeout" || rs.LastCheck.Sub(start) != 5*time.Second {
			t.Errorf("hanging real after checktimeout = %+v", rs)
		}
		h.stop()
	})
}

func TestRunRepairsDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		fc.set("10.0.0.3:80", true)
		cfg := conf(
			virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}),
			virt("10.1.1.11:80", []ldcf.Real{rl("10.0.0.3:80", 1, ldcf.Gate)}),
		)
		h := start(t, "", cfg, fc)
		h.ops()
		// Behind the director's back: a service vanishes, a weight is
		// changed by hand, a real is added by hand.
		h.k.DelService(keyOf(t, "TCP 10.1.1.10:80"))
		h.k.UpdateReal(keyOf(t, "TCP 10.1.1.11:80"), ipvs.Real{Addr: ap("10.0.0.3:80"), Forward: ipvs.Gate, Weight: 7})
		h.k.AddReal(keyOf(t, "TCP 10.1.1.11:80"), ipvs.Real{Addr: ap("10.0.0.8:80"), Forward: ipvs.Gate, Weight: 1})
		h.ops()
		h.advance(60 * time.Second)
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		h.stop()
	})
}

func TestRunRetriesFailedOp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}))
		h := start(t, "", cfg, fc)
		h.ops()
		fc.set("10.0.0.2:80", false)
		h.k.FailNext(syscall.EBUSY)
		h.advance(10 * time.Second)
		h.expectOps()
		if s := h.d.Status(); !strings.Contains(s.SyncError, "device or resource busy") {
			t.Errorf("SyncError = %q, want the failure", s.SyncError)
		}
		h.advance(time.Second)
		h.expectOps("-d -t 10.1.1.10:80 -r 10.0.0.2:80")
		if s := h.d.Status(); s.SyncError != "" {
			t.Errorf("SyncError after repair = %q", s.SyncError)
		}
		h.stop()
	})
}

func TestStatusJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)}))
		h := start(t, "", cfg, fc)
		b, err := json.Marshal(h.d.Status())
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		v := got["virtuals"].([]any)[0].(map[string]any)
		reals := v["reals"].([]any)
		r2, r3 := reals[0].(map[string]any), reals[1].(map[string]any)
		checks := []struct {
			name      string
			got, want any
		}{
			{"name", v["name"], "tcp:10.1.1.10:80"},
			{"service", v["service"], "TCP  10.1.1.10:80 wrr"},
			{"in_kernel", v["in_kernel"], true},
			{"created", v["created"], true},
			{"up state", r2["state"], "up"},
			{"up kernel weight", r2["kernel_weight"], 1.0},
			{"down state", r3["state"], "down"},
			{"down last_error", r3["last_error"], "connection refused"},
			{"down desired_weight", r3["desired_weight"], nil},
			{"down kernel_weight", r3["kernel_weight"], nil},
		}
		for _, c := range checks {
			if !cmp.Equal(c.got, c.want) {
				t.Errorf("%s = %v, want %v (json %s)", c.name, c.got, c.want, b)
			}
		}
		h.stop()
	})
}

func TestRunStartRetriedWhenKernelUnreadable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.gate = make(chan struct{})
		k := &ipvstest.Kernel{}
		k.FailNext(syscall.EIO)
		h := &harness{t: t, k: k, fc: fc, logs: newLogRecorder(), cmds: &cmdRecorder{}, done: make(chan error, 1)}
		if err := k.Load("TCP 10.1.1.10:80 wrr\n -> 10.0.0.9:80 Route 1"); err != nil {
			t.Fatal(err)
		}
		h.d = New(Config{Kernel: k, Checkers: check.Registry{{Type: ldcf.CheckConnect}: fc}, Logger: slogNew(h.logs),
			RunCommand: h.cmds.run, Jitter: func(time.Duration) time.Duration { return 0 }})
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go func() {
			h.done <- h.d.Run(ctx, conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)})))
		}()
		synctest.Wait()
		h.expectOps()
		h.advance(time.Second)
		// The retry is still a start-up: the untracked real is purged.
		h.expectOps("-d -t 10.1.1.10:80 -r 10.0.0.9:80")
		close(fc.gate)
		h.stop()
	})
}

// TestRunReaddQuiescent: a quiescent real that someone deleted from the
// kernel comes back at weight 0 at the next repair with readdquiescent=yes,
// and stays out without it (ldirectord _remove_service).
func TestRunReaddQuiescent(t *testing.T) {
	for _, readd := range []bool{true, false} {
		t.Run(fmt.Sprintf("readdquiescent=%v", readd), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fc := newFakeChecker()
				cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.Quiescent = true }))
				cfg.Global.ReaddQuiescent = readd
				h := start(t, "", cfg, fc)
				h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0")
				h.k.DelReal(keyOf(t, "TCP 10.1.1.10:80"), ap("10.0.0.2:80"))
				h.ops()
				h.advance(60 * time.Second)
				if readd {
					h.expectOps("-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0")
				} else {
					h.expectOps()
				}
				h.stop()
			})
		})
	}
}

// TestRunCheckInterval: each real is checked once per checkinterval.
func TestRunCheckInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		cfg := conf(
			virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.CheckInterval = 3 * time.Second }),
			virt("10.1.1.11:80", []ldcf.Real{rl("10.0.0.3:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.CheckInterval = 10 * time.Second }),
		)
		h := start(t, "", cfg, fc)
		h.advance(30*time.Second - time.Millisecond)
		if a, b := fc.callCount("10.0.0.2:80"), fc.callCount("10.0.0.3:80"); a != 10 || b != 3 {
			t.Errorf("checks in 30 s: %d at 3 s and %d at 10 s, want 10 and 3", a, b)
		}
		h.stop()
	})
}
