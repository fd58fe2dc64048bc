package director

import (
	"context"
	"fmt"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Bounds of the alert mail queue. A mail that cannot be delivered within
// mailTimeout is given up and logged; 64 queued mails cover a whole
// virtual of reals going down at once behind a slow relay, and more are
// dropped (and logged) rather than delaying the checks.
const (
	mailQueueSize = 64
	mailTimeout   = 30 * time.Second
	mailStopGrace = 10 * time.Second // the stop's alerts still go out
	resendPeriod  = time.Second      // how often repeats are looked at (ldirectord: every checkinterval)
)

// alert mails about an applied op, as ldirectord's _restore_service,
// _remove_service and purge_untracked_service do, and starts or stops
// repeating it.
func (e *engine) alert(op Op, phase string) {
	subject := alertSubject(op, phase)
	if subject == "" {
		return
	}
	v := e.virt[op.Service.Key]
	if v == nil {
		return // a service no longer configured
	}
	e.repeats.note(op, v, time.Now())
	e.sendAlert(v, subject)
}

// sendAlert queues the mail about subject for v, if v mails in the current
// daemon state. Delivery runs on the mail queue's goroutine.
func (e *engine) sendAlert(v *ldcf.Virtual, subject string) {
	m, ok := composeAlert(v, e.cfg.Global.EmailAlertFrom, subject, e.daemonState,
		alertIdentity{Host: e.c.Hostname, User: e.c.User}, time.Now())
	if !ok {
		return
	}
	e.log.Info(fmt.Sprintf(msgEmailAlert, subject))
	send, log := e.c.SendMail, e.log
	e.mail.enqueue(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, mailTimeout)
		defer cancel()
		if err := send(ctx, m); err != nil {
			msg := msgMailFailed
			if m.Relay != "" {
				msg = msgSMTPFailed
			}
			log.Error(msg, "subject", m.Subject, "err", err)
		}
	})
}

// resendAlerts repeats the alerts that are due (ld_emailalert_resend).
func (e *engine) resendAlerts() {
	for _, a := range e.repeats.due(time.Now()) {
		e.sendAlert(a.v, a.subject)
	}
}

// resendTicker returns the ticker that drives resendAlerts: running while
// there are alerts to repeat, nil otherwise.
func (e *engine) resendTicker(t *time.Ticker) *time.Ticker {
	switch {
	case len(e.repeats) > 0 && t == nil:
		return time.NewTicker(resendPeriod)
	case len(e.repeats) == 0 && t != nil:
		t.Stop()
		return nil
	}
	return t
}

// tickerC is t's channel, or nil (never ready) for a nil ticker.
func tickerC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}
