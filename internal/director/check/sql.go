package check

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// checkSQL is ldirectord's check_sql for mysql and pgsql: log in with
// login= and passwd= to database=, run request= (without its leading "/")
// and want at least one row. login= and request= are required.
func checkSQL(ctx context.Context, name string, t Target, open func(context.Context, Target) (driver.Conn, error)) error {
	query := requestPath(t)
	if t.Login == "" || query == "" {
		return fmt.Errorf("%s: login= and request= (an SQL query) are required", name)
	}
	dc, err := open(ctx, t)
	if err != nil {
		return sqlErr(ctx, name, err)
	}
	defer dc.Close()
	q, ok := dc.(driver.QueryerContext)
	if !ok {
		return fmt.Errorf("%s: driver cannot run queries", name)
	}
	rows, err := q.QueryContext(ctx, query, nil)
	if err != nil {
		return sqlErr(ctx, name+": query", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	switch err := rows.Next(dest); {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: query returned no rows", name)
	case err != nil:
		return sqlErr(ctx, name+": query", err)
	}
	return nil
}

// sqlErr describes a driver error: the network ones like every check's,
// the server's own as the driver words them.
func sqlErr(ctx context.Context, what string, err error) error {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Errorf("connect: %w", netErr(ctx, err))
	case ctx.Err() != nil, errors.As(err, &op), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: %w", what, netErr(ctx, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// dialBound dials for a database driver. The connection's deadlines never
// reach past ctx's deadline (drivers reset them to "none" after their
// handshake) and it is closed when ctx is done.
func dialBound(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	b := &boundConn{Conn: nc, stop: context.AfterFunc(ctx, func() { nc.Close() })}
	b.limit, _ = ctx.Deadline()
	b.SetDeadline(time.Time{})
	return b, nil
}

type boundConn struct {
	net.Conn
	limit time.Time
	stop  func() bool
}

func (b *boundConn) clamp(t time.Time) time.Time {
	if !b.limit.IsZero() && (t.IsZero() || t.After(b.limit)) {
		return b.limit
	}
	return t
}

func (b *boundConn) SetDeadline(t time.Time) error      { return b.Conn.SetDeadline(b.clamp(t)) }
func (b *boundConn) SetReadDeadline(t time.Time) error  { return b.Conn.SetReadDeadline(b.clamp(t)) }
func (b *boundConn) SetWriteDeadline(t time.Time) error { return b.Conn.SetWriteDeadline(b.clamp(t)) }

func (b *boundConn) Close() error {
	b.stop()
	return b.Conn.Close()
}
