// Package daemon is the process plumbing hbd and ldirectord share: pid files,
// the control socket, detaching into the background, signals, logging to
// syslog or a file in Heartbeat's and ldirectord's line formats (with
// SwapHandler, a log destination replaced live on reload), sd_notify, and
// InNetns, which opens a socket inside a network namespace from a thread
// of its own (the daemons' sockets in tests' namespaces), and OneProc, the
// daemons' GOMAXPROCS default.
//
// It owns process-level effects only. It knows nothing about clusters,
// resources or virtual services, never calls os.Exit, and never chooses an
// exit code: functions return errors (*StartError carries the detached
// child's exit code) and cmd/hbd and cmd/ldirectord decide.
//
// A typical `start` in cmd/:
//
//	pf := daemon.PidFile{Path: "/run/ldirectord.ldirectord.pid", Program: "ldirectord"}
//	if _, st, _ := pf.Check(); st == daemon.PidRunning { return 0 } // already running
//	var d *daemon.Detached // stays nil in the foreground (-d, supervised, hbd -f)
//	if !foreground {
//		d, err = daemon.Detach(ctx, daemon.DetachConfig{Env: "LDIRECTORD_DETACHED"})
//		if err != nil { // *StartError: the child's own text and exit code
//			fmt.Fprintln(os.Stderr, err); return exitCode(err)
//		}
//		if !d.IsChild() { return 0 } // parent: the child is up
//	}
//	lg, _ := daemon.OpenLog(daemon.LogConfig{Target: "/var/log/ldirectord.log",
//		Format: daemon.FormatLdirectord, Program: "ldirectord", Name: "ldirectord"})
//	ctx, stop := daemon.ShutdownContext(ctx)       // SIGTERM/SIGINT
//	defer stop()
//	daemon.HandleSignals(ctx, map[os.Signal]func(){syscall.SIGHUP: func() { lg.Reopen(); reload() }})
//	ctl, err := daemon.ListenControl("/run/ldirectord.ldirectord.sock")
//	err = errors.Join(err, pf.Write(os.Getpid()))
//	d.NotifyReady(err)                             // parent exits 0, or 1 with err's text
//	go ctl.Serve(ctx, handler)
//	go daemon.RunWatchdog(ctx)
//	... run ...; daemon.Stopping(); pf.Remove(os.Getpid())
//
// Several log destinations at once (Heartbeat's logfacility + logfile +
// debugfile) combine with slog.NewMultiHandler over each Log's Handler.
package daemon
