package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/buildinfo"
	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
	"github.com/ultramonkey/ultramonkey/internal/metrics"
)

// deps are the effects run uses; main wires the real ones, tests inject
// fakes. Zero fields get the production default in withDefaults.
type deps struct {
	// Getenv reads the environment ($LDIRECTORD_METRICS_ADDRESS); nil
	// means os.Getenv.
	Getenv func(string) string
	// OpenKernel opens the IPVS table; close releases it. Required.
	OpenKernel func() (k ipvs.Kernel, close func() error, err error)
	// Checkers is the check table; nil means check.Default().
	Checkers check.Registry
	// Options are ldcf's lookups; the zero value means ldcf.SystemOptions().
	Options *ldcf.Options
	// LogHandler, when set, replaces the log the configuration names.
	LogHandler slog.Handler
	// EtcDir is where bare config names are looked up ("/etc/ha.d").
	EtcDir string
	// RunDir holds pid files and control sockets ("/run"); --rundir wins.
	RunDir string
	// Getpid is the daemon's pid as written to the pid file.
	Getpid func() int
	// Signals delivers SIGTERM, SIGINT and SIGHUP to the daemon until ctx ends.
	Signals func(ctx context.Context) <-chan os.Signal
	// Kill sends sig to pid (stop, reload, restart).
	Kill func(pid int, sig syscall.Signal) error
	// WaitExit returns once pid has exited, or an error after timeout.
	WaitExit func(ctx context.Context, pid int, timeout time.Duration) error
	// Detach starts the background copy (see daemon.Detach).
	Detach func(ctx context.Context, cfg daemon.DetachConfig) (*daemon.Detached, error)
	// RunCommand runs callback= and fallbackcommand programs.
	RunCommand func(ctx context.Context, argv []string) error
	// WatchInterval is the config file poll period (ldirectord: 1 s).
	WatchInterval time.Duration
	// StopTimeout bounds stop's and restart's wait for the daemon to exit.
	StopTimeout time.Duration
	// ReadyTimeout bounds the wait for the first IPVS sync at start-up.
	ReadyTimeout time.Duration
	// Self is this program, run for the instances of execute=.
	Self string
	// NewSpeaker builds the BGP speaker of the bgp_* directives; nil means
	// bgp.NewGoBGP (GoBGP in process).
	NewSpeaker func(cfg ldcf.BGP, log *slog.Logger) bgp.Speaker
	// OpenSync opens the kernel's sync-daemon control (ipvs_sync); nil
	// means ipvs.OpenSyncNetlink. Opened only when ipvs_sync is set.
	OpenSync func() (syncDaemons, error)
	// SetSysctl writes an IPVS sysctl (net.ipv4.vs.NAME) and returns the
	// value it replaced; nil means ipvs.SetSysctl.
	SetSysctl func(name, value string) (prev string, err error)
	// SyncSettle is how long the first BGP announcements wait after
	// ipvs_sync's daemons started (routeHealth.hold); 0 means 3 s.
	SyncSettle time.Duration
	// RunInstance runs `ldirectord <config> <verb>` for execute=.
	RunInstance func(ctx context.Context, argv []string, stdout, stderr io.Writer) error
}

func (d deps) withDefaults() deps {
	if d.Checkers == nil {
		d.Checkers = check.Default()
	}
	if d.NewSpeaker == nil {
		d.NewSpeaker = func(cfg ldcf.BGP, log *slog.Logger) bgp.Speaker { return bgp.NewGoBGP(cfg, log) }
	}
	if d.SyncSettle <= 0 {
		d.SyncSettle = 3 * time.Second
	}
	if d.OpenSync == nil {
		d.OpenSync = func() (syncDaemons, error) { return ipvs.OpenSyncNetlink() }
	}
	if d.SetSysctl == nil {
		d.SetSysctl = ipvs.SetSysctl
	}
	if d.Options == nil {
		o := ldcf.SystemOptions()
		d.Options = &o
	}
	if d.EtcDir == "" {
		d.EtcDir = "/etc/ha.d"
	}
	if d.RunDir == "" {
		d.RunDir = "/run"
	}
	if d.Getpid == nil {
		d.Getpid = os.Getpid
	}
	if d.Signals == nil {
		d.Signals = func(ctx context.Context) <-chan os.Signal {
			return daemon.Signals(ctx, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		}
	}
	if d.Kill == nil {
		d.Kill = syscall.Kill
	}
	if d.WaitExit == nil {
		d.WaitExit = daemon.WaitExit
	}
	if d.Detach == nil {
		d.Detach = daemon.Detach
	}
	if d.WatchInterval <= 0 {
		d.WatchInterval = time.Second
	}
	if d.StopTimeout <= 0 {
		d.StopTimeout = 120 * time.Second
	}
	if d.ReadyTimeout <= 0 {
		d.ReadyTimeout = 60 * time.Second
	}
	if d.Self == "" {
		d.Self = selfPath()
	}
	if d.RunInstance == nil {
		d.RunInstance = execInstance
	}
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	return d
}

// invocation is a parsed command line.
type invocation struct {
	debug bool // -d: foreground, log to stderr
	// foreground (--foreground) stays in the foreground like -d but logs to
	// logfile= at the normal level: what a systemd unit (Type=notify) wants.
	// Not in ldirectord 4.12, where -d is the only foreground switch.
	foreground bool
	help       bool   // -h
	version    bool   // -v
	json       bool   // --json (status)
	rundir     string // --rundir
	// metricsAddr (--metrics-address HOST:PORT) serves Prometheus metrics;
	// "" takes $LDIRECTORD_METRICS_ADDRESS, and without it none are served.
	metricsAddr string
	config      string // as given; "" = the default
	verb        string
	args        []string // argv after the options, as ldirectord logs it
}

// metricsEnv names the environment variable that sets --metrics-address
// when the flag is absent: /etc/default/ldirectord for the unit and the
// init script, /etc/default/hbd for an ldirectord hbd starts.
const metricsEnv = "LDIRECTORD_METRICS_ADDRESS"

// daemonVerbs are the verbs that may start the daemon (and serve metrics).
var daemonVerbs = map[string]bool{"start": true, "restart": true, "try-restart": true, "check": true}

// verbs are ldirectord's commands plus our "check".
var verbs = map[string]bool{
	"start": true, "stop": true, "restart": true, "try-restart": true,
	"reload": true, "force-reload": true, "status": true, "check": true,
}

// parseArgs reads `[-d] [--foreground] [--rundir DIR] [--] [configfile] verb [--json]`.
// Options may come anywhere before "--" (ldirectord's Getopt::Long uses
// require_order; accepting "status --json" is ours).
func parseArgs(args []string) (invocation, error) {
	var inv invocation
	var pos []string
	check := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case a == "-d" || a == "--debug":
			inv.debug = true
		case a == "--foreground":
			inv.foreground = true
		case a == "-h" || a == "--help" || a == "-?":
			inv.help = true
		case a == "-v" || a == "-V" || a == "--version":
			inv.version = true
		case a == "-t":
			check = true
		case a == "--json":
			inv.json = true
		case a == "--rundir":
			if i+1 >= len(args) || args[i+1] == "" {
				return inv, errors.New("--rundir needs a directory")
			}
			i++
			inv.rundir = args[i]
		case a == "--metrics-address":
			if i+1 >= len(args) || args[i+1] == "" {
				return inv, errors.New("--metrics-address needs HOST:PORT")
			}
			i++
			inv.metricsAddr = args[i]
		case strings.HasPrefix(a, "--metrics-address="):
			inv.metricsAddr = strings.TrimPrefix(a, "--metrics-address=")
		case strings.HasPrefix(a, "--rundir="):
			inv.rundir = strings.TrimPrefix(a, "--rundir=")
			if inv.rundir == "" {
				return inv, errors.New("--rundir needs a directory")
			}
		case len(a) > 1 && a[0] == '-':
			return inv, fmt.Errorf("unknown option %q", a)
		default:
			pos = append(pos, a)
		}
	}
	if inv.help || inv.version {
		return inv, nil
	}
	if check && (len(pos) == 0 || pos[len(pos)-1] != "check") {
		pos = append(pos, "check")
	}
	switch len(pos) {
	case 1:
		inv.verb = pos[0]
	case 2:
		inv.config, inv.verb = pos[0], pos[1]
	case 0:
		return inv, errors.New("no command given")
	default:
		return inv, fmt.Errorf("too many arguments: %s", strings.Join(pos, " "))
	}
	if !verbs[inv.verb] {
		return inv, fmt.Errorf("unknown command %q", inv.verb)
	}
	inv.args = pos
	return inv, nil
}

// instance names one ldirectord instance: its config and run-time files.
type instance struct {
	config string // resolved path, as ldirectord prints it
	name   string // $CFGNAME: basename of the argument, "ldirectord" by default
	pid    daemon.PidFile
	sock   string
}

// resolveConfig finds the config file as ldirectord's ld_init does: the
// argument under etc, then under etc/conf, then as a path. The instance
// name is the argument's basename ("ldirectord" when no file is given).
func resolveConfig(arg, etc, rundir string) (instance, error) {
	name := filepath.Base(arg)
	if arg == "" {
		arg, name = "ldirectord.cf", "ldirectord"
	}
	inst := instance{
		name: name,
		pid:  daemon.PidFile{Path: filepath.Join(rundir, "ldirectord."+name+".pid"), Program: "ldirectord"},
		sock: filepath.Join(rundir, "ldirectord."+name+".sock"),
	}
	candidates := []string{arg}
	if !filepath.IsAbs(arg) {
		candidates = []string{filepath.Join(etc, arg), filepath.Join(etc, "conf", arg), arg}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			inst.config = c
			return inst, nil
		}
	}
	return inst, fmt.Errorf(msgNotFound, arg)
}

// cli is one run of the command.
type cli struct {
	inv            invocation
	inst           instance
	cfg            *ldcf.Config
	d              deps
	stdout, stderr io.Writer
}

// run is the whole command: it parses args, loads the config and runs the
// verb, returning the exit code. Everything it touches comes from d.
func run(args []string, stdout, stderr io.Writer, d deps) int {
	d = d.withDefaults()
	inv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "ldirectord: %v\n%s", err, usageText)
		return exitUsage
	}
	switch {
	case inv.help:
		fmt.Fprint(stdout, usageText)
		return exitOK
	case inv.version:
		fmt.Fprint(stdout, versionText+"\n"+buildinfo.Read().Text("ldirectord"))
		return exitOK
	}
	rundir := d.RunDir
	if inv.rundir != "" {
		rundir = inv.rundir
	}
	inst, err := resolveConfig(inv.config, d.EtcDir, rundir)
	if err != nil {
		fmt.Fprintln(stderr, err) // init_error: exit 1
		return exitInit
	}
	// Every verb parses the file first, as ld_init does. Unlike ldirectord,
	// a broken file never removes the running daemon's pid file (its
	// config_error does, so a later start ran a second daemon): we print
	// file:line, exit 2 and touch nothing.
	cfg, err := loadChecked(inst.config, *d.Options, d.EtcDir, rundir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	if inv.metricsAddr == "" {
		inv.metricsAddr = d.Getenv(metricsEnv)
	}
	if inv.metricsAddr != "" && daemonVerbs[inv.verb] {
		if err := metrics.CheckAddress(inv.metricsAddr); err != nil {
			fmt.Fprintln(stderr, "ldirectord:", err)
			return exitConfig // a bad address is a configuration error, found before anything is touched
		}
	}
	c := &cli{inv: inv, inst: inst, cfg: cfg, d: d, stdout: stdout, stderr: stderr}
	return c.dispatch(context.Background())
}

func (c *cli) dispatch(ctx context.Context) int {
	switch c.inv.verb {
	case "check":
		return c.check()
	case "status":
		return c.status(ctx)
	case "stop":
		return c.stop(ctx)
	case "reload", "force-reload":
		return c.reload()
	case "start":
		return c.start(ctx)
	case "restart":
		return c.restart(ctx, false)
	case "try-restart":
		return c.restart(ctx, true)
	}
	return exitUsage
}
