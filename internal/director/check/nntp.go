package check

import (
	"context"
	"fmt"
)

// NNTP is the negotiate check of service nntp (ldirectord check_nntp): the
// first bytes the server sends must start with "2" (a 200 or 201
// greeting). Nothing is sent.
type NNTP struct{}

// Check reads t's greeting.
func (NNTP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error {
		c, err := dialConn(ctx, "tcp", t.Addr(), false)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.nntpGreeting()
	})
}

// nntpGreeting reads and judges the greeting.
func (c *conn) nntpGreeting() error {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if n == 0 && err != nil {
		return fmt.Errorf("nntp: greeting: %w", netErr(c.ctx, err))
	}
	if n == 0 || buf[0] != '2' {
		return fmt.Errorf("nntp: greeting: %q", truncate(string(buf[:n])))
	}
	return nil
}
