package respawn

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Program is one respawn line.
type Program struct {
	Line    int    // ha.cf line, for the logs
	User    string // as written
	Command string // path and arguments, run by /bin/sh -c "exec ..."
	Cred    Credential
}

// Config configures Run.
type Config struct {
	Programs []Program
	// Env is the programs' whole environment (os.Environ cleaned of
	// systemd's variables, plus ha.cf's env lines as HA_NAME=value).
	Env []string
	// StopTimeout bounds the wait for a program after SIGTERM on shutdown;
	// then its group gets SIGKILL. 0 means 30 s.
	StopTimeout time.Duration
	// FastDelay replaces the FastDelay pause after a fast exit; 0 means
	// FastDelay. Tests shorten it.
	FastDelay time.Duration
	Logger    *slog.Logger
}

// Log lines, in Heartbeat 3.0.6's words (heartbeat/heartbeat.c).
const (
	MsgStarting = "Starting child client \"%s\" (%d,%d)"
	MsgExited   = "Client %s exited with return code %d."
	MsgKilled   = "Client %s (pid=%d) killed by signal %d."
	MsgRespawn  = "Respawning client \"%s\":"
	MsgTooFast  = "Client %s \"respawning too fast\""
	MsgCannot   = "Cannot exec %s: %v"
)

// Run starts every program and keeps it running until ctx ends, then
// stops them all (SIGTERM to each process group, SIGKILL after
// StopTimeout) and returns once they have exited.
func Run(ctx context.Context, cfg Config) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "respawn")
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 30 * time.Second
	}
	var wg sync.WaitGroup
	for _, p := range cfg.Programs {
		wg.Go(func() { supervise(ctx, p, cfg, log) })
	}
	wg.Wait()
}

// supervise is the life of one program: start, wait, decide, repeat.
func supervise(ctx context.Context, p Program, cfg Config, log *slog.Logger) {
	fast := 0
	for {
		log.Info(fmt.Sprintf(MsgStarting, p.Command, p.Cred.UID, p.Cred.GID), "line", p.Line)
		cmd, err := start(p.Command, p.Cred, cfg.Env)
		if err != nil {
			log.Error(fmt.Sprintf(MsgCannot, p.Command, err), "line", p.Line)
			return
		}
		started := time.Now()
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-ctx.Done():
			stop(cmd, exited, p, cfg.StopTimeout, log)
			return
		}
		code, sig := exitCode(cmd.ProcessState)
		if sig != 0 {
			log.Error(fmt.Sprintf(MsgKilled, p.Command, cmd.Process.Pid, int(sig)), "line", p.Line)
		} else if code != 0 {
			log.Error(fmt.Sprintf(MsgExited, p.Command, code), "line", p.Line)
		}
		d := AfterExit(fast, started, time.Now(), code)
		switch d.Verdict {
		case Done:
			log.Info("client exited 100 and is not respawned", "command", p.Command, "line", p.Line)
			return
		case TooFast:
			log.Error(fmt.Sprintf(MsgTooFast, p.Command), "line", p.Line)
			return
		}
		fast = d.Fast
		log.Error(fmt.Sprintf(MsgRespawn, p.Command), "line", p.Line)
		if d.Delay > 0 && cfg.FastDelay > 0 {
			d.Delay = cfg.FastDelay
		}
		select {
		case <-time.After(d.Delay):
		case <-ctx.Done():
			return
		}
	}
}

// stop ends a program on shutdown: SIGTERM to its group, SIGKILL after
// timeout, as Heartbeat's shutdown_last_client_child (which never sent
// SIGKILL; hbd bounds the wait so a hung program cannot hold shutdown).
func stop(cmd *exec.Cmd, exited <-chan struct{}, p Program, timeout time.Duration, log *slog.Logger) {
	log.Info(fmt.Sprintf("killing %s process group %d with signal %d", p.Command, cmd.Process.Pid, int(syscall.SIGTERM)))
	signalGroup(cmd, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(timeout):
		log.Error("client did not exit after SIGTERM; sending SIGKILL", "command", p.Command, "timeout", timeout)
		signalGroup(cmd, syscall.SIGKILL)
		<-exited
	}
}
