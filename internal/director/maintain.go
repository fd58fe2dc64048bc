package director

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"
)

// This file is the reconcile goroutine's side of maintenancedir and
// monitorfile: it forces reals in maintenance down and queues the check
// log lines.

// Bounds of the monitorfile queue: one line per check result per virtual
// with a monitorfile; a stuck disk fills it and further lines are dropped
// and logged, the checks go on.
const checkLogQueueSize = 1024

// msgMonitorFileFailed is ldirectord's message when the monitorfile
// cannot be written (there it was fatal: die; here it is logged once per
// file until a write succeeds again).
const msgMonitorFileFailed = "Error writing to monitorfile '%s'"

// maintenanceAddrs is every real address a maintenance file can name.
func (e *engine) maintenanceAddrs() []netip.Addr {
	var out []netip.Addr
	for _, m := range []map[CheckKey][]keyUse{e.byKey, e.onKeys} {
		for key := range m {
			if a := key.Target().Real.Addr(); !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// usesOf returns the virtuals using key and whether key is a checktype=on
// real (never checked).
func (e *engine) usesOf(key CheckKey) ([]keyUse, bool) {
	if uses, ok := e.byKey[key]; ok {
		return uses, false
	}
	uses, ok := e.onKeys[key]
	return uses, ok
}

// setMaintenance applies a maintenance view: every check whose real a
// file names is forced down (and stays down, its results ignored, while
// the file is there); a real whose file went away is left down until its
// next check says otherwise, as in ldirectord (a checktype=on real comes
// back at once). With apply false (start and reload, before their full
// diff) only the health and the indexes change; the full diff writes the
// kernel.
func (e *engine) setMaintenance(view maintenanceView, apply bool) {
	e.maintView = view
	for key := range e.maint {
		if uses, _ := e.usesOf(key); len(uses) == 0 {
			delete(e.maint, key)
		}
	}
	for _, m := range []map[CheckKey][]keyUse{e.byKey, e.onKeys} {
		for key := range m {
			e.maintain(key, view.file(maintenanceReal(key)), apply)
		}
	}
}

// maintain moves key into or out of maintenance by file ("" = none).
func (e *engine) maintain(key CheckKey, file string, apply bool) {
	old := e.maint[key]
	switch {
	case file != "" && old == "":
		e.maint[key] = file
		e.log.Info("real server in maintenance", "real", maintenanceReal(key).String(), "file", file)
		e.forceDown(key, file, apply)
	case file == "" && old != "":
		delete(e.maint, key)
		e.log.Info("real server out of maintenance; checking it again", "real", maintenanceReal(key).String(), "file", old)
		uses, on := e.usesOf(key)
		if !on {
			e.health.Relabel(key, "real down: maintenance file "+old+" removed, until a check succeeds")
			return
		}
		if tr := releaseOn(e.health, key); tr.Changed {
			e.transition(uses, tr, apply)
		}
	case file != "":
		e.maint[key] = file
	}
}

// forceDown is _check_real for a real in maintenance: service_set down
// with force, logged to the monitorfile as "Server in maintenance".
func (e *engine) forceDown(key CheckKey, file string, apply bool) {
	uses, on := e.usesOf(key)
	tr := forceMaintenance(e.health, key, on, maintenanceReason(file), time.Now())
	e.logCheck(key, false, msgInMaintenance)
	if tr.Changed {
		e.transition(uses, tr, apply)
	}
}

// transition applies tr to every virtual using a key: ops now (apply), or
// only the indexes before a full diff.
func (e *engine) transition(uses []keyUse, tr Transition, apply bool) {
	for _, u := range uses {
		if apply {
			e.applyTransition(u, tr)
		} else {
			u.x.observe(u.lines, tr, e.health)
		}
	}
}

// logCheck queues a monitorfile line for the check result of key in every
// virtual using it that has a monitorfile.
func (e *engine) logCheck(key CheckKey, up bool, msg string) {
	uses, _ := e.usesOf(key)
	for _, u := range uses {
		path := u.x.v.MonitorFile
		if path == "" {
			continue
		}
		line := checkLogLine(time.Now().Local(), e.pid, u.x.v, u.x.v.Reals[u.lines[0]], up, msg)
		w := e.checkLogWriter
		e.checkLog.enqueue(func(context.Context) { w.write(path, line) })
	}
}

// checkLogWriter appends monitorfile lines; it is used only by the
// monitorfile queue's goroutine.
type checkLogWriter struct {
	log    interface{ Error(string, ...any) }
	failed map[string]bool // files whose last write failed (logged once)
}

func newCheckLogWriter(log interface{ Error(string, ...any) }) *checkLogWriter {
	return &checkLogWriter{log: log, failed: map[string]bool{}}
}

func (w *checkLogWriter) write(path, line string) {
	if err := appendCheckLog(path, line); err != nil {
		if !w.failed[path] {
			w.log.Error(fmt.Sprintf(msgMonitorFileFailed, path), "err", err)
			w.failed[path] = true
		}
		return
	}
	delete(w.failed, path)
}

// defaultPid is the pid written in monitorfile lines.
func defaultPid() int { return os.Getpid() }
