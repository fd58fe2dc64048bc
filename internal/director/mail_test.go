package director

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// liveDirector runs a Director in real time (real sockets cannot live in
// a synctest bubble) with the fake kernel and checker, checking every
// 50 ms, until the test ends.
type liveDirector struct {
	k    *ipvstest.Kernel
	fc   *fakeChecker
	logs logRecorder
	stop func() error
}

func runLive(t *testing.T, cfg *ldcf.Config, c Config) *liveDirector {
	t.Helper()
	l := &liveDirector{k: &ipvstest.Kernel{}, fc: newFakeChecker(), logs: newLogRecorder()}
	c.Kernel, c.Checkers, c.Logger = l.k, check.Registry{{Type: ldcf.CheckConnect}: l.fc}, slogNew(l.logs)
	c.Jitter = func(time.Duration) time.Duration { return 0 }
	for _, v := range cfg.Virtuals {
		v.CheckInterval = 50 * time.Millisecond
	}
	d := New(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, cfg) }()
	stopped := false
	l.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// waitFor polls cond every 10 ms for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAlertsThroughExim sends the director's alerts over SMTP to a real
// Exim started by the test: the real coming up and going down each arrive
// in the mailbox with ldirectord's headers and body.
func TestAlertsThroughExim(t *testing.T) {
	mta := checktest.Exim(t)
	cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
		v.EmailAlert, v.EmailAlertStatus, v.SMTP = "Ops <ops@example.com>, noc@example.com", "all", mta.Addr.String()
		v.ServiceName = "Web Site"
	}))
	cfg.Global.EmailAlertFrom = "ldirectord <alerts@lb1.example.com>"
	l := runLive(t, cfg, Config{Hostname: "lb1.example.com", User: "root"})
	l.fc.set("10.0.0.2:80", true)
	waitFor(t, "the real added", func() bool { return len(l.k.Ops()) == 2 })
	box := mta.WaitMailbox(t, 2, 20*time.Second) // one per recipient
	l.fc.set("10.0.0.2:80", false)
	waitFor(t, "the real deleted", func() bool { return len(l.k.Ops()) == 3 })
	box = mta.WaitMailbox(t, 4, 20*time.Second)
	for _, want := range []string{
		"envelope-from <root@lb1.example.com>",
		"Envelope-to: ops@example.com\n", "Envelope-to: noc@example.com\n",
		"From: ldirectord <alerts@lb1.example.com>\nTo: Ops <ops@example.com>, noc@example.com\n" +
			"Subject: [Web Site] Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)\n",
		"\n\nldirectord host: lb1.example.com\nLog-Message: [Web Site] Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)\n" +
			"Daemon-Status: running\n\nService name: Web Site\n\n",
		"Subject: [Web Site] Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\n",
		"Log-Message: [Web Site] Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\nDaemon-Status: running\n",
	} {
		if !strings.Contains(box, want) {
			t.Errorf("mailbox lacks %q:\n%s", want, box)
		}
	}
}

// TestAlertThroughSendmail delivers an alert without smtp=, through the
// sendmail interface of a real Exim (as ldirectord's Mail::Send used the
// local sendmail).
func TestAlertThroughSendmail(t *testing.T) {
	mta := checktest.Exim(t)
	v := virt("10.1.1.10:80", nil, func(v *ldcf.Virtual) { v.EmailAlert, v.EmailAlertStatus = "ops@example.com, noc@example.com", "all" })
	m, ok := composeAlert(v, "", "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)", statusRunning,
		alertIdentity{Host: "lb1.example.com", User: "root"}, time.Now())
	if !ok || m.Relay != "" {
		t.Fatalf("composeAlert = %+v, %v; want a mail for the local sendmail", m, ok)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := (MailDelivery{Sendmail: mta.Sendmail}).Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	box := mta.WaitMailbox(t, 2, 20*time.Second)
	for _, want := range []string{"Envelope-to: ops@example.com\n", "Envelope-to: noc@example.com\n",
		"Subject: Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\n",
		"\nldirectord host: lb1.example.com\nLog-Message: Deleted real server: 10.0.0.2:80 (10.1.1.10:80)\nDaemon-Status: running\n"} {
		if !strings.Contains(box, want) {
			t.Errorf("mailbox lacks %q:\n%s", want, box)
		}
	}
}

// TestAlertRelayUnreachable: with nothing listening at smtp=, each alert
// fails and is logged with ldirectord's words, and the checks go on: the
// real still goes down and comes back in the kernel.
func TestAlertRelayUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) {
		v.EmailAlert, v.EmailAlertStatus, v.SMTP = "ops@example.com", "all", closed
	}))
	l := runLive(t, cfg, Config{})
	l.fc.set("10.0.0.2:80", true)
	waitFor(t, "the real added", func() bool { return len(l.k.Ops()) == 2 })
	l.fc.set("10.0.0.2:80", false)
	waitFor(t, "the real deleted", func() bool { return len(l.k.Ops()) == 3 })
	l.fc.set("10.0.0.2:80", true)
	waitFor(t, "the real added again", func() bool { return len(l.k.Ops()) == 4 })
	failed := 0
	waitFor(t, "three failed mails logged", func() bool {
		for _, m := range l.logs.take() {
			if m == msgSMTPFailed {
				failed++
			}
		}
		return failed >= 3
	})
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
}
