package netlab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Proc is one started program and its exit.
//
// Concurrency: safe for concurrent use; a nil *Proc is a program that was
// never started (Running false, Done nil).
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when Wait returned
	err  error         // Wait's result, set before done closes
	// expected is set before the test signals the program, so its exit is
	// not reported as unexpected.
	expected atomic.Bool
}

// StartProc starts cmd (its SysProcAttr, stdio and environment are the
// caller's) and reaps it in a goroutine. When it has exited, onExit (if
// not nil) runs in that goroutine with Wait's error and whether the exit
// was expected (Kill or Expect came first); a lab cancels its context
// there on an unexpected exit.
func StartProc(cmd *exec.Cmd, onExit func(err error, expected bool)) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
		if onExit != nil {
			onExit(p.err, p.expected.Load())
		}
	}()
	return p, nil
}

// Running reports whether p was started and has not exited.
func (p *Proc) Running() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Done is closed when the program has exited (nil for a nil p).
func (p *Proc) Done() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// Err waits for the program to exit and returns Wait's error (nil for
// exit status 0).
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Pid is the program's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Expect marks the coming exit as expected (an orderly stop the test
// asked for by other means than Kill).
func (p *Proc) Expect() { p.expected.Store(true) }

// Kill marks the exit expected, sends sig to target (a pid, or -pgid for
// a process group) unless the program already exited, and waits up to
// timeout for the program to exit. An exited program is not an error.
func (p *Proc) Kill(target int, sig syscall.Signal, timeout time.Duration) error {
	p.Expect()
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := syscall.Kill(target, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill -%d %d: %w", sig, target, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		return fmt.Errorf("pid %d still running %v after signal %d to %d", p.Pid(), timeout, sig, target)
	}
}

// KillGroup is Kill of the program's process group (started with
// Setpgid).
func (p *Proc) KillGroup(sig syscall.Signal, timeout time.Duration) error {
	return p.Kill(-p.Pid(), sig, timeout)
}

// OpenOutput opens path for appending a program's stdout and stderr and
// writes a "=== 15:04:05.000 start argv…" line first, so restarts stay
// apart. The caller closes it.
func OpenOutput(path string, argv []string) (*os.File, error) {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "=== %s start %s\n", time.Now().Format("15:04:05.000"), strings.Join(argv, " "))
	return out, nil
}

// RepoRoot is the repository's top directory: the nearest directory at
// or above the working directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the repository: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RepoBinary is the absolute path of a program the lab runs: $env if set,
// else bin/name of the repository (make build puts it there). It fails
// the test when the file is missing.
func RepoBinary(t testing.TB, env, name string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		root, err := RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(root, "bin", name)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%s binary: %v (run make build, or set %s)", name, err, env)
	}
	return abs
}

// WriteFile writes text to path with mode (also when the file exists with
// another mode), creating its directory.
func WriteFile(path, text string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode) // WriteFile keeps an existing file's mode
}
