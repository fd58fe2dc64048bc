package director

// This file delivers alert mails: over SMTP to smtp=, or through the local
// sendmail when smtp= is unset (ldirectord: Net::SMTP, or Mail::Send).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"
)

// DefaultSendmail is the local mailer used when smtp= is unset, as
// Mail::Mailer runs it: recipients from the headers (-t), a lone "." does
// not end the message (-oi).
var DefaultSendmail = []string{"/usr/sbin/sendmail", "-t", "-oi"}

// MailDelivery sends Mails. The zero value uses DefaultSendmail.
type MailDelivery struct {
	// Sendmail is the argv of the local mailer, fed the message on stdin.
	Sendmail []string
}

// Send delivers m, bounded by ctx: over SMTP when m.Relay is set (no
// STARTTLS or AUTH, as ldirectord's Net::SMTP), else through the local
// sendmail.
func (d MailDelivery) Send(ctx context.Context, m Mail) error {
	if m.Relay != "" {
		return sendSMTP(ctx, m)
	}
	argv := d.Sendmail
	if len(argv) == 0 {
		argv = DefaultSendmail
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = bytes.NewReader(m.Message)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sendmail %s: %w: %s", argv[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// sendSMTP is ld_emailalert_net_smtp: MAIL FROM user@host, one RCPT per
// address of emailalert=, the message, QUIT.
func sendSMTP(ctx context.Context, m Mail) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Relay)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", m.Relay, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	host, _, _ := net.SplitHostPort(m.Relay)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp %s: greeting: %w", m.Relay, err)
	}
	defer c.Close()
	_, helo, _ := strings.Cut(m.EnvelopeFrom, "@")
	fail := func(what string, err error) error { return fmt.Errorf("smtp %s: %s: %w", m.Relay, what, err) }
	if err := c.Hello(helo); err != nil {
		return fail("HELO", err)
	}
	if err := c.Mail(m.EnvelopeFrom); err != nil {
		return fail("MAIL FROM", err)
	}
	for _, r := range m.Rcpt {
		if err := c.Rcpt(r); err != nil {
			return fail("RCPT TO "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(m.Message); err != nil {
		w.Close()
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return fail("end of DATA", err)
	}
	if err := c.Quit(); err != nil {
		return fail("QUIT", err)
	}
	return nil
}

// localIdentity is who this host sends alerts as: its name and the user
// the daemon runs as (ldirectord: hostname, getpwuid($<)).
func localIdentity() alertIdentity {
	id := alertIdentity{Host: "localhost", User: "root"}
	if h, err := os.Hostname(); err == nil && h != "" {
		id.Host = h
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		id.User = u.Username
	}
	return id
}
