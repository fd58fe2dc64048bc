package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Connect is checktype=connect: the real is up when a TCP connection to
// real:checkport completes within the timeout (ldirectord check_connect).
// For UDP virtuals ldirectord pings instead; that is not implemented here
// yet and is reported as such.
type Connect struct{}

// Check dials t.Addr() over TCP, bounded by ctx and t.Timeout, and closes
// the connection at once.
func (Connect) Check(ctx context.Context, t Target) Result {
	start := time.Now()
	if t.Protocol == "udp" {
		return Down("check connect of a udp virtual (ping): not implemented until the checks task", start)
	}
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.Timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.Addr().String())
	if err != nil {
		var ne net.Error
		if errors.Is(ctx.Err(), context.Canceled) {
			return Down(fmt.Sprintf("connect %s: cancelled", t.Addr()), start)
		}
		if errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
			return Down(fmt.Sprintf("connect %s: timeout after %s", t.Addr(), time.Since(start).Round(time.Millisecond)), start)
		}
		return Down(fmt.Sprintf("connect %s: %v", t.Addr(), unwrapOp(err)), start)
	}
	conn.Close()
	return Result{Up: true, Duration: time.Since(start)}
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
