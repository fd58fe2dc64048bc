package check

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// checkSQL is ldirectord's check_sql for mysql and pgsql: log in with
// login= and passwd= to database=, run request= (without its leading "/")
// and want at least one row. login= and request= are required.
//
// The database drivers parse the server's answers, and a driver's panic
// on a malformed answer is caught here and reported as the real's failure:
// a hostile or broken server must not take ldirectord down
// (go-sql-driver/mysql 1.10 indexes past a short error packet,
// FuzzSQLServer). The context's end closes the connection the driver
// left behind (sqlDialer.dial).
func checkSQL(ctx context.Context, name string, t Target, open func(context.Context, Target, *sqlDialer) (driver.Conn, error)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: malformed answer (the driver panicked: %v)", name, p)
		}
	}()
	query := requestPath(t)
	if t.Auth.Login == "" || query == "" {
		return fmt.Errorf("%s: login= and request= (an SQL query) are required", name)
	}
	d := &sqlDialer{ctx: ctx}
	sqlErr := func(what string, err error) error { return d.describe(what, err) }
	dc, err := open(ctx, t, d)
	if err != nil {
		return sqlErr(name, err)
	}
	defer dc.Close()
	q, ok := dc.(driver.QueryerContext)
	if !ok {
		return fmt.Errorf("%s: driver cannot run queries", name)
	}
	rows, err := q.QueryContext(ctx, query, nil)
	if err != nil {
		return sqlErr(name+": query", err)
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	switch err := rows.Next(dest); {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: query returned no rows", name)
	case err != nil:
		return sqlErr(name+": query", err)
	}
	return nil
}

// sqlDialer dials for a database driver and remembers the first I/O
// error of its connection, which drivers tend to hide behind "invalid
// connection".
type sqlDialer struct {
	ctx   context.Context
	mu    sync.Mutex
	ioErr error
}

// describe describes a driver error: the network ones like every check's,
// the server's own as the driver words them.
func (d *sqlDialer) describe(what string, err error) error {
	d.mu.Lock()
	ioErr := d.ioErr
	d.mu.Unlock()
	var op *net.OpError
	switch {
	case d.ctx.Err() != nil, netErr(d.ctx, err) == errTimeout:
		return fmt.Errorf("%s: %w", what, netErr(d.ctx, err))
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Errorf("connect: %w", netErr(d.ctx, err))
	case ioErr != nil && (errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn)):
		return fmt.Errorf("%s: %w", what, netErr(d.ctx, ioErr))
	case errors.As(err, &op), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: %w", what, netErr(d.ctx, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// dial connects for a driver. The connection's deadlines never reach past
// the check's deadline (drivers reset them to "none" after their
// handshake) and it is closed when the check's context is done.
func (d *sqlDialer) dial(network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(d.ctx, network, addr)
	if err != nil {
		return nil, err
	}
	b := &boundConn{Conn: nc, d: d, stop: context.AfterFunc(d.ctx, func() { nc.Close() })}
	b.limit, _ = d.ctx.Deadline()
	b.SetDeadline(time.Time{})
	return b, nil
}

type boundConn struct {
	net.Conn
	d     *sqlDialer
	limit time.Time
	stop  func() bool
}

// note remembers err if it is the connection's first.
func (d *sqlDialer) note(err error) error {
	if err != nil {
		d.mu.Lock()
		if d.ioErr == nil {
			d.ioErr = err
		}
		d.mu.Unlock()
	}
	return err
}

func (b *boundConn) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	return n, b.d.note(err)
}

func (b *boundConn) Write(p []byte) (int, error) {
	n, err := b.Conn.Write(p)
	return n, b.d.note(err)
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

// guardConn hands a driver the server's bytes only as far as its
// frameGuard allows: a message over maxSQLMessage fails the read before
// the driver has its whole header (and allocates what it claims).
// pending holds bytes already read from the server, handed first.
type guardConn struct {
	net.Conn
	d       *sqlDialer
	g       *frameGuard
	pending []byte
}

// Read hands the bytes before a bad header first, and the guard's error
// on the next call, so that the driver still reads what came before it
// (often the server's own error message).
func (c *guardConn) Read(p []byte) (n int, err error) {
	if c.g.err != nil {
		return 0, c.g.err
	}
	if len(c.pending) > 0 {
		n = copy(p, c.pending)
		c.pending = c.pending[n:]
	} else {
		n, err = c.Conn.Read(p)
	}
	ok, gerr := c.g.scan(p[:n])
	switch {
	case gerr != nil && ok > 0:
		c.d.note(gerr)
		return ok, nil
	case gerr != nil:
		return 0, c.d.note(gerr)
	}
	return n, err
}
