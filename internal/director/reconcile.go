package director

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// engine is the state the reconcile goroutine owns: the configuration, the
// health of every check, the director's model of the kernel table, and
// what it manages. Nothing else touches it.
type engine struct {
	c      Config
	log    *slog.Logger
	cmds   *commander
	cfg    *ldcf.Config
	health *HealthTable
	byKey  map[CheckKey][]keyUse // where each check is used
	onKeys map[CheckKey][]keyUse // the reals of checktype=on virtuals, for maintenancedir
	known  Table                 // last full read plus every op applied since
	owned  Owned
	fbCmd  map[ipvs.ServiceKey]string // last fallbackcommand status run per virtual

	// Route health injection: the indexes of the address virtuals by
	// address, and the routes last given to Config.Routes.
	vips   map[netip.Addr][]*virtualIndex
	routes []netip.Prefix

	// Alerts: the daemon state mails are filtered on, the virtual of each
	// service key, the reals whose alerts repeat, and the mail queue.
	daemonState string
	virt        map[ipvs.ServiceKey]*ldcf.Virtual
	repeats     alertRepeats
	mail        *jobQueue

	// maintenancedir and monitorfile: the last maintenance view, the
	// checks it holds down (and the file naming each), the pid written in
	// the check log, and the check log's queue and writer.
	maintView      maintenanceView
	maint          map[CheckKey]string
	pid            int
	checkLog       *jobQueue
	checkLogWriter *checkLogWriter

	dirty    bool // an op or read failed: a full diff is due
	synced   bool // a full diff has completed cleanly once
	failures int  // consecutive failed syncs, for the retry backoff
	lastSync time.Time
	syncErr  string
}

func newEngine(c Config, cfg *ldcf.Config, cmds *commander, mail, checkLog *jobQueue) *engine {
	e := &engine{
		c: c, log: c.Logger, cmds: cmds, health: NewHealthTable(),
		known: Table{}, owned: Owned{}, fbCmd: map[ipvs.ServiceKey]string{},
		daemonState: statusStarting, repeats: alertRepeats{}, mail: mail,
		maint: map[CheckKey]string{}, pid: c.Pid, checkLog: checkLog, checkLogWriter: newCheckLogWriter(c.Logger),
	}
	e.setConfig(cfg)
	return e
}

// setConfig indexes cfg's checked virtuals by check. The indexes count
// health from e.health: a reload's Retain afterwards drops only keys that
// no index reads.
func (e *engine) setConfig(cfg *ldcf.Config) {
	e.cfg = cfg
	e.byKey = map[CheckKey][]keyUse{}
	e.onKeys = map[CheckKey][]keyUse{}
	e.virt = make(map[ipvs.ServiceKey]*ldcf.Virtual, len(cfg.Virtuals))
	e.vips = map[netip.Addr][]*virtualIndex{}
	for _, v := range cfg.Virtuals {
		e.virt[ServiceFor(v).Key] = v
	}
	for _, v := range cfg.Virtuals {
		if v.CheckType == ldcf.CheckOff {
			continue
		}
		x, lines := newVirtualIndex(v, e.health)
		if v.FWMark == 0 {
			a := v.Addr.Addr().Unmap()
			e.vips[a] = append(e.vips[a], x)
		}
		uses := e.byKey
		if v.CheckType == ldcf.CheckOn {
			uses = e.onKeys // never checked; only maintenance changes them
		}
		for key, ls := range lines {
			uses[key] = append(uses[key], keyUse{x: x, lines: ls})
		}
	}
}

// keyUse is one virtual using a check, and the real= lines it drives there.
type keyUse struct {
	x     *virtualIndex
	lines []int
}

// checks returns every check to run and its interval (the shortest of the
// virtuals sharing it).
func (e *engine) checks() map[CheckKey]time.Duration {
	out := make(map[CheckKey]time.Duration, len(e.byKey))
	for key, uses := range e.byKey {
		iv := checkInterval(uses[0].x.v)
		for _, u := range uses[1:] {
			iv = min(iv, checkInterval(u.x.v))
		}
		out[key] = iv
	}
	return out
}

// reload switches to cfg, keeping the health of unchanged checks;
// rewatch restarts the maintenance watcher for the new reals and
// maintenancedir (and applies its first view) before the full diff.
func (e *engine) reload(cfg *ldcf.Config, rewatch func()) {
	e.setConfig(cfg)
	e.health.Retain(func(k CheckKey) bool { _, ok := e.byKey[k]; _, on := e.onKeys[k]; return ok || on })
	rewatch()
	e.repeats.retain(e.virt)
	e.daemonState = statusReloading
	e.fullSync(phaseStart)
	e.daemonState = statusRunning
	e.c.Observer.Reloaded()
}

// fullSync reads the kernel, diffs it against the desired table and applies
// the ops. In the repair phase, it leaves foreign reals inside managed
// services and, without readdquiescent, missing quiescent reals alone.
func (e *engine) fullSync(phase string) {
	if !e.synced {
		phase = phaseStart // until the start-up sync has succeeded once, retries are start-ups
	}
	e.publishRoutes(Routes(e.cfg, e.health), "full check of the health table")
	kernel, err := ReadKernel(e.c.Kernel)
	if err != nil {
		e.log.Error("cannot read the IPVS table", "err", err)
		e.syncFailed(err)
		return
	}
	e.known = kernel
	e.dirty = false
	desired := Desired(e.cfg, e.health)
	ops := Diff(desired, kernel, e.owned)
	if phase == phaseRepair {
		ops = RepairOps(ops, e.owned, e.cfg.Global.ReaddQuiescent)
	}
	for _, op := range ops {
		e.apply(op, phase)
	}
	for key := range desired { // adopt configured services found in the kernel
		if _, ok := e.known[key]; ok {
			if _, ok := e.owned[key]; !ok {
				e.owned[key] = OwnedService{Reals: map[netip.AddrPort]ipvs.Real{}}
			}
		}
	}
	for _, v := range e.cfg.Virtuals {
		e.fallbackCommand(v, fallbackStatus(v, desired[ServiceFor(v).Key]))
	}
	for key := range e.fbCmd {
		if _, ok := desired[key]; !ok {
			delete(e.fbCmd, key)
		}
	}
	e.lastSync = time.Now()
	if !e.dirty {
		e.failures, e.syncErr, e.synced = 0, "", true
	}
}

func (e *engine) syncFailed(err error) {
	e.dirty = true
	e.failures++
	e.syncErr = err.Error()
}

// nextBackoff is the delay before retrying a failed sync: 1 s doubling up
// to RepairInterval.
func (e *engine) nextBackoff() time.Duration {
	d := time.Second << min(max(e.failures-1, 0), 10)
	return min(d, e.c.RepairInterval)
}

// observe handles one check result: health transition, then per virtual
// using the check one op for the real and one for the fallback.
func (e *engine) observe(res checkResult) {
	uses, ok := e.byKey[res.key]
	if !ok {
		return // a check removed by a reload
	}
	if file := e.maint[res.key]; file != "" {
		e.forceDown(res.key, file, true) // ldirectord: in maintenance, the check is skipped
		return
	}
	tr := e.health.Observe(res.key, res.result, time.Now())
	e.c.Observer.CheckDone(res.key.Target(), res.result)
	if tr.Changed {
		e.c.Observer.RealChanged(res.key.Target(), tr)
	}
	e.logCheck(res.key, res.result.Up, res.result.Err)
	for _, u := range uses {
		addr := u.x.lines[u.lines[0]].real.Addr
		switch {
		case tr.Soft:
			e.log.Info(softFailureMessage(addr, u.x.v, tr.Failures), "err", res.result.Err)
		case tr.Reset:
			e.log.Info(resetSoftMessage(addr, u.x.v))
		}
		if tr.Changed {
			e.applyTransition(u, tr)
		}
	}
}

// applyTransition diffs, one real at a time against the director's model
// of the kernel, the reals of the lines u drives and the fallback.
func (e *engine) applyTransition(u keyUse, tr Transition) {
	x := u.x
	addrs := x.observe(u.lines, tr, e.health)
	e.publishAddress(x)
	ds := x.desired(addrs)
	svc := ds.Service.Key
	have, ok := e.known[svc]
	if !ok {
		e.log.Warn("virtual service missing from the IPVS table; repairing", "virtual", virtualName(svc))
		e.dirty = true
		return
	}
	var ops []Op
	for _, a := range addrs {
		if ds.Pending[a] || slices.ContainsFunc(ops, func(o Op) bool { return o.Real.Addr == a }) {
			continue
		}
		reason := tr.Reason
		if ds.Roles[a] == RoleFallback {
			reason = "fallback: " + map[bool]string{true: "no real server up", false: "a real server is up"}[x.fallbackStatus() == "start"]
		}
		op, ok := DiffReal(svc, ptr(ds.Reals, a), ptr(have.Reals, a), ds.Roles[a], reason)
		if !ok {
			continue
		}
		if op.Kind == AddReal && op.Real.Weight == 0 && tr.From == Up && !e.cfg.Global.ReaddQuiescent {
			continue // ldirectord _remove_service: a missing quiescent real is re-added only with readdquiescent
		}
		ops = append(ops, op)
	}
	// Add capacity before removing it: a new fallback before the last real
	// goes, a returning real before the fallback goes.
	slices.SortStableFunc(ops, func(a, b Op) int { return boolInt(removes(a)) - boolInt(removes(b)) })
	phase := phaseEvent
	if tr.From == Unknown {
		phase = phaseStart
	}
	for _, op := range ops {
		e.apply(op, phase)
	}
	e.fallbackCommand(x.v, x.fallbackStatus())
}

func removes(op Op) bool {
	return op.Kind == DelReal || op.Kind == UpdateReal && op.Real.Weight == 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ptr(m map[netip.AddrPort]ipvs.Real, a netip.AddrPort) *ipvs.Real {
	if r, ok := m[a]; ok {
		return &r
	}
	return nil
}

// apply performs op, then records it in the model and the owned set and
// logs ldirectord's line for it. A failure is logged and marks the engine
// dirty, so a full diff repairs it.
func (e *engine) apply(op Op, phase string) {
	err := ApplyOp(e.c.Kernel, op)
	e.c.Observer.KernelOp(op, err)
	if err != nil {
		e.log.Error("ipvs change failed", "op", op.String(), "err", err)
		e.syncFailed(err)
		return
	}
	e.known.Apply(op)
	e.recordOwned(op)
	e.log.Info(opMessage(op, phase), "reason", op.Reason)
	e.alert(op, phase)
}

func (e *engine) recordOwned(op Op) {
	key := op.Service.Key
	o, ok := e.owned[key]
	if !ok {
		o = OwnedService{Reals: map[netip.AddrPort]ipvs.Real{}}
	}
	switch op.Kind {
	case AddService:
		o.Created = true
	case DelService:
		delete(e.owned, key)
		return
	case AddReal, UpdateReal:
		o.Reals[op.Real.Addr] = op.Real
	case DelReal:
		delete(o.Reals, op.Real.Addr)
	}
	e.owned[key] = o
}

// fallbackCommand runs v's fallbackcommand when its status changes
// (ldirectord do_fallback_command: on transitions only).
func (e *engine) fallbackCommand(v *ldcf.Virtual, status string) {
	key := ServiceFor(v).Key
	if status == "" || e.fbCmd[key] == status {
		return
	}
	e.fbCmd[key] = status
	if v.FallbackCommand != "" {
		e.cmds.enqueue(fallbackArgv(v.FallbackCommand, status, v))
	}
}

// stop is cleanstop: for each virtual with cleanstop=yes, delete the reals
// the director wrote, then the service if the director created it.
func (e *engine) stop() error {
	e.daemonState = statusStopping
	e.publishRoutes(nil, "ldirectord stopping") // traffic leaves before the table goes
	if kernel, err := ReadKernel(e.c.Kernel); err == nil {
		e.known = kernel
	}
	var errs []error
	for _, v := range e.cfg.Virtuals {
		key := ServiceFor(v).Key
		o, ok := e.owned[key]
		if !v.CleanStop || !ok {
			continue
		}
		for _, a := range sortedAddrs(o.Reals) {
			if _, present := e.known[key].Reals[a]; present {
				errs = append(errs, e.applyStop(Op{Kind: DelReal, Service: ipvs.Service{Key: key}, Real: ipvs.Real{Addr: a}, Reason: "cleanstop"}))
			}
		}
		if _, present := e.known[key]; present && o.Created {
			errs = append(errs, e.applyStop(Op{Kind: DelService, Service: ipvs.Service{Key: key}, Reason: "cleanstop"}))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanstop: %w", err)
	}
	return nil
}

func (e *engine) applyStop(op Op) error {
	err := ApplyOp(e.c.Kernel, op)
	e.c.Observer.KernelOp(op, err)
	if err != nil {
		e.log.Error("ipvs change failed", "op", op.String(), "err", err)
		return err
	}
	e.known.Apply(op)
	e.recordOwned(op)
	e.log.Info(opMessage(op, phaseStop), "reason", op.Reason)
	e.alert(op, phaseStop)
	return nil
}
