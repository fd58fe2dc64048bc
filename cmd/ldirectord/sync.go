package main

// The scale-out mode's connection sync (ipvs_sync = all-to-all ...,
// docs/scale-out.md): ldirectord runs the kernel's master and backup
// sync daemons on one interface and sync id, and sets the IPVS sysctls a
// director needs when the router may move a flow to it mid-stream. It
// starts them before the first IPVS sync, applies a changed ipvs_sync on
// reload, and at stop (after the BGP routes are withdrawn) stops them and
// puts the sysctls back. A failure is logged: health checking, IPVS and
// BGP go on without sync.

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// syncDaemons starts, stops and lists the kernel's connection-sync
// daemons of this network namespace (ipvs.SyncNetlink). Called from the
// daemon's loop goroutine only.
type syncDaemons interface {
	Start(d ipvs.SyncDaemon) error
	Stop(s ipvs.SyncState) error
	Daemons() ([]ipvs.SyncDaemon, error)
	Close() error
}

// allToAllSysctls are written while ipvs_sync is on (net.ipv4.vs.*):
// sloppy_tcp so a mid-stream packet of a flow the router moved here is
// scheduled (mh gives the same real) instead of reset; sync_threshold
// "3 0" with sync_refresh_period 1 so every established connection is
// re-sent at its first packet a second after its last sync, which is how
// a director that comes back learns the flows it may receive.
var allToAllSysctls = [][2]string{
	{ipvs.SysctlSloppyTCP, "1"},
	{ipvs.SysctlSyncThreshold, "3 0"},
	{ipvs.SysctlSyncRefreshPeriod, "1"},
}

// allToAllDaemons are the two daemons of cfg. The backup leaves maxlen to
// the kernel (its interface's MTU), as LVSSyncDaemonSwap's does: a smaller
// one would drop the masters' larger messages.
func allToAllDaemons(cfg ldcf.IPVSSync) []ipvs.SyncDaemon {
	m := ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: cfg.Interface, SyncID: cfg.SyncID,
		MaxLen: cfg.MaxLen, Group: cfg.Group, Port: cfg.Port, TTL: cfg.TTL}
	b := m
	b.State, b.MaxLen = ipvs.SyncBackup, 0
	return []ipvs.SyncDaemon{m, b}
}

// syncPlan is check's account of ipvs_sync; "" without it.
func syncPlan(cfg *ldcf.Config) string {
	s := cfg.Global.IPVSSync
	if !s.Enabled() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "IPVS sync: all-to-all\n")
	for _, d := range allToAllDaemons(s) {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	for _, kv := range allToAllSysctls {
		fmt.Fprintf(&b, "  net.ipv4.vs.%s = %s\n", kv[0], kv[1])
	}
	return b.String()
}

// allToAll runs the sync daemons and sysctls of ipvs_sync.
type allToAll struct {
	open      func() (syncDaemons, error)
	setSysctl func(name, value string) (prev string, err error)
	log       *slog.Logger

	ctl   syncDaemons       // nil until ipvs_sync is first applied
	prev  map[string]string // each sysctl's value before the first write
	owned bool              // the daemons are ours to stop
}

// apply makes the kernel's daemons and sysctls those of cfg (none when
// cfg is off). Idempotent: what already runs as wanted is left alone.
func (a *allToAll) apply(cfg ldcf.IPVSSync) error {
	if !cfg.Enabled() {
		return a.stop()
	}
	if a.ctl == nil {
		ctl, err := a.open()
		if err != nil {
			return fmt.Errorf("ipvs_sync (line %d): %w", cfg.Line, err)
		}
		a.ctl = ctl
	}
	var errs []error
	for _, kv := range allToAllSysctls {
		prev, err := a.setSysctl(kv[0], kv[1])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, ok := a.prev[kv[0]]; !ok {
			if a.prev == nil {
				a.prev = map[string]string{}
			}
			a.prev[kv[0]] = prev
		}
	}
	running, err := a.ctl.Daemons()
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("ipvs_sync (line %d): %w", cfg.Line, err))...)
	}
	want := allToAllDaemons(cfg)
	stop, start := ipvs.PlanSync(running, want)
	for _, s := range stop {
		if err := a.ctl.Stop(s); err != nil && !errors.Is(err, ipvs.ErrSyncNotRunning) {
			errs = append(errs, err)
		}
	}
	for _, d := range start {
		if err := a.ctl.Start(d); err != nil {
			errs = append(errs, fmt.Errorf("ipvs_sync (line %d): %w", cfg.Line, err))
			continue
		}
		a.log.Info("started the IPVS "+d.String(), "reason", "ipvs_sync all-to-all")
	}
	if len(start) == 0 {
		a.log.Info("IPVS sync daemons already running as ipvs_sync wants", "master", want[0].String(), "backup", want[1].String())
	}
	a.owned = true
	return errors.Join(errs...)
}

// stop stops the daemons apply started or adopted and writes back the
// sysctls' first values.
func (a *allToAll) stop() error {
	if a.ctl == nil {
		return nil
	}
	var errs []error
	if a.owned {
		for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
			if err := a.ctl.Stop(s); err != nil && !errors.Is(err, ipvs.ErrSyncNotRunning) {
				errs = append(errs, err)
				continue
			}
			a.log.Info("stopped the IPVS " + s.String() + " sync daemon")
		}
		a.owned = false
	}
	for name, v := range a.prev {
		if _, err := a.setSysctl(name, v); err != nil {
			errs = append(errs, err)
		}
	}
	clear(a.prev)
	errs = append(errs, a.ctl.Close())
	a.ctl = nil
	return errors.Join(errs...)
}
