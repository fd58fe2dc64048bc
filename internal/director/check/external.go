package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// External is checktype=external (ldirectord check_external): checkcommand=
// runs with the arguments <virtual address or fwmark> <virtual port> <real
// address> <real port>, IPv6 addresses in brackets, and exit status 0
// means up. At checktimeout its process group is sent SIGTERM (ldirectord
// system_timeout signals the command alone), then SIGKILL a second later;
// whatever the command left running in its group is killed when it ends. The command is run
// directly, not through a shell, as Perl's system(LIST) does.
//
// With Interpreter set (checktype=external-perl: "perl") the command is
// the interpreter's script instead of a program; ldirectord compiles it
// into itself, we run it in its own interpreter with the same arguments
// and the same meaning of its exit status.
type External struct{ Interpreter string }

// killGrace is how long a command has between SIGTERM and SIGKILL.
const killGrace = time.Second

// Check runs the command for t.
func (e External) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return e.check(ctx, t) })
}

func (e External) check(ctx context.Context, t Target) error {
	if t.External.Command == "" {
		return errors.New("external: no checkcommand")
	}
	argv := append(externalArgs(e.Interpreter, t.External.Command), externalTarget(t)...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The command gets its own process group, so that the whole group is
	// signalled at the timeout and whatever is left of it is swept after.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = killGrace
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 512}
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("external %s: %w", t.External.Command, netErr(ctx, ctx.Err()))
	case errors.As(err, &ee):
		msg := fmt.Sprintf("external %s: %s", t.External.Command, ee.ProcessState)
		if s := lastLine(stderr.String()); s != "" {
			msg += ": " + s
		}
		return errors.New(msg)
	}
	return fmt.Errorf("external %s: %w", t.External.Command, err)
}

func externalArgs(interpreter, command string) []string {
	if interpreter != "" {
		return []string{interpreter, command}
	}
	return []string{command}
}

// externalTarget is check_external's argument list.
func externalTarget(t Target) []string {
	vip, vport := hostString(t.External.Virtual.Addr()), strconv.Itoa(int(t.External.Virtual.Port()))
	if t.External.FWMark != 0 || !t.External.Virtual.IsValid() {
		vip, vport = strconv.FormatUint(uint64(t.External.FWMark), 10), "0"
	}
	return []string{vip, vport, hostString(t.Real.Addr()), strconv.Itoa(int(t.Real.Port()))}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return truncate(strings.TrimSpace(lines[len(lines)-1]))
}

// limitedWriter keeps the first n bytes written to it and drops the rest.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
