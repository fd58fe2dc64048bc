package director

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// TestComposeAlert pins the mail ldirectord's ld_emailalert_net_smtp
// writes, word for word.
func TestComposeAlert(t *testing.T) {
	now := time.Date(2026, 12, 6, 5, 32, 42, 0, time.UTC)
	id := alertIdentity{Host: "lb1.example.com", User: "root"}
	v := virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) {
		v.EmailAlert, v.EmailAlertStatus, v.SMTP = "Ops <ops@example.com>, noc@example.com", "all", "mail.example.com"
	})
	m, ok := composeAlert(v, "", "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)", statusRunning, id, now)
	if !ok {
		t.Fatal("no mail")
	}
	want := Mail{
		Relay: "mail.example.com:25", EnvelopeFrom: "root@lb1.example.com", Rcpt: []string{"ops@example.com", "noc@example.com"},
		Subject: "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)",
		Message: []byte("From: root@lb1.example.com\nTo: Ops <ops@example.com>, noc@example.com\n" +
			"Subject: Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\nDate: Sun, 06 Dec 2026 05:32:42 +0000\n\n" +
			"ldirectord host: lb1.example.com\nLog-Message: Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\nDaemon-Status: running\n"),
	}
	if diff := cmp.Diff(want, m, cmp.Transformer("str", func(b []byte) string { return string(b) })); diff != "" {
		t.Errorf("mail (-want +got):\n%s", diff)
	}

	v.ServiceName, v.Comment, v.SMTP = "Web Site", "call the web team", ""
	m, _ = composeAlert(v, `"ldirectord Alerts" <alerts@example.com>`, "Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)", statusStarting, id, now)
	wantText := "From: \"ldirectord Alerts\" <alerts@example.com>\nTo: Ops <ops@example.com>, noc@example.com\n" +
		"Subject: [Web Site] Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)\nDate: Sun, 06 Dec 2026 05:32:42 +0000\n\n" +
		"ldirectord host: lb1.example.com\nLog-Message: [Web Site] Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)\n" +
		"Daemon-Status: starting\n\nService name: Web Site\nComment: call the web team\n\n"
	if diff := cmp.Diff(wantText, string(m.Message)); diff != "" {
		t.Errorf("message with details (-want +got):\n%s", diff)
	}
	if m.Relay != "" || m.EnvelopeFrom != "root@lb1.example.com" {
		t.Errorf("without smtp= relay %q envelope %q, want the local sendmail and root@lb1.example.com", m.Relay, m.EnvelopeFrom)
	}
}

// TestAlertFilters: no emailalert, or a daemon state that
// emailalertstatus excludes, sends nothing.
func TestAlertFilters(t *testing.T) {
	id := alertIdentity{Host: "h", User: "u"}
	for _, tc := range []struct {
		to, filter, state string
		want              bool
	}{
		{"", "all", statusRunning, false},
		{"a@b.c", "all", statusStopping, true},
		{"a@b.c", "none", statusRunning, false},
		{"a@b.c", "starting,running", statusRunning, true},
		{"a@b.c", "starting,running", statusReloading, false},
		{"a@b.c", "stopping", statusStopping, true},
	} {
		v := virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) { v.EmailAlert, v.EmailAlertStatus = tc.to, tc.filter })
		if _, got := composeAlert(v, "", "s", tc.state, id, time.Time{}); got != tc.want {
			t.Errorf("to %q status %q in state %s: mail = %v, want %v", tc.to, tc.filter, tc.state, got, tc.want)
		}
	}
}

// TestAlertSubject: which ops mail, with which subject.
func TestAlertSubject(t *testing.T) {
	svc := ipvs.Service{Key: ipvs.ServiceKey{Proto: ipvs.TCP, Addr: ap("10.1.1.10:80")}}
	r := func(w int) ipvs.Real { return ipvs.Real{Addr: ap("10.0.0.2:80"), Weight: w} }
	for _, tc := range []struct {
		op    Op
		phase string
		want  string
		down  bool
	}{
		{Op{Kind: AddService, Service: svc}, phaseStart, "", false},
		{Op{Kind: AddReal, Service: svc, Real: r(1), Role: RoleReal}, phaseEvent, "Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)", false},
		{Op{Kind: UpdateReal, Service: svc, Real: r(3), Role: RoleReal}, phaseEvent, "Restored real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 3)", false},
		{Op{Kind: UpdateReal, Service: svc, Real: r(0), Role: RoleReal}, phaseEvent, "Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)", true},
		{Op{Kind: AddReal, Service: svc, Real: r(0), Role: RoleReal}, phaseRepair, "Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)", true},
		{Op{Kind: DelReal, Service: svc, Real: r(0), Role: RoleReal}, phaseEvent, "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)", true},
		{Op{Kind: DelReal, Service: svc, Real: r(0), Role: RoleFallback}, phaseEvent, "Deleted fallback server: 10.0.0.2:80 (10.1.1.10:80)", false},
		{Op{Kind: UpdateReal, Service: svc, Real: r(0), Role: RoleFallback}, phaseEvent, "Quiescent fallback server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)", true},
		{Op{Kind: DelReal, Service: svc, Real: r(0)}, phaseStop, "Purged real server (stop): 10.0.0.2:80 (10.1.1.10:80)", false},
	} {
		if got := alertSubject(tc.op, tc.phase); got != tc.want {
			t.Errorf("%s in %q: subject %q, want %q", tc.op, tc.phase, got, tc.want)
		}
		if got := alertDown(tc.op); got != tc.down {
			t.Errorf("%s: repeats %v, want %v", tc.op, got, tc.down)
		}
	}
}

// mailRecorder is a SendMail that keeps every mail; with block set it
// waits for its context instead (a hung relay).
type mailRecorder struct {
	mu    sync.Mutex
	mails []Mail
	block bool
}

func (m *mailRecorder) send(ctx context.Context, mail Mail) error {
	m.mu.Lock()
	block := m.block
	m.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, mail)
	return nil
}

// take returns "subject | Daemon-Status" of the mails since the last take.
func (m *mailRecorder) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, x := range m.mails {
		_, st, _ := strings.Cut(string(x.Message), "Daemon-Status: ")
		st, _, _ = strings.Cut(st, "\n")
		out = append(out, x.Subject+" | "+st)
	}
	m.mails = nil
	return out
}

// TestRunEmailAlerts runs the director with emailalert: a real coming up,
// going down (repeated every emailalertfreq while down), back up, and the
// clean stop each mail in their daemon state.
func TestRunEmailAlerts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		mr := &mailRecorder{}
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
			v.EmailAlert, v.EmailAlertStatus, v.EmailAlertFreq = "ops@example.com", "all", 25*time.Second
		}))
		h := start(t, "", cfg, fc, func(c *Config) { c.SendMail = mr.send })
		if diff := cmp.Diff([]string{"Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1) | running"}, mr.take()); diff != "" {
			t.Errorf("start mails (-want +got):\n%s", diff)
		}
		h.expectLogs("Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)",
			"emailalert: Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)")

		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.advance(24 * time.Second) // 24 s after the down: not yet repeated
		if diff := cmp.Diff([]string{"Deleted real server: 10.0.0.2:80 (10.1.1.10:80) | running"}, mr.take()); diff != "" {
			t.Errorf("down mails (-want +got):\n%s", diff)
		}
		h.advance(2 * time.Second)
		h.advance(25 * time.Second)
		if diff := cmp.Diff([]string{"Inaccessible real server: 10.0.0.2:80 (10.1.1.10:80) | running",
			"Inaccessible real server: 10.0.0.2:80 (10.1.1.10:80) | running"}, mr.take()); diff != "" {
			t.Errorf("repeats (-want +got):\n%s", diff)
		}
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.advance(60 * time.Second) // up: no more repeats
		if diff := cmp.Diff([]string{"Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1) | running"}, mr.take()); diff != "" {
			t.Errorf("up mails (-want +got):\n%s", diff)
		}
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"Purged real server (stop): 10.0.0.2:80 (10.1.1.10:80) | stopping"}, mr.take()); diff != "" {
			t.Errorf("stop mails (-want +got):\n%s", diff)
		}
	})
}

// TestRunEmailAlertStatusFilter: emailalertstatus=stopping mails only the
// clean stop's changes.
func TestRunEmailAlertStatusFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		mr := &mailRecorder{}
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
			v.EmailAlert, v.EmailAlertStatus = "ops@example.com", "stopping"
		}))
		h := start(t, "", cfg, fc, func(c *Config) { c.SendMail = mr.send })
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1",
			"-d -t 10.1.1.10:80 -r 10.0.0.2:80", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		if got := mr.take(); len(got) != 0 {
			t.Errorf("mails while running with emailalertstatus=stopping: %q", got)
		}
		h.stop()
		if diff := cmp.Diff([]string{"Purged real server (stop): 10.0.0.2:80 (10.1.1.10:80) | stopping"}, mr.take()); diff != "" {
			t.Errorf("stop mails (-want +got):\n%s", diff)
		}
	})
}

// TestRunHungMailDoesNotBlockChecks: a relay that never answers holds the
// mail queue, not the checks: every transition still reaches the kernel,
// mails beyond the queue are dropped and logged, and stop gives up on the
// rest after its grace period.
func TestRunHungMailDoesNotBlockChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		mr := &mailRecorder{block: true}
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
			v.EmailAlert, v.EmailAlertStatus, v.CheckInterval = "ops@example.com", "all", time.Second
		}))
		h := start(t, "", cfg, fc, func(c *Config) { c.SendMail = mr.send })
		h.ops()
		flaps := mailQueueSize + 10 // faster than mailTimeout can drain them
		for i := range flaps {
			fc.set("10.0.0.2:80", i%2 == 0)
			h.advance(time.Second)
		}
		if got := len(h.ops()); got != flaps {
			t.Errorf("%d kernel ops for %d transitions while the relay hangs", got, flaps)
		}
		dropped := 0
		for _, l := range h.logs.take() {
			if l == "emailalert dropped: queue full" {
				dropped++
			}
		}
		if dropped == 0 {
			t.Error("no mail dropped although the queue was full")
		}
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
	})
}
