// Command hbd replaces Heartbeat 3.0.6 in classic haresources mode.
//
//	hbd [flags] start|stop|restart|reload|status [--json]|run|check
//	hbd [flags] -t
//	hbd [flags] standby [all|local|foreign|failback] [--timeout D]
//	hbd [flags] takeover [all|local|foreign|failback] [--timeout D]
//
// Called as hb_standby, hb_takeover or cl_status (argv[0]), it behaves as
// those Heartbeat tools. Run `hbd -h` for the flags and exit codes.
//
// Files: main.go (flags, verbs, exit codes), config.go and check.go (load
// and `hbd check`), daemon.go (the daemon: real effects wired into
// heartbeat.Node), control.go and auth.go (the control socket and who may
// use it), clstatus.go (cl_status), format.go (the status text), logs.go
// (ha.cf's log destinations), children.go (the watchdog and the respawn
// programs), sync.go (the LVS sync daemons), metrics.go, realtime.go.
//
// Size: about 2,200 lines, over the ~2,000 guide: hbd is a daemon and
// Heartbeat's four client tools (hbd, hb_standby, hb_takeover, cl_status)
// in one binary, each with Heartbeat's flags, texts and exit codes; the
// engines and effects it wires are in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/buildinfo"
)

// Exit codes. Config errors are Heartbeat's LSB_EXIT_NOTCONFIGED (6);
// status follows LSB (0 running, 1 stale pid file, 3 stopped).
const (
	exitOK          = 0
	exitFail        = 1 // generic failure; standby/takeover refused; status: stale pid file
	exitUsage       = 2 // bad command line
	exitNotRunning  = 3 // status: not running; standby/takeover/cl_status: hbd not running
	exitCancelled   = 4 // standby/takeover started but did not complete
	exitTimeout     = 5 // standby/takeover: gave up waiting
	exitNotConfiged = 6 // ha.cf, authkeys or haresources error (file:line on stderr)
)

// Default directories.
const (
	defaultConfDir  = "/etc/ha.d"
	defaultRunDir   = "/run/hbd"
	defaultStateDir = "/var/lib/hbd"
)

const usageText = `usage: hbd [flags] VERB [args]

Verbs:
  run                      run in the foreground (systemd, tests); SIGTERM releases
                           the resources and exits, SIGHUP re-reads ha.cf and authkeys
  start                    validate the configuration, then run in the background;
                           returns once hbd is up (0 also when already running)
  stop                     release the resources to the peer and wait for hbd to exit
  restart                  stop, then start
  reload                   validate, then SIGHUP the running hbd (start it if stopped)
  check                    validate ha.cf, authkeys, haresources, the resource scripts
                           and respawn programs; print the plan; touch nothing
                           (exit 0, or 6 with file:line on stderr)
  status [--json]          0 running, 1 stale pid file, 3 stopped
  standby [all|local|foreign|failback] [--timeout D]
                           hand resources to the peer (hb_standby); returns when done
  takeover [all|local|foreign|failback] [--timeout D]
                           take resources from the peer (hb_takeover); returns when done

Flags (before the verb):
  --confdir DIR    ha.cf, authkeys, haresources, resource.d (default /etc/ha.d)
  --rundir DIR     pid file hbd.pid and control socket hbd.sock (default /run/hbd)
  --statedir DIR   generation and uuid files (default /var/lib/hbd)
  --node NAME      this node's name instead of uname -n (must be a node line)
  --stderr         also log to stderr (run, start)
  -t               same as the check verb
  --metrics-address HOST:PORT
                   serve Prometheus metrics on http://HOST:PORT/metrics (run,
                   start; off by default); malformed or busy: exit 6 before
                   any resource is touched
  -V, --version    print the version, VCS revision and Go version, and exit

Exit codes: 0 ok; 1 failed (standby/takeover refused, stale pid file);
2 usage; 3 not running; 4 standby/takeover cancelled before completing;
5 timed out waiting; 6 configuration error (file:line on stderr).

Called as hb_standby, hb_takeover or cl_status, hbd behaves as those tools.
`

// app is one invocation.
type app struct {
	confDir, runDir, stateDir, node string
	stderrLog, checkOnly            bool
	stdout, stderr                  io.Writer
	// metricsAddr (--metrics-address) serves Prometheus metrics; "" none.
	// metrics is set by serve when it does (metrics.go).
	metricsAddr string
	metrics     *hbdMetrics
}

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}

// run dispatches on argv[0] and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	prog := filepath.Base(args[0])
	rest, code, ok := a.parseGlobal(prog, args[1:])
	if !ok {
		return code
	}
	switch prog {
	case "hb_standby", "hb_takeover":
		return a.hbTool(ctx, prog, rest)
	case "cl_status":
		return a.clStatus(ctx, rest)
	}
	if a.checkOnly {
		return a.check()
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	verb, vargs := rest[0], rest[1:]
	switch verb {
	case "run":
		return a.runForeground(ctx)
	case "start":
		return a.start(ctx)
	case "stop":
		return a.stop(ctx)
	case "restart":
		if code := a.stop(ctx); code != exitOK {
			return code
		}
		return a.start(ctx)
	case "reload":
		return a.reload(ctx)
	case "check":
		return a.check()
	case "status":
		return a.status(ctx, vargs)
	case "standby", "takeover":
		return a.move(ctx, verb, vargs, false)
	}
	fmt.Fprintf(stderr, "hbd: unknown verb %q\n%s", verb, usageText)
	return exitUsage
}

// parseGlobal reads the flags before the verb.
func (a *app) parseGlobal(prog string, args []string) ([]string, int, bool) {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.confDir, "confdir", defaultConfDir, "")
	fs.StringVar(&a.runDir, "rundir", defaultRunDir, "")
	fs.StringVar(&a.stateDir, "statedir", defaultStateDir, "")
	fs.StringVar(&a.node, "node", "", "")
	fs.BoolVar(&a.stderrLog, "stderr", false, "")
	fs.BoolVar(&a.checkOnly, "t", false, "")
	fs.StringVar(&a.metricsAddr, "metrics-address", "", "")
	var version bool
	fs.BoolVar(&version, "version", false, "")
	fs.BoolVar(&version, "V", false, "")
	if prog == "cl_status" {
		// cl_status has short options of its own (-m, -p, -n, -v).
		return a.parseLong(fs, args)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if prog == "hbd" || !isAlias(prog) {
				fmt.Fprint(a.stdout, usageText)
			} else {
				fmt.Fprintf(a.stdout, "usage: %s [all|foreign|local|failback]\n", prog)
			}
			return nil, exitOK, false
		}
		fmt.Fprintf(a.stderr, "%s: %v\n", prog, err)
		if isAlias(prog) {
			return nil, exitFail, false
		}
		fmt.Fprint(a.stderr, usageText)
		return nil, exitUsage, false
	}
	if version {
		fmt.Fprint(a.stdout, buildinfo.Read().Text(prog))
		return nil, exitOK, false
	}
	return fs.Args(), 0, true
}

// parseLong takes only --name[=value] flags from the front of args.
func (a *app) parseLong(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var long []string
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "--"); i++ {
		long = append(long, args[i])
		if !strings.Contains(args[i], "=") && args[i] != "--stderr" && i+1 < len(args) {
			i++
			long = append(long, args[i])
		}
	}
	if err := fs.Parse(long); err != nil {
		fmt.Fprintf(a.stderr, "cl_status: %v\n", err)
		return nil, clParameterError, false
	}
	return args[i:], 0, true
}

func isAlias(prog string) bool {
	return prog == "hb_standby" || prog == "hb_takeover" || prog == "cl_status"
}

func (a *app) pidPath() string  { return filepath.Join(a.runDir, "hbd.pid") }
func (a *app) sockPath() string { return filepath.Join(a.runDir, "hbd.sock") }

// stopTimeout bounds `hbd stop`: the resources may take long to stop
// (the systemd unit of Heartbeat allows 30 minutes).
const stopTimeout = 30 * time.Minute
