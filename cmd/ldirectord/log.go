package main

import (
	"log/slog"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// logTarget is where the daemon logs given how it runs (ldirectord ld_log):
// -d: stderr, bare lines; supervised: stdout, "[time] msg"; else logfile=,
// a path ("[time|cfgname|pid] msg") or a syslog facility.
func logTarget(g ldcf.Global, debug bool, name string) daemon.LogConfig {
	lc := daemon.LogConfig{Target: g.LogFile, Format: daemon.FormatLdirectord, Program: "ldirectord", Name: name}
	switch {
	case debug:
		lc.Target, lc.Format, lc.Level = "stderr", daemon.FormatPlain, slog.LevelDebug
	case g.Supervised:
		lc.Target, lc.Format = "stdout", daemon.FormatSupervised
	}
	return lc
}

// daemonLog is the daemon's log: a handler that can be switched to another
// destination when a reload changes logfile=, and reopened on SIGHUP.
type daemonLog struct {
	mu     sync.Mutex
	target daemon.LogConfig
	log    *daemon.Log // nil when an injected handler is used
	sw     *daemon.SwapHandler
}

// openDaemonLog opens lc, or uses injected when it is non-nil (tests).
func openDaemonLog(lc daemon.LogConfig, injected slog.Handler) (*daemonLog, error) {
	if injected != nil {
		return &daemonLog{target: lc, sw: daemon.NewSwapHandler(injected)}, nil
	}
	l, err := daemon.OpenLog(lc)
	if err != nil {
		return nil, err
	}
	return &daemonLog{target: lc, log: l, sw: daemon.NewSwapHandler(l.Handler())}, nil
}

// Logger returns a logger that follows every later switch.
func (d *daemonLog) Logger() *slog.Logger { return slog.New(d.sw) }

// reopen reopens a log file (logrotate) on SIGHUP.
func (d *daemonLog) reopen() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.log == nil {
		return nil
	}
	return d.log.Reopen()
}

// retarget switches to lc if it differs from the current target; the old
// destination is closed once the new one is open.
func (d *daemonLog) retarget(lc daemon.LogConfig) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.log == nil || lc == d.target {
		return nil
	}
	l, err := daemon.OpenLog(lc)
	if err != nil {
		return err
	}
	old := d.log
	d.target, d.log = lc, l
	d.sw.Swap(l.Handler())
	return old.Close()
}

func (d *daemonLog) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.log == nil {
		return nil
	}
	return d.log.Close()
}
