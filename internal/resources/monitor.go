package resources

// The resource monitor (hbd's own; Heartbeat v1 never monitored
// haresources resources): while a group runs, the engine asks Monitor to
// check the group's Monitored resources and restart those that stopped.
// The restart budget and the give-up decision belong to the caller.

import (
	"context"
	"fmt"
)

// MonitorResult is what one Monitor pass found and did.
type MonitorResult struct {
	Group string // the group key
	// Restarted lists the resources found not running and started again,
	// in haresources order; a Step's Err is its start's error.
	Restarted []Step
	// GaveUp is the resource found not running after the restart budget
	// was used up (nothing was done to it); nil when none.
	GaveUp *Resource
}

// Monitor checks g's Monitored resources left to right. A resource whose
// status is not running (or cannot be read, as we_own_resource counts it)
// is logged ("X is not running: restarting it") and started again, at
// most budget times in this pass; the first one found beyond the budget is
// returned in GaveUp and the pass ends. Resources of other agents (scripts)
// are not looked at.
//
// Concurrency: as Acquire and Release, never concurrently with another
// operation on the same group.
func (m *Manager) Monitor(ctx context.Context, g Group, budget int) MonitorResult {
	res := MonitorResult{Group: g.Key()}
	for _, r := range g.Resources {
		a := m.cached(r)
		mon, ok := a.(Monitored)
		if !ok || !mon.Monitored() {
			continue
		}
		if st, err := a.Status(ctx); err == nil && st == StatusRunning {
			continue
		}
		if ctx.Err() != nil {
			return res
		}
		if budget <= 0 {
			failed := r
			res.GaveUp = &failed
			return res
		}
		budget--
		m.log.Warn(fmt.Sprintf(msgNotRunning, r.Raw), "group", g.Key(), "resource", r.String())
		step := Step{Resource: r, Action: ActionStart, Attempts: 1, Err: a.Start(ctx)}
		if step.Err != nil {
			m.log.Error(fmt.Sprintf(msgRestartFailed, r.Raw, step.Err), "group", g.Key(), "resource", r.String())
		}
		res.Restarted = append(res.Restarted, step)
	}
	return res
}

// cached returns r's agent if an operation already resolved it, else nil:
// a resource never started here is not monitored.
func (m *Manager) cached(r Resource) Agent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.agents[r.String()]
}
