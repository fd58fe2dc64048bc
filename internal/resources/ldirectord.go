package resources

// The built-in ldirectord agent: start and stop run our ldirectord binary
// with Heartbeat's calling convention (script.go); status reads the pid
// file ldirectord keeps and asks /proc whether that process is a live
// ldirectord, without running anything, so the monitor can poll it every
// few seconds.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// DefaultLdirectordRunDir is where ldirectord keeps its pid file when not
// given --rundir (cmd/ldirectord: /run/ldirectord.<cfgname>.pid).
const DefaultLdirectordRunDir = "/run"

// LdirectordConfig configures an Ldirectord agent.
type LdirectordConfig struct {
	Script ScriptConfig // Path is our ldirectord binary; Args the resource's arguments
	// RunDir is ldirectord's run directory when the arguments give no
	// --rundir; "" means DefaultLdirectordRunDir.
	RunDir string
}

// Ldirectord is the built-in ldirectord agent. Start and Stop run
// `ldirectord ARGS... start|stop` (start reconciles an IPVS table left in
// the kernel by a killed ldirectord without deleting what stays). Status is
// the pid file check `ldirectord ARGS... status` makes first: running when
// RunDir/ldirectord.<cfgname>.pid names a live process whose command line
// contains "ldirectord", where cfgname is the basename of the configuration
// argument ("ldirectord" without one), as cmd/ldirectord names it.
type Ldirectord struct {
	*Script
	pid daemon.PidFile
}

var (
	_ Agent     = (*Ldirectord)(nil)
	_ Monitored = (*Ldirectord)(nil)
)

// NewLdirectord returns the agent for cfg.
func NewLdirectord(cfg LdirectordConfig) *Ldirectord {
	runDir, name := ldirectordInstance(cfg.Script.Args)
	if runDir == "" {
		runDir = cfg.RunDir
	}
	if runDir == "" {
		runDir = DefaultLdirectordRunDir
	}
	return &Ldirectord{Script: NewScript(cfg.Script),
		pid: daemon.PidFile{Path: filepath.Join(runDir, "ldirectord."+name+".pid"), Program: "ldirectord"}}
}

// PidFile is the pid file Status reads.
func (l *Ldirectord) PidFile() string { return l.pid.Path }

// Status reports running when the pid file names a live ldirectord; an
// absent or stale pid file is stopped. Only an unreadable pid file (not a
// missing one) is an error.
func (l *Ldirectord) Status(ctx context.Context) (Status, error) {
	_, st, err := l.pid.Check()
	if err != nil {
		return StatusStopped, fmt.Errorf("status of ldirectord: %w", err)
	}
	if st == daemon.PidRunning {
		return StatusRunning, nil
	}
	return StatusStopped, nil
}

// Monitored reports true: the status is a pid file and /proc read.
func (l *Ldirectord) Monitored() bool { return true }

// ldirectordInstance reads ldirectord's options out of the resource's
// arguments as cmd/ldirectord's parseArgs does: "--rundir DIR" or
// "--rundir=DIR", "-d", "--", and the configuration file, whose basename
// names the instance.
func ldirectordInstance(args []string) (runDir, name string) {
	cfg := ""
	opts := true
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case opts && a == "--":
			opts = false
		case opts && a == "--rundir" && i+1 < len(args):
			i++
			runDir = args[i]
		case opts && strings.HasPrefix(a, "--rundir="):
			runDir = strings.TrimPrefix(a, "--rundir=")
		case opts && len(a) > 1 && a[0] == '-':
		default:
			if cfg == "" {
				cfg = a
			}
		}
	}
	if cfg == "" {
		return runDir, "ldirectord"
	}
	return runDir, filepath.Base(cfg)
}
