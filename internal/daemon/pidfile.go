package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRunning is returned by PidFile.Write when the pid file names another
// live instance of the program.
var ErrRunning = errors.New("already running")

// ErrNoPidFile is returned by PidFile.Read when the pid file does not exist.
// It wraps fs.ErrNotExist.
var ErrNoPidFile = fmt.Errorf("no pid file: %w", os.ErrNotExist)

// errBadPid marks a pid file whose content is not a pid.
var errBadPid = errors.New("bad pid")

// PidState is what a pid file says about the daemon. The values map onto the
// LSB status exit codes both daemons use: running 0, stale 1, absent 3.
type PidState int

const (
	// PidAbsent: no pid file (LSB status 3, "not running").
	PidAbsent PidState = iota
	// PidStale: a pid file whose process is gone or is not the program (LSB 1).
	PidStale
	// PidRunning: the pid file names a live process of the program (LSB 0).
	PidRunning
)

// String returns "absent", "stale" or "running".
func (s PidState) String() string {
	switch s {
	case PidAbsent:
		return "absent"
	case PidStale:
		return "stale"
	case PidRunning:
		return "running"
	}
	return "PidState(" + strconv.Itoa(int(s)) + ")"
}

// PidFile is a daemon's pid file, such as /run/ldirectord.ldirectord.pid or
// /var/run/heartbeat.pid. It holds the pid in decimal followed by a newline.
type PidFile struct {
	// Path of the pid file.
	Path string
	// Program must occur in /proc/<pid>/cmdline for the pid to count as
	// ours; ldirectord's ld_init accepts a pid file only if the cmdline
	// matches /ldirectord/, which detects stale files whose pid was reused.
	Program string
}

// Read returns the pid stored in the file. A missing file gives ErrNoPidFile;
// a file that does not hold a positive decimal pid gives an error naming it.
func (p PidFile) Read() (int, error) {
	b, err := os.ReadFile(p.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("reading pid file %s: %w", p.Path, ErrNoPidFile)
	}
	if err != nil {
		return 0, fmt.Errorf("reading pid file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("reading pid file %s: %w %q (want a positive number)", p.Path, errBadPid, line)
	}
	return pid, nil
}

// Check reads the pid file and reports the pid it names (0 if absent) and
// whether that process is a live instance of Program. A pid file with
// unreadable content counts as stale.
func (p PidFile) Check() (int, PidState, error) {
	pid, err := p.Read()
	switch {
	case errors.Is(err, ErrNoPidFile):
		return 0, PidAbsent, nil
	case errors.Is(err, errBadPid):
		return 0, PidStale, nil
	case err != nil:
		return 0, PidAbsent, err
	}
	// A file naming the calling process was left by a predecessor that had
	// the same pid: after kill -9 in a fresh pid namespace, or a reboot with
	// a persistent run dir, the restarted daemon often gets it back. The
	// callers (start, status, stop) never ask about themselves.
	if pid != os.Getpid() && IsRunning(pid, p.Program) {
		return pid, PidRunning, nil
	}
	return pid, PidStale, nil
}

// Write records pid in the file. It refuses with an error wrapping ErrRunning
// when the file names another live instance of Program, and replaces a stale
// file. The new content appears atomically (temp file + rename), and the
// check and the rename happen under an exclusive flock on the directory, so
// two starters racing each other cannot both win.
func (p PidFile) Write(pid int) error {
	dir := filepath.Dir(p.Path)
	unlock, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	defer unlock()
	old, state, err := p.Check()
	if err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	if state == PidRunning && old != pid {
		return fmt.Errorf("writing pid file %s: %w [pid %d]", p.Path, ErrRunning, old)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p.Path)+".*")
	if err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	_, werr := tmp.WriteString(strconv.Itoa(pid) + "\n")
	cerr := tmp.Chmod(0o644)
	if err := errors.Join(werr, cerr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing pid file: %w", err)
	}
	if err := os.Rename(tmp.Name(), p.Path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing pid file: %w", err)
	}
	return nil
}

// Remove deletes the pid file if it still holds pid, so a daemon that is
// shutting down never removes the file of an instance started after it.
// A missing file is not an error.
func (p PidFile) Remove(pid int) error {
	got, err := p.Read()
	if errors.Is(err, ErrNoPidFile) {
		return nil
	}
	if err == nil && got != pid {
		return nil
	}
	if err := os.Remove(p.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing pid file: %w", err)
	}
	return nil
}

// lockDir takes an exclusive flock on dir, retrying for at most 5 s.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing drops the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// IsRunning reports whether pid is a live (not zombie) process whose
// /proc/<pid>/cmdline contains program. An empty program matches any live
// process.
func IsRunning(pid int, program string) bool {
	if !alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(cmdline, []byte(program))
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	return stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// WaitExit polls until pid is gone (or a zombie), as `heartbeat -k` and
// `ldirectord restart` wait for the old daemon. It returns nil once the
// process has exited, or an error when ctx ends or timeout passes first.
func WaitExit(ctx context.Context, pid int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poll := 5 * time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for pid %d to exit: %w", pid, ctx.Err())
		case <-t.C:
		}
		if !alive(pid) {
			return nil
		}
		t.Reset(poll)
		poll = min(poll*2, 250*time.Millisecond)
	}
}
