package check

import (
	"context"
	"fmt"
	"strconv"
)

// SMTP is the negotiate check of services smtp and submission (ldirectord
// check_smtp, i.e. Net::SMTP->new then quit): the greeting must be 2xx and
// so must the answer to EHLO, or to HELO when the server rejects EHLO.
type SMTP struct{}

// Check greets t's server and quits.
func (SMTP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSMTP(ctx, t) })
}

// smtpHello is the domain Net::SMTP introduces itself with.
const smtpHello = "localhost.localdomain"

func checkSMTP(ctx context.Context, t Target) error {
	c, err := dialConn(ctx, "tcp", t.Addr(), false)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.smtpExchange()
}

// smtpExchange is the SMTP conversation after the dial.
func (c *conn) smtpExchange() error {
	if err := c.expect("", 2); err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	code, text, err := c.command("EHLO " + smtpHello)
	if err == nil && code/100 == 5 {
		code, text, err = c.command("HELO " + smtpHello)
	}
	switch {
	case err != nil:
		return fmt.Errorf("smtp: EHLO: %w", err)
	case code/100 != 2:
		return fmt.Errorf("smtp: EHLO: %d %s", code, text)
	}
	c.command("QUIT")
	return nil
}

// command sends line (unless it is empty) and reads the reply of a
// protocol with three-digit codes (SMTP, FTP).
func (c *conn) command(line string) (code int, text string, err error) {
	if line != "" {
		if err := c.writeLine(line); err != nil {
			return 0, "", err
		}
	}
	return c.readReply()
}

// expect runs command and wants a reply of class class (2 = 2xx).
func (c *conn) expect(line string, class int) error {
	code, text, err := c.command(line)
	switch {
	case err != nil:
		return err
	case code/100 != class:
		return fmt.Errorf("%d %s", code, text)
	}
	return nil
}

// maxReplyLines bounds a multi-line reply.
const maxReplyLines = 1000

// readReply reads one reply: "250-first" lines continue it, "250 last"
// ends it (RFC 5321 §4.2, RFC 959 §4.2). text is the first line's text.
func (c *conn) readReply() (code int, text string, err error) {
	for i := 0; i < maxReplyLines; i++ {
		line, err := c.readLine()
		if err != nil {
			return 0, "", err
		}
		n, lerr := strconv.Atoi(line[:min(3, len(line))])
		if len(line) < 3 || lerr != nil || n < 100 || n > 599 {
			if i == 0 {
				return 0, "", fmt.Errorf("bad reply %q", truncate(line))
			}
			continue // a continuation line of an FTP reply
		}
		if i == 0 {
			code, text = n, trimCode(line)
		}
		if n == code && (len(line) == 3 || line[3] == ' ') {
			return code, text, nil
		}
	}
	return 0, "", fmt.Errorf("reply longer than %d lines", maxReplyLines)
}

func trimCode(line string) string {
	if len(line) > 4 {
		return line[4:]
	}
	return ""
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
