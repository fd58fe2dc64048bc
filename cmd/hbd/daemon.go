package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// detachEnv marks the background copy started by `hbd start`.
const detachEnv = "HBD_DETACHED"

// program is the name hbd logs under: Heartbeat's syslog tag and file
// prefix, so existing log filters keep matching.
const program = "heartbeat"

func (a *app) pidFile() daemon.PidFile { return daemon.PidFile{Path: a.pidPath(), Program: "hbd"} }

// runForeground is `hbd run`.
func (a *app) runForeground(ctx context.Context) int {
	return a.serve(ctx, nil)
}

// start validates synchronously, then detaches; the child serves.
func (a *app) start(ctx context.Context) int {
	if _, ok := os.LookupEnv(detachEnv); !ok {
		if _, err := a.loadConfig(); err != nil {
			return a.printConfError(err)
		}
		if err := a.checkMetricsAddress(); err != nil {
			fmt.Fprintln(a.stderr, "hbd:", err)
			return exitNotConfiged
		}
		if pid, st, _ := a.pidFile().Check(); st == daemon.PidRunning {
			fmt.Fprintf(a.stdout, "hbd: already running [pid %d]\n", pid)
			return exitOK
		}
	}
	d, err := daemon.Detach(ctx, daemon.DetachConfig{Env: detachEnv})
	if err != nil {
		fmt.Fprintln(a.stderr, "hbd:", err)
		var se *daemon.StartError
		if errors.As(err, &se) {
			return se.Exit
		}
		return exitFail
	}
	if !d.IsChild() {
		return exitOK
	}
	return a.serve(ctx, d)
}

// stop sends SIGTERM and waits until hbd has released everything and exited.
func (a *app) stop(ctx context.Context) int {
	pid, st, err := a.pidFile().Check()
	if err != nil {
		fmt.Fprintln(a.stderr, "hbd:", err)
		return exitFail
	}
	if st != daemon.PidRunning {
		fmt.Fprintln(a.stdout, "hbd: not running")
		return exitOK
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(a.stderr, "hbd: signalling pid %d: %v\n", pid, err)
		return exitFail
	}
	if err := daemon.WaitExit(ctx, pid, stopTimeout); err != nil {
		fmt.Fprintln(a.stderr, "hbd:", err)
		return exitFail
	}
	return exitOK
}

// reload validates, then SIGHUPs the daemon (or starts it).
func (a *app) reload(ctx context.Context) int {
	if _, err := a.loadConfig(); err != nil {
		return a.printConfError(err)
	}
	pid, st, _ := a.pidFile().Check()
	if st != daemon.PidRunning {
		return a.start(ctx)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(a.stderr, "hbd: signalling pid %d: %v\n", pid, err)
		return exitFail
	}
	return exitOK
}

// serve runs the daemon in this process until SIGTERM has released the
// resources. d is nil in the foreground.
func (a *app) serve(ctx context.Context, d *daemon.Detached) int {
	daemon.OneProc()
	fail := func(code int, err error) int {
		d.NotifyReady(err)
		fmt.Fprintln(a.stderr, "hbd:", err)
		return code
	}
	cfg, err := a.loadConfig()
	if err != nil {
		d.NotifyReady(err)
		return a.printConfError(err)
	}
	logs, err := a.newLogState(cfg.hacf)
	if err != nil {
		return fail(exitFail, err)
	}
	defer logs.close()
	log := logs.logger
	for _, w := range cfg.warnings {
		log.Warn(w.String())
	}
	// --metrics-address is bound before realtime, the pid file and the
	// node's links, so before any resource is touched: a bad or busy
	// address is a configuration error (exit 6).
	metricsLn, err := a.listenMetrics()
	if err != nil {
		return fail(exitNotConfiged, err)
	}
	if metricsLn != nil {
		defer metricsLn.Close()
	}
	// Before the node's sockets and goroutines: threads created from
	// here on inherit SCHED_RR.
	makeRealtime(cfg.hacf, log)
	if err := os.MkdirAll(a.runDir, 0o755); err != nil {
		return fail(exitFail, fmt.Errorf("creating run dir: %w", err))
	}
	pf := a.pidFile()
	if pid, st, _ := pf.Check(); st == daemon.PidRunning {
		return fail(exitFail, fmt.Errorf("already running [pid %d]", pid))
	}
	ctl, err := daemon.ListenControl(a.sockPath())
	if err != nil {
		return fail(exitFail, err)
	}
	defer ctl.Close()
	wd, closeWD := openWatchdog(cfg.hacf, log)
	defer closeWD()
	node, mgr, cleanup, err := a.buildNode(ctx, cfg, wd, log)
	if err != nil {
		return fail(exitFail, err)
	}
	defer cleanup()
	if err := pf.Write(os.Getpid()); err != nil {
		return fail(exitFail, err)
	}
	defer pf.Remove(os.Getpid())
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	acc, warnings := resolveAPIAccess(cfg.hacf, systemUsers)
	for _, w := range warnings {
		log.Warn(w)
	}
	if err := shareControl(ctl, acc); err != nil {
		log.Warn("status stays root only", "err", err)
	}
	go ctl.Serve(sctx, authorize(a.handler(node, resourceDetails{mgr: mgr, groups: cfg.groups}), acc))
	sigDone := a.handleSignals(sctx, node, logs, log)
	// hbd.service sets WatchdogSec: without pings systemd kills hbd.
	go daemon.RunWatchdog(sctx)
	if metricsLn != nil {
		a.serveMetrics(sctx, metricsLn, node, log)
	}
	if err := d.NotifyReady(nil); err != nil {
		log.Warn(err.Error())
	}
	stopChildren := startRespawn(cfg.hacf, log)
	err = node.Run(context.WithoutCancel(ctx))
	daemon.Stopping()
	closeWD() // the loop no longer tickles it: disarm before the children's stop wait
	stopChildren()
	stopServe()
	<-sigDone
	if err != nil {
		log.Error(err.Error())
		return exitFail
	}
	return exitOK
}

// buildNode wires the real effects into a heartbeat.Node.
func (a *app) buildNode(ctx context.Context, cfg *loaded, wd heartbeat.Tickler, log *slog.Logger) (*heartbeat.Node, *resources.Manager, func(), error) {
	cf := cfg.hacf
	gen, err := heartbeat.NextGeneration(a.stateDir, cf.GenMethod == hacf.GenTime, time.Now())
	if err != nil {
		return nil, nil, nil, err
	}
	uuid, err := heartbeat.LoadUUID(a.stateDir, cfg.local, cf.UUIDFrom == hacf.UUIDFromNodename)
	if err != nil {
		return nil, nil, nil, err
	}
	syncd, err := openSync(cfg.groups)
	if err != nil {
		return nil, nil, nil, err
	}
	udp, err := heartbeat.OpenUDP(ctx, heartbeat.UDPConfig{Ucast: cf.Ucast, Bcast: cf.Bcast, Mcast: cf.Mcast, Logger: log})
	if err != nil {
		closeSync(syncd)
		return nil, nil, nil, err
	}
	pingNodes, pinger, err := openPing(ctx, cf, log)
	if err != nil {
		udp.Close()
		closeSync(syncd)
		return nil, nil, nil, err
	}
	nl, err := resources.OpenNetlink(resources.NetlinkConfig{Logger: log})
	if err != nil {
		udp.Close()
		closePinger(pinger)
		closeSync(syncd)
		return nil, nil, nil, err
	}
	cleanup := func() { udp.Close(); nl.Close(); closePinger(pinger); closeSync(syncd) }
	vips := resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: resources.NewARP(resources.ARPConfig{}), Logger: log})
	env := resources.Env{ConfDir: a.confDir, InitDir: "/etc/init.d", Ldirectord: siblingBinary("ldirectord"),
		Addrs: nl, VIPs: vips, Sysctls: resources.ProcSysctls{}, Logger: log, ScriptEnv: []string{
			"HA_DIR=" + a.confDir, "HA_RESOURCEDIR=" + filepath.Join(a.confDir, "resource.d"),
			"HA_CURHOST=" + cfg.local, "HA_LOGFACILITY=" + cf.LogFacility, "HA_LOGFILE=" + cf.LogFile,
			"HA_DEBUGLOG=" + cf.DebugFile}}
	if syncd != nil {
		env.SyncDaemons = syncd
	}
	mgr := resources.NewManager(resources.ManagerConfig{Logger: log, Addrs: nl, VIPs: vips},
		func(r resources.Resource) (resources.Agent, error) { return resources.Resolve(r, env) })
	var pg heartbeat.Pinger // stays nil without ping nodes
	if pinger != nil {
		pg = pinger
	}
	node, err := heartbeat.New(heartbeat.Config{HaCf: cf, Keys: cfg.keys, Groups: cfg.groups, Local: cfg.local,
		Transport: udp, PingNodes: pingNodes, Pinger: pg, Runner: mgr, Monitor: mgr, Preparer: mgr, VIPs: mgr, Generation: gen, UUID: uuid, Logger: log,
		LoadAvg: loadAvgEvery(time.Second), Watchdog: wd, Observer: a.observer(syncd)})
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return node, mgr, cleanup, nil
}

// openPing resolves ha.cf's ping nodes and opens the raw ICMP socket
// their echo requests use; none when ha.cf names no ping node.
func openPing(ctx context.Context, cf *hacf.Config, log *slog.Logger) ([]heartbeat.PingNode, *heartbeat.ICMP, error) {
	lookup := func(ctx context.Context, host string) (netip.Addr, error) {
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
		if err != nil || len(addrs) == 0 {
			return netip.Addr{}, fmt.Errorf("cannot resolve: %v", err)
		}
		return addrs[0].Unmap(), nil
	}
	nodes, err := heartbeat.PingNodes(ctx, cf, lookup)
	if err != nil || len(nodes) == 0 {
		return nil, nil, err
	}
	p, err := heartbeat.OpenICMP(heartbeat.ICMPConfig{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return nodes, p, nil
}

func closePinger(p *heartbeat.ICMP) {
	if p != nil {
		p.Close()
	}
}

// handleSignals: SIGTERM/SIGINT shut down (releasing resources), SIGHUP
// reloads ha.cf and authkeys and reopens the logs, SIGUSR1/SIGUSR2 raise
// and lower the log level. The channel closes when ctx ends.
func (a *app) handleSignals(ctx context.Context, node *heartbeat.Node, logs *logState, log *slog.Logger) <-chan struct{} {
	return daemon.HandleSignals(ctx, map[os.Signal]func(){
		syscall.SIGTERM: func() { go node.Shutdown(context.Background()) },
		syscall.SIGINT:  func() { go node.Shutdown(context.Background()) },
		syscall.SIGHUP: func() {
			logs.reopen()
			a.reloadNode(ctx, node, logs, log)
		},
		syscall.SIGUSR1: func() { logs.level.Set(logs.level.Level() - 4) },
		syscall.SIGUSR2: func() { logs.level.Set(min(logs.level.Level()+4, slog.LevelInfo)) },
	})
}

// reloadNode re-reads the files; a broken one keeps the running config.
// The log destinations and debug level change here, before the node
// applies the rest, so its reload lines go to the new destinations.
func (a *app) reloadNode(ctx context.Context, node *heartbeat.Node, logs *logState, log *slog.Logger) {
	daemon.Reloading() // systemd: RELOADING=1 now, READY=1 when done
	defer daemon.Ready()
	cf, _, err := hacf.LoadHaCf(filepath.Join(a.confDir, "ha.cf"))
	if err != nil {
		log.Error("ha.cf not reloaded, keeping the running configuration: " + oneLine(err))
		cf = nil
	}
	if cf != nil {
		if err := logs.apply(cf); err != nil {
			log.Error("ha.cf log destinations not reloaded, keeping the running ones: " + oneLine(err))
		}
	}
	keys, err := hacf.LoadAuthKeys(filepath.Join(a.confDir, "authkeys"))
	if err != nil {
		log.Error("authkeys not reloaded, keeping the running keys: " + oneLine(err))
		keys = nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := node.Reload(rctx, cf, keys); err != nil {
		log.Error("reload: " + err.Error())
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// siblingBinary returns the path of name next to this executable, or "".
func siblingBinary(name string) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// loadAvgEvery returns Heartbeat's ld= field: the first line of
// /proc/loadavg, read again only when the last read is older than maxAge.
// The kernel recomputes the averages every 5 s, and a status goes out
// every keepalive, down to 10 ms: reading the file each time was a tenth
// of hbd's idle syscalls (issue 14). The engine goroutine is its only
// caller.
func loadAvgEvery(maxAge time.Duration) func() string {
	var line string
	var at time.Time
	return func() string {
		if now := time.Now(); at.IsZero() || now.Sub(at) >= maxAge {
			line, at = loadAvg(), now
		}
		return line
	}
}

// loadAvg is the first line of /proc/loadavg, Heartbeat's ld= field.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}
