package resources

// Resource scripts (resource.d, init.d, and our ldirectord binary) run with
// Heartbeat's calling convention: `script arg1 arg2 ... action`.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// maxOutput bounds the stdout and stderr kept (and logged) from one run.
const maxOutput = 64 << 10

// ScriptConfig configures a Script.
type ScriptConfig struct {
	Path    string        // the executable
	Args    []string      // the resource's "::" arguments
	Timeout time.Duration // per run; 0 means DefaultScriptTimeout
	Env     []string      // added to os.Environ() (less daemon.CleanEnv's variables)
	Logger  *slog.Logger
}

// Script is an Agent backed by an executable run as
// `Path Args... start|stop|status`.
//
// Start and Stop succeed on exit code 0 (ResourceManager doscript). Status
// ignores the exit code and reads stdout as we_own_resource does (see
// JudgeStatus). A run that outlives its timeout has its whole process group
// killed with SIGKILL. Output lines are logged at debug level; Heartbeat
// sends them to its debug log.
type Script struct {
	cfg ScriptConfig
	log *slog.Logger
}

var _ Agent = (*Script)(nil)

// NewScript returns the agent for cfg.
func NewScript(cfg ScriptConfig) *Script {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultScriptTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Script{cfg: cfg, log: log.With("component", "resources", "script", cfg.Path)}
}

// Path is the executable the agent runs.
func (s *Script) Path() string { return s.cfg.Path }

// ErrScriptTimeout is returned (wrapped) when a script run is killed for
// outliving its timeout.
var ErrScriptTimeout = errors.New("resource script timed out")

// ExitError is a script's non-zero exit.
type ExitError struct {
	Path string
	Code int // -1 when killed by a signal
}

// Error is Heartbeat's "Return code N from PATH".
func (e *ExitError) Error() string { return fmt.Sprintf(msgReturnCode, e.Code, e.Path) }

// Start runs `script args... start`.
func (s *Script) Start(ctx context.Context) error {
	_, err := s.runLogged(ctx, "start")
	return err
}

// Stop runs `script args... stop`.
func (s *Script) Stop(ctx context.Context) error {
	_, err := s.runLogged(ctx, "stop")
	return err
}

// Status runs `script args... status` and judges its stdout. Only a failure
// to run the script at all (missing, timeout) is an error.
func (s *Script) Status(ctx context.Context) (Status, error) {
	out, err := s.run(ctx, "status")
	var ee *ExitError
	if err != nil && !errors.As(err, &ee) {
		return StatusStopped, err
	}
	return JudgeStatus(out), nil
}

func (s *Script) runLogged(ctx context.Context, action string) (string, error) {
	s.log.Info(fmt.Sprintf(msgRunning, strings.Join(s.argv(action), " ")))
	out, err := s.run(ctx, action)
	if err != nil {
		s.log.Error(err.Error(), "action", action)
	}
	return out, err
}

func (s *Script) argv(action string) []string {
	return append(append([]string{s.cfg.Path}, s.cfg.Args...), action)
}

// run executes the script with action and returns its stdout.
func (s *Script) run(ctx context.Context, action string) (string, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, s.cfg.Timeout)
	defer cancel()
	argv := s.argv(action)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// Not hbd's NOTIFY_SOCKET, WATCHDOG_* or LISTEN_*: a child that
	// notifies systemd would speak for hbd.
	cmd.Env = daemon.CleanEnv(append(os.Environ(), s.cfg.Env...))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: a shell script's children must die too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = time.Second // do not wait for pipes held by escaped grandchildren
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	// At SCHED_OTHER even when hbd runs realtime (ha.cf realtime), as
	// Heartbeat's children are made normal-time before exec.
	err := daemon.StartNormal(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	s.logOutput(action, "stdout", stdout.String())
	s.logOutput(action, "stderr", stderr.String())
	s.log.Debug("resource script done", "action", action, "elapsed", time.Since(start), "err", err)
	switch {
	case err == nil:
		return stdout.String(), nil
	case parent.Err() != nil:
		return stdout.String(), fmt.Errorf("running %s %s: %w", s.cfg.Path, action, parent.Err())
	case ctx.Err() != nil:
		return stdout.String(), fmt.Errorf("running %s %s: %w after %v (killed)", s.cfg.Path, action, ErrScriptTimeout, s.cfg.Timeout)
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		return stdout.String(), &ExitError{Path: s.cfg.Path, Code: xe.ExitCode()}
	}
	return stdout.String(), fmt.Errorf("running %s %s: %w", s.cfg.Path, action, err)
}

func (s *Script) logOutput(action, stream, text string) {
	for line := range strings.Lines(text) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			s.log.Debug(line, "action", action, "stream", stream)
		}
	}
}

// JudgeStatus reads a status action's output as ResourceManager's
// we_own_resource does, ignoring the exit code: output matching
// *[Nn][Oo][Tt] *[Rr]unning* is stopped; otherwise *[Rr]unning* or *OK* is
// running; anything else is stopped.
func JudgeStatus(out string) Status {
	if matchNotRunning(out) {
		return StatusStopped
	}
	if indexRunning(out) >= 0 || strings.Contains(out, "OK") {
		return StatusRunning
	}
	return StatusStopped
}

// matchNotRunning is the shell case pattern *[Nn][Oo][Tt]\ *[Rr]unning*:
// "not" in any case and one blank, then anything, then [Rr]unning.
func matchNotRunning(out string) bool {
	lower := strings.ToLower(out)
	for i := 0; i+4 <= len(out); i++ {
		if lower[i:i+4] == "not " && indexRunning(out[i+4:]) >= 0 {
			return true
		}
	}
	return false
}

// indexRunning finds the pattern [Rr]unning in s, or returns -1.
func indexRunning(s string) int {
	for i := 0; i+7 <= len(s); i++ {
		if (s[i] == 'R' || s[i] == 'r') && s[i+1:i+7] == "unning" {
			return i
		}
	}
	return -1
}

// limitedBuffer keeps the first maxOutput bytes written to it and drops
// the rest, so a chatty script cannot grow our memory.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return l.b.String() }
