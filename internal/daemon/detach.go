package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Detaching the Go way: a Go process cannot fork safely, so Detach re-executes
// /proc/self/exe with the same arguments and a marker variable, in a new
// session, with stdio on /dev/null (or a log), and waits on a pipe for the
// child to say "ready" or why it failed. This keeps Heartbeat's and
// ldirectord's promise that `start` reports start-up errors synchronously
// (heartbeat.c make_daemon, ldirectord ld_daemon) while systemd's
// Type=forking sees the parent exit only once the daemon is up.

// DefaultDetachTimeout bounds the wait for the child's readiness report when
// DetachConfig.Timeout is zero.
const DefaultDetachTimeout = 60 * time.Second

// readyLine is what the child writes on the pipe when start-up succeeded.
const readyLine = "ready"

// DetachConfig says how Detach starts the background copy of this process.
type DetachConfig struct {
	// Env names the marker variable that tells the child it is the detached
	// copy, such as "LDIRECTORD_DETACHED". Its value is the pipe's fd number.
	// The child removes it from its own environment. Required.
	Env string
	// Args are the child's arguments after argv[0]; nil means os.Args[1:].
	// argv[0] stays os.Args[0], so /proc/<pid>/cmdline keeps the program
	// name that PidFile.Program looks for.
	Args []string
	// Output is a file that gets the child's stdout and stderr, opened for
	// appending (0644); "" means /dev/null, as ldirectord's ld_daemon does.
	Output string
	// Timeout bounds the wait for readiness; zero means DefaultDetachTimeout.
	// A child that has not reported by then is sent SIGTERM.
	Timeout time.Duration
}

// StartError is returned by Detach in the parent when the child reported a
// start-up failure, exited early or did not report in time. Its Error is the
// child's own text, ready to print as is.
type StartError struct {
	Pid  int    // the child's pid
	Exit int    // the child's exit code if it exited non-zero, else 1
	Text string // the child's error text, or what happened to it
}

// Error returns Text.
func (e *StartError) Error() string { return e.Text }

// Detached is the result of Detach. In the parent it describes the ready
// child; in the child it holds the pipe to report readiness on.
type Detached struct {
	child bool
	pid   int
	pipe  *os.File
}

// IsChild reports whether this process is the detached child. A nil
// *Detached (a daemon running in the foreground) is not a child.
func (d *Detached) IsChild() bool { return d != nil && d.child }

// Pid returns the child's pid in the parent, and the own pid in the child.
func (d *Detached) Pid() int {
	if d == nil || d.child {
		return os.Getpid()
	}
	return d.pid
}

// Detach starts this program in the background, or recognises that this
// process is the background copy.
//
// In the parent it starts the child, waits until the child calls
// NotifyReady, exits, or the timeout passes, and returns a *Detached whose
// IsChild is false; the caller then exits 0. On failure it returns a
// *StartError; the caller prints it and exits with its Exit code.
//
// In the child (cfg.Env is set) it returns at once with IsChild true. The
// child keeps the parent's working directory; it calls NotifyReady once its
// start-up is complete.
func Detach(ctx context.Context, cfg DetachConfig) (*Detached, error) {
	if cfg.Env == "" {
		return nil, errors.New("detaching: no marker variable configured")
	}
	if v, ok := os.LookupEnv(cfg.Env); ok {
		os.Unsetenv(cfg.Env)
		return &Detached{child: true, pipe: readyPipe(v)}, nil
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultDetachTimeout
	}
	cmd, r, err := startChild(cfg)
	if err != nil {
		return nil, fmt.Errorf("detaching: %w", err)
	}
	exited := make(chan *os.ProcessState, 1)
	go func() { cmd.Wait(); exited <- cmd.ProcessState }()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return waitReady(ctx, cmd, r, exited)
}

// readyPipe turns the marker value into the pipe's *os.File, or nil if the
// value does not name an inherited pipe (a marker set by hand).
func readyPipe(v string) *os.File {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil
	}
	syscall.CloseOnExec(fd) // resource scripts and checks must not inherit it
	return os.NewFile(uintptr(fd), "ready-pipe")
}

// startChild starts the re-executed copy and returns it with the read end of
// the readiness pipe.
func startChild(cfg DetachConfig) (*exec.Cmd, *os.File, error) {
	args := cfg.Args
	if args == nil {
		args = os.Args[1:]
	}
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return nil, nil, err
	}
	defer stdin.Close()
	outPath, flags := os.DevNull, os.O_WRONLY
	if cfg.Output != "" {
		outPath, flags = cfg.Output, os.O_WRONLY|os.O_APPEND|os.O_CREATE
	}
	out, err := os.OpenFile(outPath, flags, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer w.Close()
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, cfg.Env+"=") {
			env = append(env, kv)
		}
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append([]string{os.Args[0]}, args...),
		Env:         append(env, cfg.Env+"=3"), // ExtraFiles[0] is fd 3
		Stdin:       stdin,
		Stdout:      out,
		Stderr:      out,
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		return nil, nil, err
	}
	return cmd, r, nil
}

// waitReady reads the child's report from r. exited delivers the child's
// state once it has been reaped.
func waitReady(ctx context.Context, cmd *exec.Cmd, r *os.File, exited <-chan *os.ProcessState) (*Detached, error) {
	pid := cmd.Process.Pid
	report := make(chan string, 1)
	go func() {
		defer r.Close()
		br := bufio.NewReader(io.LimitReader(r, 64<<10))
		line, err := br.ReadString('\n')
		if err == nil && strings.TrimSuffix(line, "\n") == readyLine {
			report <- readyLine
			return
		}
		rest, _ := io.ReadAll(br)
		report <- strings.TrimSpace(line + string(rest))
	}()
	var text string
	select {
	case text = <-report:
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		r.Close()
		return nil, &StartError{Pid: pid, Exit: 1, Text: fmt.Sprintf("daemon [pid %d] not ready: %v", pid, ctx.Err())}
	}
	if text == readyLine {
		return &Detached{pid: pid}, nil
	}
	// The child closed the pipe without "ready": it failed. Wait (bounded)
	// for its exit so its exit code can be passed on.
	var ps *os.ProcessState
	select {
	case ps = <-exited:
	case <-ctx.Done():
	}
	exit := 1
	if ps != nil && ps.ExitCode() > 0 {
		exit = ps.ExitCode()
	}
	if text == "" {
		state := "did not report"
		if ps != nil {
			state = ps.String()
		}
		text = fmt.Sprintf("daemon [pid %d] exited before it was ready: %s", pid, state)
	}
	return nil, &StartError{Pid: pid, Exit: exit, Text: text}
}

// NotifyReady reports the end of start-up. In the detached child it writes
// "ready" (err == nil) or err's text to the waiting parent and closes the
// pipe; after an error the caller should exit non-zero. When err is nil it
// also sends READY=1 to systemd if NOTIFY_SOCKET is set, so foreground
// daemons (nil *Detached) call it too. Call it once, from one goroutine.
func (d *Detached) NotifyReady(err error) error {
	var perr error
	if d != nil && d.pipe != nil {
		msg := readyLine
		if err != nil {
			msg = err.Error()
			if msg == readyLine || msg == "" {
				msg = "start-up failed: " + msg
			}
		}
		_, werr := d.pipe.WriteString(msg + "\n")
		perr = errors.Join(werr, d.pipe.Close())
		d.pipe = nil
	}
	if err == nil {
		perr = errors.Join(perr, Ready())
	}
	if perr != nil {
		return fmt.Errorf("reporting readiness: %w", perr)
	}
	return nil
}
