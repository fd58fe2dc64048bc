package check

import (
	"context"
	"errors"
	"net"
)

// Connect is checktype=connect: the real is up when a TCP connection to
// real:checkport completes within checktimeout (ldirectord check_connect).
// For a UDP virtual ldirectord pings the real instead, and so do we.
type Connect struct{}

// Check dials t.Addr() over TCP and closes the connection at once; for a
// UDP virtual it runs the Ping check.
func (Connect) Check(ctx context.Context, t Target) Result {
	if t.Protocol == "udp" {
		return Ping{}.Check(ctx, t)
	}
	return run(ctx, t.Timeout, func(ctx context.Context) error { return connectOnce(ctx, "tcp", t) })
}

// connectOnce opens and closes one connection to t.Addr().
func connectOnce(ctx context.Context, network string, t Target) error {
	c, err := dialConn(ctx, network, t.Addr(), false)
	if err != nil {
		return err
	}
	return c.Close()
}

// unwrapOp strips net.OpError's address prefix, which the caller already
// names: "dial tcp 127.0.0.1:1: connect: connection refused" → "connection refused".
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
