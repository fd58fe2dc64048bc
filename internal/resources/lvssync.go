package resources

// The built-in LVSSyncDaemonSwap agent. It reaches the kernel only through
// SyncDaemons (ipvs.SyncNetlink is the real one) and Sysctls, so its logic
// is tested with fakes; the VM tests run it against a real IPVS.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// SyncDaemons starts, stops and lists the kernel's connection-sync daemons
// of this network namespace.
type SyncDaemons interface {
	Start(d ipvs.SyncDaemon) error       // EEXIST (wrapped) when that state runs
	Stop(state ipvs.SyncState) error     // ESRCH (wrapped) when that state is not running
	Daemons() ([]ipvs.SyncDaemon, error) // the running ones, at most a master and a backup
}

// Sysctls writes sysctls of this network namespace by their dotted names
// ("net.ipv4.vs.backup_only", /proc/sys/net/ipv4/vs/backup_only) and
// returns the value each write replaced.
type Sysctls interface {
	Set(name, value string) (prev string, err error)
}

// Preparer is implemented by agents that have a standby role: something
// every node runs while it does not hold the group (LVSSyncDaemonSwap: the
// backup sync daemon). Prepare puts the standby role in place at hbd's
// start, whether or not this node will hold the group, and also clears
// what a killed predecessor left in the active role; Start and Stop switch
// between the roles; Retire removes the standby role when hbd stops.
type Preparer interface {
	Prepare(ctx context.Context) error
	Retire(ctx context.Context) error
}

// HandOverer is implemented by agents that need the peer ready before a
// planned move: HandOverDelay is how long the peer must have been up
// before this node gives the group to it.
type HandOverer interface {
	HandOverDelay() time.Duration
}

// Describer is implemented by agents with more to say in status than
// running or stopped.
type Describer interface {
	Describe(ctx context.Context) string
}

// LVSSyncConfig configures an LVSSync agent.
type LVSSyncConfig struct {
	Spec    SyncSpec
	Daemons SyncDaemons
	Sysctls Sysctls // nil: no sysctl is written
	Logger  *slog.Logger
	// Sleep waits d or until ctx ends (tests pass a fake); nil is a timer.
	Sleep func(ctx context.Context, d time.Duration) bool
	// BackupDelay is how long after a release the backup daemon starts
	// when Spec.BackupOnly is set; 0 means DefaultBackupDelay.
	BackupDelay time.Duration
}

// DefaultBackupDelay: with backup_only, the node that released the group
// starts its backup daemon (and so stops forwarding) only this long after
// the release. Until the peer has taken the VIP and its gratuitous ARP has
// reached the clients, their packets still arrive here; with backup_only
// on at once, those of connections the peer serves as a real server (S2)
// would meet neither IPVS nor a local socket and be reset. The peer starts
// its group within milliseconds of the release; two seconds cover a slow
// node and the ARP. Without backup_only the backup starts at once.
const DefaultBackupDelay = 2 * time.Second

// LVSSync is the built-in LVSSyncDaemonSwap agent: the node holding the
// group runs the kernel's sync daemon as master, every other node as
// backup, from hbd's start on.
//
//   - Prepare (hbd starts): write the sysctls, stop a master a killed
//     predecessor left, start the backup.
//   - Start (group acquired): stop the backup, start the master. The
//     backup's connections stay in the kernel's table and are used.
//   - Stop (group released): the group's addresses are already gone (the
//     resource comes first in haresources, so it stops last); wait until
//     the master's last partly filled buffer has been sent (SyncFlushTime,
//     at most Settle), then stop the master and start the backup.
//   - Retire (hbd stops): stop the backup and restore the sysctls.
//   - Status: running when the master runs.
type LVSSync struct {
	cfg LVSSyncConfig
	log *slog.Logger

	sysctls savedSysctls // written at Prepare and Start, restored at Retire

	// opMu serialises the role changes with the deferred backup start,
	// which runs on a timer goroutine; pending is that timer (nil: none).
	opMu    sync.Mutex
	pending *time.Timer
}

var (
	_ Agent      = (*LVSSync)(nil)
	_ Monitored  = (*LVSSync)(nil)
	_ Preparer   = (*LVSSync)(nil)
	_ HandOverer = (*LVSSync)(nil)
	_ Describer  = (*LVSSync)(nil)
)

// NewLVSSync returns the agent for cfg.
func NewLVSSync(cfg LVSSyncConfig) *LVSSync {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.BackupDelay <= 0 {
		cfg.BackupDelay = DefaultBackupDelay
	}
	return &LVSSync{cfg: cfg, log: log.With("resource", AgentLVSSync), sysctls: savedSysctls{set: cfg.Sysctls}}
}

// Daemon is the sync daemon of state s this resource runs. The backup
// leaves maxlen to the kernel (its interface's MTU): a smaller one would
// drop the master's larger messages.
func (s SyncSpec) Daemon(st ipvs.SyncState) ipvs.SyncDaemon {
	d := ipvs.SyncDaemon{State: st, Interface: s.Interface, SyncID: s.SyncID, Group: s.Group, Port: s.Port, TTL: s.TTL}
	if st == ipvs.SyncMaster {
		d.MaxLen = s.MaxLen
	}
	return d
}

// Monitored: the daemons are a netlink dump away, so the monitor checks
// that the master still runs.
func (a *LVSSync) Monitored() bool { return true }

// HandOverDelay is Settle: the peer's backup must have run that long.
func (a *LVSSync) HandOverDelay() time.Duration { return a.cfg.Spec.Settle }

// Prepare puts this node in the backup role.
func (a *LVSSync) Prepare(ctx context.Context) error {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	a.cancelPendingBackup()
	if err := a.writeSysctls(); err != nil {
		return err
	}
	if err := a.stop(ipvs.SyncMaster); err != nil {
		return err
	}
	return a.start(ipvs.SyncBackup)
}

// Start switches this node to the master role.
func (a *LVSSync) Start(ctx context.Context) error {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	a.cancelPendingBackup()
	if err := a.writeSysctls(); err != nil {
		return err
	}
	if err := a.stop(ipvs.SyncBackup); err != nil {
		return err
	}
	if err := a.start(ipvs.SyncMaster); err != nil {
		return err
	}
	a.log.Info(fmt.Sprintf("%s: master sync daemon running (%s)", AgentLVSSync, a.cfg.Spec))
	return nil
}

// Stop switches this node to the backup role once the master's last sync
// buffer has gone out; with backup_only the backup starts BackupDelay
// later (DefaultBackupDelay says why).
func (a *LVSSync) Stop(ctx context.Context) error {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	if a.pending != nil {
		return nil // released already; the backup is on its way
	}
	running, err := a.running(ipvs.SyncMaster)
	if err != nil {
		return err
	}
	if running {
		if wait := min(SyncFlushTime, a.cfg.Spec.Settle); wait > 0 {
			a.log.Info(fmt.Sprintf("%s: waiting %v for the master sync daemon to send its last connections before handing over", AgentLVSSync, wait))
			start := time.Now()
			if !a.cfg.Sleep(ctx, wait) {
				a.log.Warn(fmt.Sprintf("%s: flush wait cut short after %v", AgentLVSSync, time.Since(start).Round(time.Millisecond)))
			}
		}
		if err := a.stop(ipvs.SyncMaster); err != nil {
			return err
		}
		if a.cfg.Spec.BackupOnly {
			a.deferBackup()
			return nil
		}
	}
	if err := a.start(ipvs.SyncBackup); err != nil {
		return err
	}
	a.log.Info(fmt.Sprintf("%s: backup sync daemon running (%s)", AgentLVSSync, a.cfg.Spec))
	return nil
}

// deferBackup starts the backup daemon BackupDelay from now, unless a role
// change comes first. Called with opMu held.
func (a *LVSSync) deferBackup() {
	a.log.Info(fmt.Sprintf("%s: master sync daemon stopped; the backup starts in %v, when the peer holds the VIP (backup_only)", AgentLVSSync, a.cfg.BackupDelay))
	var t *time.Timer
	t = time.AfterFunc(a.cfg.BackupDelay, func() {
		a.opMu.Lock()
		defer a.opMu.Unlock()
		if a.pending != t {
			return // a role change came first
		}
		a.pending = nil
		if err := a.start(ipvs.SyncBackup); err != nil {
			a.log.Error(err.Error())
			return
		}
		a.log.Info(fmt.Sprintf("%s: backup sync daemon running (%s)", AgentLVSSync, a.cfg.Spec))
	})
	a.pending = t
}

// cancelPendingBackup drops a deferred backup start. Called with opMu held.
func (a *LVSSync) cancelPendingBackup() {
	if a.pending != nil {
		a.pending.Stop()
		a.pending = nil
	}
}

// Retire stops the backup and restores the sysctls this agent changed.
func (a *LVSSync) Retire(ctx context.Context) error {
	a.opMu.Lock()
	defer a.opMu.Unlock()
	a.cancelPendingBackup()
	return errors.Join(a.stop(ipvs.SyncBackup), a.sysctls.restore())
}

// Status is running while the master runs.
func (a *LVSSync) Status(ctx context.Context) (Status, error) {
	running, err := a.running(ipvs.SyncMaster)
	if err != nil || !running {
		return StatusStopped, err
	}
	return StatusRunning, nil
}

// Describe lists the running daemons: "master (mcast=eth0, syncid=255,
// ...)" or "backup (...)", "none" when neither runs.
func (a *LVSSync) Describe(ctx context.Context) string {
	ds, err := a.cfg.Daemons.Daemons()
	if err != nil {
		return "sync daemons unknown: " + err.Error()
	}
	if len(ds) == 0 {
		return "no sync daemon running"
	}
	out := ""
	for i, d := range ds {
		if i > 0 {
			out += "; "
		}
		out += d.String()
	}
	return out
}

func (a *LVSSync) running(st ipvs.SyncState) (bool, error) {
	ds, err := a.cfg.Daemons.Daemons()
	if err != nil {
		return false, fmt.Errorf("%s: listing sync daemons: %w", AgentLVSSync, err)
	}
	for _, d := range ds {
		if d.State == st {
			return true, nil
		}
	}
	return false, nil
}

// start starts the daemon of state st; one already running with another
// configuration (a predecessor's, a changed haresources) is replaced.
func (a *LVSSync) start(st ipvs.SyncState) error {
	want := a.cfg.Spec.Daemon(st)
	err := a.cfg.Daemons.Start(want)
	if !errors.Is(err, syscall.EEXIST) {
		if err != nil {
			return fmt.Errorf("%s: starting the %s sync daemon: %w", AgentLVSSync, st, err)
		}
		return nil
	}
	ds, lerr := a.cfg.Daemons.Daemons()
	if lerr != nil {
		return fmt.Errorf("%s: starting the %s sync daemon: %w", AgentLVSSync, st, lerr)
	}
	for _, d := range ds {
		if d.State == st && d.Interface == want.Interface && d.SyncID == want.SyncID {
			return nil // ours already
		}
	}
	if err := a.stop(st); err != nil {
		return err
	}
	if err := a.cfg.Daemons.Start(want); err != nil {
		return fmt.Errorf("%s: starting the %s sync daemon: %w", AgentLVSSync, st, err)
	}
	return nil
}

// stop stops the daemon of state st; not running is success.
func (a *LVSSync) stop(st ipvs.SyncState) error {
	if err := a.cfg.Daemons.Stop(st); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: stopping the %s sync daemon: %w", AgentLVSSync, st, err)
	}
	return nil
}

// syncSysctls are the IPVS sysctls the resource writes, in order.
func (s SyncSpec) syncSysctls() [][2]string {
	var out [][2]string
	if s.Refresh > 0 {
		// A refresh period re-sends every connection that passes a packet at
		// least once a period; with the threshold's period at 0 the kernel
		// no longer also waits for every 50th packet (ip_vs_sync_conn_needed).
		out = append(out, [2]string{"net.ipv4.vs.sync_refresh_period", strconv.Itoa(int(s.Refresh / time.Second))},
			[2]string{"net.ipv4.vs.sync_threshold", "3 0"})
	}
	bo := "0"
	if s.BackupOnly {
		bo = "1"
	}
	return append(out, [2]string{"net.ipv4.vs.backup_only", bo})
}

// writeSysctls writes the sysctls, remembering each one's first value.
func (a *LVSSync) writeSysctls() error {
	if err := a.sysctls.apply(a.cfg.Spec.syncSysctls()); err != nil {
		return fmt.Errorf("%s: %w", AgentLVSSync, err)
	}
	return nil
}
