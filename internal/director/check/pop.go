package check

import (
	"context"
	"fmt"
	"strings"
)

// POP is the negotiate check of services pop and pops (ldirectord
// check_pop, Mail::POP3Client): the greeting must be +OK and, when login=
// is set, USER and PASS must be accepted. pops speaks TLS from the start,
// without certificate verification.
//
// ldirectord reports a pop real without login= up even when it cannot
// connect (Mail::POP3Client->new never fails); we want the +OK greeting.
type POP struct{ TLS bool }

// Check greets t's server, logs in when asked to, and quits.
func (p POP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return p.check(ctx, t) })
}

func (p POP) check(ctx context.Context, t Target) error {
	name := "pop"
	if p.TLS {
		name = "pops"
	}
	c, err := dialConn(ctx, "tcp", t.Addr(), p.TLS)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.popExchange(name, t)
}

// popExchange is the POP3 conversation after the dial.
func (c *conn) popExchange(name string, t Target) error {
	if err := c.popOK(""); err != nil {
		return fmt.Errorf("%s: greeting: %w", name, err)
	}
	if t.Auth.Login != "" {
		if err := c.popOK("USER " + t.Auth.Login); err != nil {
			return fmt.Errorf("%s: USER: %w", name, err)
		}
		if err := c.popOK("PASS " + t.Auth.Passwd); err != nil {
			return fmt.Errorf("%s: PASS: %w", name, err)
		}
	}
	c.popOK("QUIT")
	return nil
}

// popOK sends line (unless empty) and wants a "+OK" answer.
func (c *conn) popOK(line string) error {
	if line != "" {
		if err := c.writeLine(line); err != nil {
			return err
		}
	}
	resp, err := c.readLine()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(resp, "+OK") {
		return fmt.Errorf("%q", truncate(resp))
	}
	return nil
}
