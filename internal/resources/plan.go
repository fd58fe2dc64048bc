package resources

// This file holds the group logic of ResourceManager (acquire, release,
// rollback, stop retries, statgroup). It reaches resources only through the
// Agent interface and the ResolveFunc, so it is tested with recording fakes.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Heartbeat's stop retry defaults (ResourceManager: HA_STOPRETRYMAX=10,
// `sleep 1` between tries).
const (
	DefaultStopRetries       = 10
	DefaultStopRetryInterval = time.Second
)

// ResolveFunc returns the agent of a resource; Resolve bound to an Env is
// the real one.
type ResolveFunc func(Resource) (Agent, error)

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// StopRetries is how many times a failed stop is retried
	// (HA_STOPRETRYMAX): 0 means DefaultStopRetries, negative means none.
	StopRetries int
	// StopRetryInterval is the pause before each retry; 0 means
	// DefaultStopRetryInterval.
	StopRetryInterval time.Duration
	// Logger receives the Heartbeat-worded logs; nil means slog.Default().
	Logger *slog.Logger
	// Addrs and VIPs are what Reannounce and Sweep use (announce.go): the
	// host's addresses and the announcer the VIP agents share (Env.VIPs).
	// Nil Addrs sweeps nothing; nil VIPs re-announces nothing.
	Addrs Addrs
	VIPs  *VIPAnnouncer
}

// Manager acquires and releases resource groups the way ResourceManager's
// takegroup and givegroup do.
//
// Concurrency: safe for use from several goroutines, but the caller must
// not run two operations on the same group at once. Agents are resolved on
// first use and kept, so Stop reaches the same agent that did Start.
type Manager struct {
	cfg     ManagerConfig
	resolve ResolveFunc
	log     *slog.Logger

	mu     sync.Mutex
	agents map[string]Agent
}

// NewManager returns a Manager that resolves agents with resolve.
func NewManager(cfg ManagerConfig, resolve ResolveFunc) *Manager {
	switch {
	case cfg.StopRetries == 0:
		cfg.StopRetries = DefaultStopRetries
	case cfg.StopRetries < 0:
		cfg.StopRetries = 0
	}
	if cfg.StopRetryInterval <= 0 {
		cfg.StopRetryInterval = DefaultStopRetryInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Manager{cfg: cfg, resolve: resolve, log: log.With("component", "resources"), agents: map[string]Agent{}}
}

// Action is what was done to one resource.
type Action string

// Actions recorded in a Result.
const (
	ActionStart Action = "start"
	ActionSkip  Action = "skip" // start skipped: status already said running
	ActionStop  Action = "stop"
)

// Step is one action on one resource and its outcome.
type Step struct {
	Resource Resource
	Action   Action
	// Attempts is how many times the action ran (stops are retried).
	Attempts int
	// Err is the last error, nil on success.
	Err error
}

// Result is the outcome of Acquire or Release, with the reason that goes to
// the log, to status output and to tests.
type Result struct {
	Group string // the group key
	OK    bool
	// Reason says why in a sentence: "resource group acquired",
	// "giving up resources due to failure of httpd: ...".
	Reason string
	// Failed is the resource whose start failed (Acquire only).
	Failed *Resource
	// Steps lists every start, skip and stop in the order they happened,
	// the rollback included.
	Steps []Step
	// StuckRunning lists resources whose stop kept failing and whose status
	// still says running. Heartbeat reboots the node here
	// (RecoverFromFailedStop); the caller decides.
	StuckRunning []Resource
}

// ErrStuckRunning is the error of a release that left resources running.
var ErrStuckRunning = errors.New("resource stop failed and it is still running")

// Acquire starts g's resources left to right, skipping any whose status
// already says running (we_own_resource || start). If one fails to start,
// that resource and every one before it are stopped right to left (with the
// stop retries of Release) and the group is given up: the result is not OK
// and names the failed resource. Heartbeat's giveupresourcegroup also stops
// the resources after the failed one, which were never started; we leave
// those alone. The rollback runs to the end even if ctx ends meanwhile.
func (m *Manager) Acquire(ctx context.Context, g Group) Result {
	m.log.Info(fmt.Sprintf(msgAcquiring, g), "group", g.Key())
	res := Result{Group: g.Key(), OK: true, Reason: "resource group acquired"}
	for i, r := range g.Resources {
		step, err := m.startOne(ctx, r)
		res.Steps = append(res.Steps, step)
		if err == nil {
			continue
		}
		m.log.Error(fmt.Sprintf(msgGivingUp, r.Raw), "group", g.Key(), "resource", r.String(), "err", err)
		failed := r
		res.OK, res.Failed = false, &failed
		res.Reason = fmt.Sprintf("giving up resources due to failure of %s: %v", r, err)
		// Giving up must finish even when ctx ended (hbd shutting down):
		// each stop is still bounded by its agent's own timeout.
		rb := m.release(context.WithoutCancel(ctx), g.Node, g.Key(), g.Resources[:i+1])
		res.Steps = append(res.Steps, rb.Steps...)
		res.StuckRunning = rb.StuckRunning
		if !rb.OK {
			res.Reason += "; rollback: " + rb.Reason
		}
		return res
	}
	return res
}

func (m *Manager) startOne(ctx context.Context, r Resource) (Step, error) {
	step := Step{Resource: r, Action: ActionStart}
	a, err := m.agent(r)
	if err != nil {
		step.Err = err
		return step, err
	}
	if st, err := a.Status(ctx); err == nil && st == StatusRunning {
		step.Action = ActionSkip
		return step, nil
	}
	step.Attempts = 1
	step.Err = a.Start(ctx)
	return step, step.Err
}

// Release stops g's resources right to left. A failed stop is retried
// StopRetries times, StopRetryInterval apart. If it still fails, the
// status decides: running puts the resource in StuckRunning (and the result
// is not OK); stopped only logs Heartbeat's "probably not LSB-compliant"
// warning. Release carries on with the remaining resources either way.
func (m *Manager) Release(ctx context.Context, g Group) Result {
	return m.release(ctx, g.Node, g.Key(), g.Resources)
}

func (m *Manager) release(ctx context.Context, node, key string, rs []Resource) Result {
	names := make([]string, 0, len(rs)+1)
	names = append(names, node)
	for _, r := range rs {
		names = append(names, r.Raw)
	}
	m.log.Info(fmt.Sprintf(msgReleasing, strings.Join(names, " ")), "group", key)
	res := Result{Group: key, OK: true, Reason: "resource group released"}
	for i := len(rs) - 1; i >= 0; i-- {
		step, stuck := m.stopOne(ctx, rs[i])
		res.Steps = append(res.Steps, step)
		if stuck {
			res.OK = false
			res.StuckRunning = append(res.StuckRunning, rs[i])
		}
	}
	if !res.OK {
		stuck := make([]string, len(res.StuckRunning))
		for i, r := range res.StuckRunning {
			stuck[i] = r.String()
		}
		res.Reason = fmt.Sprintf("%v: %s", ErrStuckRunning, strings.Join(stuck, ", "))
	}
	return res
}

// stopOne stops r with retries; stuck reports a failed stop of a resource
// that still runs.
func (m *Manager) stopOne(ctx context.Context, r Resource) (step Step, stuck bool) {
	step = Step{Resource: r, Action: ActionStop}
	a, err := m.agent(r)
	if err != nil {
		// ResourceManager: doscript cannot locate the script, and
		// we_own_resource cannot either, so the resource counts as stopped.
		step.Err = err
		m.warnNotLSB(r)
		return step, false
	}
	for {
		step.Attempts++
		if step.Err = a.Stop(ctx); step.Err == nil {
			return step, false
		}
		if step.Attempts > m.cfg.StopRetries || ctx.Err() != nil {
			break
		}
		if !sleepCtx(ctx, m.cfg.StopRetryInterval) {
			break
		}
		m.log.Info(fmt.Sprintf(msgRetryStop, r.Raw), "resource", r.String(), "err", step.Err)
	}
	if st, err := a.Status(ctx); err == nil && st == StatusRunning {
		m.log.Error(msgStopFailure, "resource", r.String(), "err", step.Err)
		return step, true
	}
	m.warnNotLSB(r)
	return step, false
}

func (m *Manager) warnNotLSB(r Resource) {
	m.log.Error(fmt.Sprintf(msgNotLSB, r.Raw), "resource", r.String())
	m.log.Warn(fmt.Sprintf(msgMustSucceed, r.Raw), "resource", r.String())
	m.log.Warn(msgRebootAvoided, "resource", r.String())
}

// Status reports one resource as we_own_resource does: an error (no such
// script, status failed) counts as stopped and is returned alongside.
func (m *Manager) Status(ctx context.Context, r Resource) (Status, error) {
	a, err := m.agent(r)
	if err != nil {
		return StatusStopped, err
	}
	st, err := a.Status(ctx)
	if err != nil {
		return StatusStopped, err
	}
	return st, nil
}

// GroupStatus is ResourceManager's statgroup answer.
type GroupStatus string

// Group statuses.
const (
	GroupNone GroupStatus = "NONE" // no resource held
	GroupSome GroupStatus = "SOME"
	GroupAll  GroupStatus = "ALL"
)

// GroupStatus asks every resource of g for its status (statgroup).
func (m *Manager) GroupStatus(ctx context.Context, g Group) GroupStatus {
	held := 0
	for _, r := range g.Resources {
		if st, _ := m.Status(ctx, r); st == StatusRunning {
			held++
		}
	}
	switch held {
	case 0:
		return GroupNone
	case len(g.Resources):
		return GroupAll
	}
	return GroupSome
}

// agent returns the cached agent of r, resolving it on first use. A failed
// resolution is not cached: the script may appear later.
func (m *Manager) agent(r Resource) (Agent, error) {
	key := r.String()
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.agents[key]; ok {
		return a, nil
	}
	a, err := m.resolve(r)
	if err != nil {
		if errors.Is(err, ErrNoScript) {
			m.log.Error(fmt.Sprintf(msgCannotLocate, r.Name), "resource", r.String())
		} else {
			m.log.Error("cannot resolve resource", "resource", r.String(), "err", err)
		}
		return nil, err
	}
	m.agents[key] = a
	return a, nil
}

// sleepCtx waits d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
