package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
	"github.com/ultramonkey/ultramonkey/internal/metrics"
)

// server is the running daemon. Its loop goroutine owns cfg and the
// watcher; the director runs on its own goroutine and the control socket
// answers from the director's published Status.
type server struct {
	c    *cli
	pid  int
	logs *daemonLog
	log  *slog.Logger
	dir  *director.Director
	cfg  *ldcf.Config
	fw   *fileWatch
	// metrics is nil without --metrics-address.
	metrics *ldMetrics
	// sync runs ipvs_sync's daemons and sysctls (loop goroutine only).
	sync *allToAll
	// routes runs the BGP announcer of bgp_* (route health injection).
	routes *routeHealth
}

// serve is the daemon: it opens the log and the IPVS table, takes the pid
// file and the control socket, runs the director and reports readiness
// (to the waiting parent when detached, and sd_notify READY=1), then
// handles signals and config changes until SIGTERM/SIGINT. The returned
// code is the process's exit code.
func (c *cli) serve(ctx context.Context, det *daemon.Detached) int {
	sigCtx, stopSigs := context.WithCancel(ctx)
	defer stopSigs()
	sigs := c.d.Signals(sigCtx) // caught from here on: a stop never kills us uncleanly
	s := &server{c: c, pid: c.d.Getpid(), cfg: c.cfg}
	logs, err := openDaemonLog(logTarget(c.cfg.Global, c.inv.debug, c.inst.name), c.d.LogHandler)
	if err != nil {
		return s.fail(det, fmt.Errorf("opening the log: %w", err), exitInit)
	}
	defer logs.close()
	s.logs, s.log = logs, logs.Logger()
	s.log.Info(fmt.Sprintf(msgInvoked, strings.Join(append([]string{os.Args[0]}, c.inv.args...), " ")))
	s.logWarnings(c.cfg)

	// The metrics address is bound before the IPVS table is touched: one
	// in use stops the start with exit 2, as a configuration error.
	var metricsLn net.Listener
	if c.inv.metricsAddr != "" {
		if metricsLn, err = metrics.Listen(c.inv.metricsAddr); err != nil {
			return s.fail(det, err, exitConfig)
		}
		defer metricsLn.Close()
	}

	kernel, closeKernel, err := c.d.OpenKernel()
	if err != nil { // ipvs.ErrNoIPVS on a kernel without IPVS
		return s.fail(det, err, exitInit)
	}
	defer closeKernel()
	if err := c.inst.pid.Write(s.pid); err != nil {
		return s.fail(det, err, exitInit)
	}
	defer c.inst.pid.Remove(s.pid)
	ctl, err := daemon.ListenControl(c.inst.sock)
	if err != nil {
		return s.fail(det, err, exitInit)
	}
	defer ctl.Close()

	// ipvs_sync: the sync daemons run before the first IPVS sync and stop
	// after the routes are withdrawn (this defer runs after the BGP one).
	s.sync = &allToAll{open: c.d.OpenSync, setSysctl: c.d.SetSysctl, log: s.log}
	syncOK := s.applySync(c.cfg)
	defer func() {
		if err := s.sync.stop(); err != nil {
			s.log.Error("stopping the IPVS sync daemons", "err", err)
		}
	}()

	dc := director.Config{Kernel: kernel, Checkers: c.d.Checkers, Logger: s.log, RunCommand: c.d.RunCommand}
	if metricsLn != nil {
		s.metrics = newLdMetrics(func() director.Status { return s.dir.Status() }, func() *bgpStatus { return s.routes.status() })
		dc.Observer = s.metrics
	}
	// Route health injection: the announcer outlives the director's Run
	// (this defer runs after the ones below), so the director's last,
	// empty set is withdrawn before the sessions close.
	s.routes = &routeHealth{newSpeaker: c.d.NewSpeaker, log: s.log}
	if syncOK && c.cfg.Global.IPVSSync.Enabled() && c.cfg.Global.BGP.Enabled() {
		s.routes.hold(c.d.SyncSettle)
	}
	s.routes.apply(c.cfg)
	defer s.routes.stop()
	dc.Routes = s.routes
	s.dir = director.New(dc)
	s.fw = newFileWatch(c.inst.config)
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- s.dir.Run(runCtx, c.cfg) }()
	if err := s.waitFirstSync(ctx, runDone); err != nil {
		stopRun()
		<-runDone
		return s.fail(det, err, exitInit)
	}

	ctlCtx, stopCtl := context.WithCancel(ctx)
	ctlDone := make(chan error, 1)
	go func() { ctlDone <- ctl.Serve(ctlCtx, s.handle) }()
	defer func() { stopCtl(); <-ctlDone }()
	go daemon.RunWatchdog(ctlCtx)
	if metricsLn != nil {
		mctx, stopMetrics := context.WithCancel(ctx)
		mdone := make(chan struct{})
		go func() {
			defer close(mdone)
			if err := metrics.Serve(mctx, metricsLn, metrics.NewRegistry(s.metrics.collectors()...)); err != nil {
				s.log.Error("metrics endpoint stopped", "err", err)
			}
		}()
		defer func() { stopMetrics(); <-mdone }()
		s.log.Info("serving metrics on http://" + metricsLn.Addr().String() + "/metrics")
	}
	if err := det.NotifyReady(nil); err != nil {
		s.log.Warn("cannot report readiness", "err", err)
	}
	if det.IsChild() {
		s.log.Info(msgStartingBG)
	} else {
		s.log.Info(fmt.Sprintf(msgStartingFG, s.pid))
	}
	s.daemonChildren("start", c.cfg.Global.Execute) // ld_cmd_children("start", %LD_INSTANCE)
	return s.loop(sigs, stopRun, runDone)
}

// fail reports a start-up failure: logged with ldirectord's exit line,
// printed on stderr in the foreground, and handed to the waiting parent
// when detached (which prints it and exits with our code).
func (s *server) fail(det *daemon.Detached, err error, code int) int {
	if s.log != nil {
		s.log.Error(err.Error())
		s.log.Info(fmt.Sprintf(msgExitStatus, code, "Initialisation Error"))
	}
	if !det.IsChild() && (s.log == nil || !s.c.inv.debug) { // -d logs to stderr already
		fmt.Fprintln(s.c.stderr, err)
	}
	det.NotifyReady(err)
	return code
}

// waitFirstSync returns once the director has read and reconciled the
// kernel table once (Status.LastSync set) or reported why it could not.
func (s *server) waitFirstSync(ctx context.Context, runDone <-chan error) error {
	deadline := time.NewTimer(s.c.d.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		st := s.dir.Status()
		if !st.LastSync.IsZero() {
			return nil
		}
		if st.SyncError != "" {
			return fmt.Errorf("initial IPVS sync: %s", st.SyncError)
		}
		select {
		case err := <-runDone:
			return fmt.Errorf("director stopped during start-up: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("initial IPVS sync: not done after %s", s.c.d.ReadyTimeout)
		case <-tick.C:
		}
	}
}

// loop handles signals and config-file changes until the director stops.
func (s *server) loop(sigs <-chan os.Signal, stopRun context.CancelFunc, runDone <-chan error) int {
	poll := time.NewTicker(s.c.d.WatchInterval)
	defer poll.Stop()
	var stopSig os.Signal
	for {
		select {
		case sig, ok := <-sigs:
			if !ok {
				sigs = nil
				continue
			}
			switch {
			case sig == syscall.SIGHUP && stopSig == nil:
				s.log.Info(msgReloading)
				if err := s.logs.reopen(); err != nil {
					s.log.Warn("cannot reopen the log", "err", err)
				}
				s.reload()
			case sig == syscall.SIGTERM || sig == syscall.SIGINT:
				if stopSig == nil {
					stopSig = sig
					daemon.Stopping()
					s.daemonChildren("stop", s.cfg.Global.Execute) // ld_process_term: the children first
					stopRun()
				}
			}
		case <-poll.C:
			if stopSig == nil {
				s.pollConfig()
			}
		case err := <-runDone:
			if err != nil {
				s.log.Error(err.Error())
			}
			if stopSig == nil {
				s.log.Error("director stopped unexpectedly")
				return exitInit
			}
			s.log.Info(fmt.Sprintf(msgTerminated, signalName(stopSig)))
			return exitOK
		}
	}
}

// signalName is the name ldirectord logs: "TERM", "INT".
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		switch s {
		case syscall.SIGTERM:
			return "TERM"
		case syscall.SIGINT:
			return "INT"
		}
	}
	return sig.String()
}

// pollConfig is ldirectord's check_cfgfile: a changed file is reloaded with
// autoreload=yes, and callback= runs either way.
func (s *server) pollConfig() {
	changed, err := s.fw.changed()
	if err != nil {
		s.log.Warn(err.Error())
		return
	}
	if !changed {
		return
	}
	s.log.Info(fmt.Sprintf(msgCfgChanged, s.c.inst.config))
	g := s.cfg.Global
	if g.AutoReload {
		s.log.Info(msgCfgReread)
		s.reload()
	} else {
		s.log.Info(msgCfgIgnore)
	}
	if g.Callback != "" {
		s.callback(g.Callback)
	}
}

// callback runs `callback <config path>` in the background if it is
// executable, as ldirectord does (its POD says the config's name; its code
// passes the path).
func (s *server) callback(path string) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&0o111 == 0 {
		return
	}
	argv := []string{path, s.c.inst.config}
	run := s.c.d.RunCommand
	if run == nil {
		run = director.ExecCommand
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := run(ctx, argv); err != nil {
			s.log.Error("callback failed", "argv", argv, "err", err)
		}
	}()
}

// reload reads the file again and hands it to the director, which keeps
// the check state of unchanged checks. A broken file is logged with its
// position (ldirectord __config_log) and the running config stays.
func (s *server) reload() {
	daemon.Reloading()
	defer daemon.Ready()
	cfg, err := s.loadConfig()
	if err != nil {
		var ce *ldcf.Error
		if errors.As(err, &ce) {
			s.log.Error(fmt.Sprintf(msgConfigError, s.pid, ce.File, ce.Line, ce.Msg), "action", msgKeepRunning)
		} else {
			s.log.Error(err.Error(), "action", msgKeepRunning)
		}
		if s.metrics != nil {
			s.metrics.reloadFailed()
		}
		return
	}
	s.logWarnings(cfg)
	s.routes.apply(cfg)
	if !reflect.DeepEqual(cfg.Global.IPVSSync, s.cfg.Global.IPVSSync) {
		s.applySync(cfg)
	}
	stop, keep, start := childrenOfReload(s.cfg.Global.Execute, cfg.Global.Execute) // reread_config
	s.daemonChildren("stop", stop)
	s.daemonChildren("reload_or_start", keep)
	s.daemonChildren("start", start)
	if err := s.logs.retarget(logTarget(cfg.Global, s.c.inv.debug, s.c.inst.name)); err != nil {
		s.log.Error("cannot switch the log; keeping the current one", "err", err)
	}
	s.cfg = cfg
	s.c.cfg = cfg
	s.dir.Reload(cfg)
}

// loadConfig reads and parses the config for a reload, recording what it
// read as the watcher's baseline.
func (s *server) loadConfig() (*ldcf.Config, error) {
	b, err := s.fw.load()
	if err != nil {
		return nil, &ldcf.Error{File: s.c.inst.config, Msg: fmt.Sprintf("cannot read config: %v", err)}
	}
	cfg, err := ldcf.Parse(s.c.inst.config, b, *s.c.d.Options)
	if err != nil {
		return nil, err
	}
	return withFileChecks(cfg, s.c.d.EtcDir, s.c.rundir())
}

// applySync applies cfg's ipvs_sync and reports whether it succeeded; a
// failure is logged, and checks, IPVS and BGP go on without sync.
func (s *server) applySync(cfg *ldcf.Config) bool {
	if err := s.sync.apply(cfg.Global.IPVSSync); err != nil {
		s.log.Error("IPVS connection sync (ipvs_sync) not fully applied; load balancing goes on without it", "err", err)
		return false
	}
	return true
}

func (s *server) logWarnings(cfg *ldcf.Config) {
	for _, w := range cfg.Warnings {
		s.log.Warn(fmt.Sprintf(msgConfigWarn, s.pid, w.File, w.Line, w.Msg))
	}
	for _, w := range checkWarnings(cfg, s.c.d.Checkers) {
		s.log.Warn(w)
	}
}

// handle answers the control socket: "status" returns the director's
// Status as JSON and as the status table.
func (s *server) handle(_ context.Context, req daemon.Request) daemon.Response {
	switch req.Verb {
	case "status":
		st := daemonStatus{Status: s.dir.Status(), BGP: s.routes.status()}
		b, err := json.Marshal(st)
		if err != nil {
			return daemon.Response{Exit: exitInit, Text: err.Error()}
		}
		return daemon.Response{OK: true, JSON: b, Text: formatStatus(st.Status) + formatBGPStatus(st.BGP, time.Now())}
	}
	return daemon.Response{Exit: exitUsage, Text: fmt.Sprintf("unknown request %q", req.Verb)}
}
