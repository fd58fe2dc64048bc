package check

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"weak"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// run bounds f by timeout (on top of ctx's own deadline) and turns its error
// into a Result. Every check but on/off goes through it.
func run(ctx context.Context, timeout time.Duration, f func(context.Context) error) Result {
	start := time.Now()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := f(ctx); err != nil {
		return Down(err.Error(), start)
	}
	return Result{Up: true, Duration: time.Since(start)}
}

// checkDialer dials every check connection. TCP keepalive is off: a check
// lives seconds, and turning it on costs four setsockopt calls per check,
// a fifth of the syscalls of an HTTP check.
var checkDialer = &net.Dialer{KeepAlive: -1}

// conn is one connection of a check. Its I/O deadline is ctx's deadline, and
// it is closed when ctx is cancelled, so no read or write outlives the
// check. Errors from its methods are already described (see netErr).
type conn struct {
	net.Conn
	ctx  context.Context
	r    *bufio.Reader
	stop func() bool
}

// dialConn connects to addr over network ("tcp" or "udp"), then performs a
// TLS handshake without certificate verification when tlsOn is set
// (ldirectord: IO::Socket::SSL with verify_hostname 0).
func dialConn(ctx context.Context, network string, addr netip.AddrPort, tlsOn bool) (*conn, error) {
	nc, err := checkDialer.DialContext(ctx, network, addr.String())
	if err != nil {
		return nil, fmt.Errorf("connect: %w", netErr(ctx, err))
	}
	c := &conn{Conn: nc, ctx: ctx}
	c.stop = context.AfterFunc(ctx, func() { nc.Close() })
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	if tlsOn {
		tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, ServerName: addr.Addr().String()})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, tlsErr(ctx, err)
		}
		c.Conn = tc
	}
	c.r = bufio.NewReaderSize(c.Conn, 4096)
	return c, nil
}

// Close closes the connection and releases its context hook.
func (c *conn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// maxLine bounds one protocol line; a longer one is an error, not a
// reason to buffer without end.
const maxLine = 64 << 10

// readLine reads one line without its CR LF. A last line cut short by
// the server closing the connection counts (as Perl's readline has it); a
// line cut short by the deadline or an error does not: bufio's ReadLine
// would hand back the partial line of a server that dripped "+OK" until
// the timeout, and the check would call it up.
func (c *conn) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		switch {
		case len(b) > maxLine+2:
			return "", errors.New("line too long")
		case err == nil, errors.Is(err, io.EOF) && len(b) > 0:
			b = bytes.TrimSuffix(b, []byte("\n"))
			return string(bytes.TrimSuffix(b, []byte("\r"))), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		}
		return "", netErr(c.ctx, err)
	}
}

// writeLine writes s followed by CR LF.
func (c *conn) writeLine(s string) error {
	if _, err := io.WriteString(c.Conn, s+"\r\n"); err != nil {
		return netErr(c.ctx, err)
	}
	return nil
}

// errTimeout is how every check reports running out of time.
var errTimeout = errors.New("timeout")

// netErr turns a network error into a short reason: "timeout",
// "connection refused", "connection reset by peer", "connection closed by
// server". The address, which the caller knows, is left out.
func netErr(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return errors.New("cancelled")
	case ctx.Err() != nil, errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return errTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("connection closed by server")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errTimeout
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unwrapOp(err)
}

// tlsErr describes a failed TLS handshake as "tls: ...".
func tlsErr(ctx context.Context, err error) error {
	e := netErr(ctx, err)
	if e == errTimeout || strings.HasPrefix(e.Error(), "cancelled") {
		return fmt.Errorf("tls: handshake: %w", e)
	}
	msg := strings.TrimPrefix(e.Error(), "tls: ")
	return fmt.Errorf("tls: %s", msg)
}

// receiveMatch reports whether text matches the receive= regular
// expression; an empty receive matches anything. ldirectord's patterns are
// Perl regular expressions; Go's RE2 syntax covers the common subset, and a
// pattern it cannot compile fails the check with a clear reason.
func receiveMatch(receive, text string) error {
	if receive == "" {
		return nil
	}
	re, err := compileReceive(receive)
	if err != nil {
		return err
	}
	if !re.MatchString(text) {
		return fmt.Errorf("receive %q not matched", receive)
	}
	return nil
}

// compileReceive compiles receive= with the parser's rule (ldcf rejects a
// pattern that does not compile, so this fails only for a Target built
// by hand). Each pattern is compiled once and shared (see receives).
func compileReceive(receive string) (*regexp.Regexp, error) {
	receives.Lock()
	defer receives.Unlock()
	if re := receives.m[receive].Value(); re != nil {
		return re, nil
	}
	re, err := ldcf.CompileReceive(receive)
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	receives.m[receive] = weak.Make(re)
	runtime.AddCleanup(re, forgetReceive, receive)
	return re, nil
}

// receives holds each compiled receive= pattern weakly, as interned holds
// Options: the reals of a virtual share one pattern, and a compiled
// regexp.Regexp is safe for concurrent use, so one copy serves every probe
// and every run (10,000 reals with their own copy held 5 MB). A pattern no
// check refers to any more is collected with its entry.
var receives = struct {
	sync.Mutex
	m map[string]weak.Pointer[regexp.Regexp]
}{m: map[string]weak.Pointer[regexp.Regexp]{}}

// forgetReceive drops the entry of a collected pattern, unless
// compileReceive has compiled it again since.
func forgetReceive(receive string) {
	receives.Lock()
	defer receives.Unlock()
	if receives.m[receive].Value() == nil {
		delete(receives.m, receive)
	}
}

// hostString is an address as ldirectord passes it to commands and puts
// in URLs: IPv6 in brackets.
func hostString(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// requestPath is request= without the leading "/" that ldirectord adds.
func requestPath(t Target) string { return strings.TrimPrefix(t.Request, "/") }
