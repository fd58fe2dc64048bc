package check

import (
	"context"
	"fmt"
	"strings"
)

// IMAP is the negotiate check of services imap and imaps (ldirectord
// check_imap and check_imaps, Net::IMAP::Simple): the greeting must be
// "* OK" (or "* PREAUTH") and, when login= is set, LOGIN must succeed.
// imaps speaks TLS from the start, without certificate verification.
type IMAP struct{ TLS bool }

// Check greets t's server, logs in when asked to, and logs out.
func (m IMAP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return m.check(ctx, t) })
}

func (m IMAP) check(ctx context.Context, t Target) error {
	name := "imap"
	if m.TLS {
		name = "imaps"
	}
	c, err := dialConn(ctx, "tcp", t.Addr(), m.TLS)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.imapExchange(name, t)
}

// imapExchange is the IMAP conversation after the dial.
func (c *conn) imapExchange(name string, t Target) error {
	greeting, err := c.readLine()
	if err != nil {
		return fmt.Errorf("%s: greeting: %w", name, err)
	}
	if !strings.HasPrefix(greeting, "* OK") && !strings.HasPrefix(greeting, "* PREAUTH") {
		return fmt.Errorf("%s: greeting: %q", name, truncate(greeting))
	}
	if t.Auth.Login != "" {
		if err := c.imapTagged("a1", "LOGIN "+imapQuote(t.Auth.Login)+" "+imapQuote(t.Auth.Passwd)); err != nil {
			return fmt.Errorf("%s: LOGIN: %w", name, err)
		}
	}
	c.imapTagged("a2", "LOGOUT")
	return nil
}

// imapTagged sends a tagged command and wants its tagged OK, skipping
// untagged lines.
func (c *conn) imapTagged(tag, cmd string) error {
	if err := c.writeLine(tag + " " + cmd); err != nil {
		return err
	}
	for i := 0; i < maxReplyLines; i++ {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if !strings.HasPrefix(strings.ToUpper(rest), "OK") {
				return fmt.Errorf("%q", truncate(rest))
			}
			return nil
		}
	}
	return fmt.Errorf("no tagged answer in %d lines", maxReplyLines)
}

// imapQuote is an IMAP quoted string (RFC 3501 §4.3).
func imapQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
