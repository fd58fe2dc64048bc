package resources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Status is what an agent says about its resource.
type Status int

// Statuses. Heartbeat knows only these two: ResourceManager's
// we_own_resource answers "held" or "not held".
const (
	StatusStopped Status = iota
	StatusRunning
)

// String returns "running" or "stopped".
func (s Status) String() string {
	if s == StatusRunning {
		return "running"
	}
	return "stopped"
}

// Agent starts, stops and reports one resource.
//
// Concurrency: the Manager calls the agent of one resource from one
// goroutine at a time; calls may block up to their context's deadline and
// must return when it is cancelled. Start and Stop must be idempotent: Start
// of a running resource and Stop of a stopped one succeed (the LSB rule
// ResourceManager relies on: "it MUST succeed on a stop when already
// stopped").
type Agent interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	// Status reports running or stopped. An error means the status could
	// not be obtained; callers treat it as stopped, as we_own_resource does.
	Status(ctx context.Context) (Status, error)
}

// Monitored is implemented by the agents whose Status is reliable and
// cheap enough to poll while their group runs: the built-in IPaddr and
// IPaddr2 (an address list over netlink) and ldirectord (a pid file and
// /proc read). Manager.Monitor checks only these. resource.d and init.d
// scripts are never monitored: Heartbeat v1 never monitored resources, and
// a script's status output is unreliable (ResourceManager only greps it
// for "running"), so a poll could restart a healthy service.
type Monitored interface {
	Agent
	// Monitored reports whether Manager.Monitor checks the resource.
	Monitored() bool
}

// DefaultScriptTimeout bounds one run of a resource script when Env and
// ScriptConfig leave it zero. Heartbeat has no such bound (a hung script
// hangs ResourceManager); two minutes covers the slowest shipped wrapper
// (OCF IPaddr: start 90 s, stop 100 s).
const DefaultScriptTimeout = 2 * time.Minute

// Env is what Resolve needs to turn a Resource into an Agent: the
// directories and binaries to look in and the effects the built-in agents
// use. Tests point the directories at t.TempDir().
type Env struct {
	// ConfDir is Heartbeat's configuration directory (/etc/ha.d); scripts
	// are looked up in ConfDir/resource.d.
	ConfDir string
	// InitDir is the init script directory searched after resource.d
	// (/etc/init.d).
	InitDir string
	// Ldirectord is the path of our ldirectord binary, run as
	// `Ldirectord ARGS... start|stop|status` for the built-in ldirectord
	// resource. Empty: ldirectord is looked up as a script like any other.
	Ldirectord string
	// LdirectordRunDir is where that ldirectord keeps its pid file when the
	// resource's arguments give no --rundir; "" means
	// DefaultLdirectordRunDir.
	LdirectordRunDir string
	// Addrs manages addresses for IPaddr and IPaddr2; required for them.
	Addrs Addrs
	// VIPs sends the gratuitous ARP of IPaddr, IPaddr2 and IPaddrDR (with
	// its burst overrides) and is shared with the Manager's Reannounce;
	// nil sends none.
	VIPs *VIPAnnouncer
	// SyncDaemons and Sysctls are the kernel's connection-sync daemons and
	// IPVS sysctls, for LVSSyncDaemonSwap; nil SyncDaemons makes that
	// resource unresolvable (a kernel without IPVS).
	SyncDaemons SyncDaemons
	Sysctls     Sysctls
	// ScriptTimeout bounds one script run; 0 means DefaultScriptTimeout.
	ScriptTimeout time.Duration
	// ScriptEnv is added to the scripts' environment (os.Environ() plus
	// these NAME=VALUE pairs, less daemon.CleanEnv's NOTIFY_SOCKET,
	// WATCHDOG_* and LISTEN_*), e.g. HA_DIR, HA_CURHOST.
	ScriptEnv []string
	// Logger receives the agents' logs; nil means slog.Default().
	Logger *slog.Logger
}

// ErrNoScript is returned (wrapped) by Resolve when no agent or executable
// script of the resource's name exists.
var ErrNoScript = errors.New("cannot locate resource script")

// Resolve returns the agent for res, looked up in this order: the built-in
// IPaddr and IPaddr2; the built-in LVSSyncDaemonSwap (an executable
// resource.d/LVSSyncDaemonSwap is never run: it is named in a warning, see
// docs/connection-sync.md); the built-in ldirectord (when env.Ldirectord is set);
// then, as ResourceManager's scriptpath, env.ConfDir/resource.d/NAME and
// env.InitDir/NAME, the first that is a regular executable file.
func Resolve(res Resource, env Env) (Agent, error) {
	log := env.Logger
	if log == nil {
		log = slog.Default()
	}
	switch res.Name {
	case AgentIPaddr, AgentIPaddr2:
		spec, err := ParseIPSpec(res.Name, res.Args)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", res, err)
		}
		if env.Addrs == nil {
			return nil, fmt.Errorf("resolving %s: no address manager configured", res)
		}
		return NewIPAgent(IPConfig{Spec: spec, Addrs: env.Addrs, VIPs: env.VIPs, Logger: log}), nil
	case AgentIPaddrDR:
		if env.Addrs == nil {
			return nil, fmt.Errorf("resolving %s: no address manager configured", res)
		}
		a, err := NewIPaddrDR(res.Args, env.Addrs, env.VIPs, env.Sysctls, log)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", res, err)
		}
		return a, nil
	case AgentLVSSync:
		spec, err := ParseSyncSpec(res.Args)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", res, err)
		}
		if env.SyncDaemons == nil {
			return nil, fmt.Errorf("resolving %s: no connection-sync daemon control (does this kernel have IPVS?)", res)
		}
		if p := filepath.Join(env.ConfDir, "resource.d", AgentLVSSync); env.ConfDir != "" && isExecutableFile(p) {
			log.Warn(fmt.Sprintf(msgShadowedScript, p, AgentLVSSync))
		}
		return NewLVSSync(LVSSyncConfig{Spec: spec, Daemons: env.SyncDaemons, Sysctls: env.Sysctls, Logger: log}), nil
	case AgentLdirectord:
		if env.Ldirectord != "" {
			return NewLdirectord(LdirectordConfig{Script: scriptConfig(env.Ldirectord, res, env, log), RunDir: env.LdirectordRunDir}), nil
		}
	}
	for _, dir := range []string{filepath.Join(env.ConfDir, "resource.d"), env.InitDir} {
		if dir == "" || dir == "resource.d" {
			continue
		}
		p := filepath.Join(dir, res.Name)
		if isExecutableFile(p) {
			return NewScript(scriptConfig(p, res, env, log)), nil
		}
	}
	return nil, fmt.Errorf("resolving %s: %w %s", res, ErrNoScript, res.Name)
}

func scriptConfig(path string, res Resource, env Env, log *slog.Logger) ScriptConfig {
	return ScriptConfig{Path: path, Args: res.Args, Timeout: env.ScriptTimeout, Env: env.ScriptEnv, Logger: log}
}

// isExecutableFile is the shell's [ -f p -a -x p ] for root.
func isExecutableFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
