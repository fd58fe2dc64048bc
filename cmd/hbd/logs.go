package main

// hbd's log destinations (ha.cf logfacility, logfile, debugfile,
// use_logd, debug), replaced live when SIGHUP reloads ha.cf.

import (
	"log/slog"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// logState is the running log destinations behind one logger that the
// engine keeps for its lifetime.
type logState struct {
	app    *app
	logger *slog.Logger
	level  *slog.LevelVar
	sw     *daemon.SwapHandler

	mu  sync.Mutex
	set *logSet
	cf  logDirectives
}

// logDirectives are the ha.cf values the destinations are built from.
type logDirectives struct {
	facility, file, debugFile string
	useLogd, syslogFmt        bool
	debug                     int
}

func directivesOf(cf *hacf.Config) logDirectives {
	return logDirectives{facility: cf.LogFacility, file: cf.LogFile, debugFile: cf.DebugFile,
		useLogd: cf.UseLogd, syslogFmt: cf.SyslogMsgFmt, debug: cf.Debug}
}

// debugLevel is the level ha.cf's debug gives.
func debugLevel(debug int) slog.Level {
	if debug > 0 {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// newLogState opens ha.cf's destinations.
func (a *app) newLogState(cf *hacf.Config) (*logState, error) {
	level := new(slog.LevelVar)
	level.Set(debugLevel(cf.Debug))
	set, err := a.openLogs(cf, level)
	if err != nil {
		return nil, err
	}
	sw := daemon.NewSwapHandler(set.handler)
	return &logState{app: a, logger: slog.New(sw), level: level, sw: sw, set: set, cf: directivesOf(cf)}, nil
}

// apply switches to cf's destinations and debug level when they changed:
// the new ones are opened first, so a failure keeps the running ones.
func (s *logState) apply(cf *hacf.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := directivesOf(cf)
	if want == s.cf {
		return nil
	}
	if want.debug != s.cf.debug {
		s.level.Set(debugLevel(want.debug))
	}
	set, err := s.app.openLogs(cf, s.level)
	if err != nil {
		return err
	}
	old := s.set
	s.sw.Swap(set.handler)
	s.set, s.cf = set, want
	old.close()
	return nil
}

func (s *logState) reopen() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set.reopen()
}

func (s *logState) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set.close()
}

// logSet is the open log destinations.
type logSet struct {
	handler slog.Handler
	logs    []*daemon.Log
}

func (s *logSet) reopen() {
	for _, l := range s.logs {
		l.Reopen()
	}
}

func (s *logSet) close() {
	for _, l := range s.logs {
		l.Close()
	}
}

// openLogs opens ha.cf's destinations: logfacility (syslog), logfile,
// debugfile (at debug level), syslog "daemon" when none is set (use_logd),
// and stderr with --stderr.
func (a *app) openLogs(cf *hacf.Config, level *slog.LevelVar) (*logSet, error) {
	var cfgs []daemon.LogConfig
	fileFormat := daemon.FormatHeartbeat
	if cf.SyslogMsgFmt {
		fileFormat = daemon.FormatHeartbeatSyslog
	}
	if cf.LogFacility != "" && cf.LogFacility != "none" {
		cfgs = append(cfgs, daemon.LogConfig{Target: cf.LogFacility, Program: program, Level: level})
	}
	if cf.LogFile != "" && cf.LogFile != "/dev/null" {
		cfgs = append(cfgs, daemon.LogConfig{Target: cf.LogFile, Format: fileFormat, Program: program, Level: level})
	}
	if cf.DebugFile != "" && cf.DebugFile != "/dev/null" {
		cfgs = append(cfgs, daemon.LogConfig{Target: cf.DebugFile, Format: fileFormat, Program: program, Level: slog.LevelDebug})
	}
	if cf.UseLogd && len(cfgs) == 0 {
		cfgs = append(cfgs, daemon.LogConfig{Target: "daemon", Program: program, Level: level})
	}
	if a.stderrLog {
		cfgs = append(cfgs, daemon.LogConfig{Target: "stderr", Format: daemon.FormatHeartbeat, Program: program, Level: level})
	}
	s := &logSet{}
	var hs []slog.Handler
	for _, c := range cfgs {
		l, err := daemon.OpenLog(c)
		if err != nil {
			s.close()
			return nil, err
		}
		s.logs = append(s.logs, l)
		hs = append(hs, l.Handler())
	}
	s.handler = slog.NewMultiHandler(hs...)
	return s, nil
}
