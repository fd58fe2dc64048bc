package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The control channel: a unix stream socket (mode 0600) under the run dir.
// A client connects, writes one Request as a JSON line, reads one Response as
// a JSON line, and the server closes the connection.

// ErrInUse is returned by ListenControl when another process answers on the
// control socket path.
var ErrInUse = errors.New("control socket in use")

// ErrNotRunning is wrapped by Call when nothing listens on the socket path
// (no socket file, or connection refused).
var ErrNotRunning = errors.New("daemon not running")

// DefaultCallTimeout bounds Call when its context has no deadline.
const DefaultCallTimeout = 10 * time.Second

// maxLine bounds one request or response line.
const maxLine = 1 << 20

// connTimeout bounds reading a request and writing its response.
const connTimeout = 10 * time.Second

// Request is one control command, such as {Verb: "status"} or
// {Verb: "standby", Args: ["foreign"]}.
type Request struct {
	Verb string   `json:"verb"`
	Args []string `json:"args,omitempty"`
}

// Response answers a Request. Exit is the exit code the client process should
// use; Text is printed for humans; JSON carries machine-readable detail.
type Response struct {
	OK   bool            `json:"ok"`
	Exit int             `json:"exit"`
	Text string          `json:"text,omitempty"`
	JSON json.RawMessage `json:"json,omitempty"`
}

// Handler answers control requests. It is called concurrently, once per
// connection, with a context that ends when Serve stops and carries the
// caller's credentials (PeerFrom); it must return promptly once that
// context is done.
type Handler func(ctx context.Context, req Request) Response

// ControlListener is a bound control socket, waiting for Serve.
type ControlListener struct {
	path string
	ln   *net.UnixListener
	ino  uint64
}

// ListenControl binds the control socket at path with mode 0600. An existing
// socket file is removed only if no one answers on it; a live one gives
// ErrInUse, and a non-socket file at path is left alone and reported.
// Binding first lets a daemon fail its start-up before it reports readiness.
func ListenControl(path string) (*ControlListener, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	// Bind under a temporary name, restrict it, then rename: the socket is
	// never reachable with the umask's mode.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*ControlListener, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fail(err)
	}
	return &ControlListener{path: path, ln: ln, ino: st.Ino}, nil
}

// removeStaleSocket removes a socket file at path that no one answers on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return ErrInUse
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}

// Path returns the socket path.
func (l *ControlListener) Path() string { return l.path }

// Close stops listening and removes the socket file if it is still the one
// this listener bound. It is safe to call more than once.
func (l *ControlListener) Close() error {
	err := l.ln.Close()
	var st syscall.Stat_t
	if syscall.Stat(l.path, &st) == nil && st.Ino == l.ino {
		os.Remove(l.path)
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Serve answers requests with h until ctx ends, then closes the listener,
// waits for the requests in flight and returns nil. It returns an error only
// if accepting fails for another reason.
func (l *ControlListener) Serve(ctx context.Context, h Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		<-ctx.Done()
		l.ln.Close()
	})
	for {
		c, err := l.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accepting on %s: %w", l.path, err)
		}
		wg.Go(func() { serveConn(ctx, c, h) })
	}
}

// Serve binds the control socket at path and answers requests with h until
// ctx ends. It is ListenControl followed by ControlListener.Serve.
func Serve(ctx context.Context, path string, h Handler) error {
	l, err := ListenControl(path)
	if err != nil {
		return err
	}
	return l.Serve(ctx, h)
}

// serveConn reads one request line from c, answers it and closes c.
func serveConn(ctx context.Context, c *net.UnixConn, h Handler) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(connTimeout))
	var resp Response
	req, err := readJSONLine[Request](c)
	if err != nil {
		resp = Response{Exit: 1, Text: "bad request: " + err.Error()}
	} else {
		if p, err := peerCred(c); err == nil {
			ctx = WithPeer(ctx, p)
		}
		resp = h(ctx, req)
	}
	c.SetDeadline(time.Now().Add(connTimeout))
	if err := writeJSONLine(c, resp); err != nil && errors.Is(err, errEncoding) {
		writeJSONLine(c, Response{Exit: 1, Text: "bad response: " + err.Error()})
	}
}

// Call sends req to the control socket at path and returns the answer. It
// gives up when ctx ends, or after DefaultCallTimeout if ctx has no deadline.
// When nothing listens, the error wraps ErrNotRunning.
func Call(ctx context.Context, path string, req Request) (Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCallTimeout)
		defer cancel()
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return Response{}, fmt.Errorf("calling %s: %w: %w", path, ErrNotRunning, err)
		}
		return Response{}, fmt.Errorf("calling %s: %w", path, err)
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := writeJSONLine(c, req); err != nil {
		return Response{}, fmt.Errorf("calling %s: %w", path, ctxErr(ctx, err))
	}
	resp, err := readJSONLine[Response](c)
	if err != nil {
		return Response{}, fmt.Errorf("calling %s: %w", path, ctxErr(ctx, err))
	}
	return resp, nil
}

// ctxErr prefers the context's error over the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func readJSONLine[T any](c net.Conn) (T, error) {
	var v T
	r := bufio.NewReaderSize(c, 4096)
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return v, fmt.Errorf("reading: %w", err)
		}
		line = append(line, chunk...)
		if len(line) > maxLine {
			return v, fmt.Errorf("reading: line longer than %d bytes", maxLine)
		}
		if !isPrefix {
			break
		}
	}
	if err := json.Unmarshal(line, &v); err != nil {
		return v, fmt.Errorf("decoding: %w", err)
	}
	return v, nil
}

var errEncoding = errors.New("encoding")

func writeJSONLine(c net.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %w", errEncoding, err)
	}
	_, err = c.Write(append(b, '\n'))
	return err
}
