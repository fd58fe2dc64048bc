// Package restest holds recording fakes of the resources package's
// interfaces: Agent, Addrs and Announcer. It is for tests only.
package restest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// Log records calls, in order, across every fake that shares it. Safe for
// concurrent use.
type Log struct {
	mu    sync.Mutex
	calls []string
}

// Add appends one call.
func (l *Log) Add(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, a...))
}

// Calls returns a copy of the calls so far.
func (l *Log) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// Agent is a recording fake resources.Agent. It holds a running flag that
// Start sets and Stop clears, unless told to fail. Calls are recorded in
// Log as "NAME start", "NAME stop", "NAME status".
type Agent struct {
	Name string
	Log  *Log

	mu sync.Mutex
	// Running is the state Status reports.
	Running bool
	// StartErr, when set, fails every Start (the state is unchanged).
	StartErr error
	// StopErrs fail the first len(StopErrs) Stops, one each (nil entries
	// succeed); StopErrAlways fails every Stop.
	StopErrs      []error
	StopErrAlways error
	// StatusErr, when set, fails every Status.
	StatusErr error
	// Monitor makes the fake a resources.Monitored agent (as the built-in
	// IPaddr and ldirectord agents are); false stands for a script.
	Monitor bool
	stops   int
}

var _ resources.Monitored = (*Agent)(nil)

// Monitored implements resources.Monitored: it reports Monitor.
func (a *Agent) Monitored() bool { return a.Monitor }

// SetRunning changes the state Status reports, as a resource that dies
// (false) or is brought back behind the agent's back (true).
func (a *Agent) SetRunning(running bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Running = running
}

// SetStartErr sets StartErr (nil: starts succeed again).
func (a *Agent) SetStartErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.StartErr = err
}

// Start implements resources.Agent.
func (a *Agent) Start(ctx context.Context) error {
	a.Log.Add("%s start", a.Name)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.StartErr != nil {
		return a.StartErr
	}
	a.Running = true
	return nil
}

// Stop implements resources.Agent.
func (a *Agent) Stop(ctx context.Context) error {
	a.Log.Add("%s stop", a.Name)
	a.mu.Lock()
	defer a.mu.Unlock()
	i := a.stops
	a.stops++
	if i < len(a.StopErrs) && a.StopErrs[i] != nil {
		return a.StopErrs[i]
	}
	if a.StopErrAlways != nil {
		return a.StopErrAlways
	}
	a.Running = false
	return nil
}

// Status implements resources.Agent.
func (a *Agent) Status(ctx context.Context) (resources.Status, error) {
	a.Log.Add("%s status", a.Name)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.StatusErr != nil {
		return resources.StatusStopped, a.StatusErr
	}
	if a.Running {
		return resources.StatusRunning, nil
	}
	return resources.StatusStopped, nil
}

// IsRunning reports the fake's state.
func (a *Agent) IsRunning() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Running
}

// Agents maps Resource.String() to fakes and resolves them; an unknown
// resource fails with resources.ErrNoScript, as Resolve does.
type Agents map[string]*Agent

// Resolve is a resources.ResolveFunc.
func (as Agents) Resolve(r resources.Resource) (resources.Agent, error) {
	if a, ok := as[r.String()]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("resolving %s: %w %s", r, resources.ErrNoScript, r.Name)
}

// Addrs is a strict in-memory resources.Addrs: Add of a present prefix on
// the same link fails with ErrAddrExists, Del of an absent one (or with the
// wrong label) with ErrAddrNotFound, and either on an unknown link with
// ErrNoLink, as the kernel does. Every Add and Del is recorded in Log.
type Addrs struct {
	Log *Log

	mu     sync.Mutex
	links  map[string]bool
	addrs  []resources.Addr
	routes []resources.Route
	// ListErr, when set, fails List.
	ListErr error
}

var _ resources.Addrs = (*Addrs)(nil)

// NewAddrs returns a fake host with the given links, addresses and
// connected routes.
func NewAddrs(log *Log, links []string, addrs []resources.Addr, routes []resources.Route) *Addrs {
	f := &Addrs{Log: log, links: map[string]bool{}, addrs: slices.Clone(addrs), routes: slices.Clone(routes)}
	for _, l := range links {
		f.links[l] = true
	}
	return f
}

// List implements resources.Addrs.
func (f *Addrs) List(ctx context.Context) ([]resources.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ListErr != nil {
		return nil, f.ListErr
	}
	return slices.Clone(f.addrs), nil
}

// Add implements resources.Addrs.
func (f *Addrs) Add(ctx context.Context, a resources.Addr) error {
	f.Log.Add("add %s dev %s label %q brd %s", a.Prefix, a.Iface, a.Label, brd(a.Broadcast))
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.links[a.Iface] {
		return fmt.Errorf("fake add %s: %w: %s", a.Prefix, resources.ErrNoLink, a.Iface)
	}
	for _, x := range f.addrs {
		if x.Iface == a.Iface && x.Prefix.Addr() == a.Prefix.Addr() && x.Prefix.Bits() == a.Prefix.Bits() {
			return fmt.Errorf("fake add %s: %w", a.Prefix, resources.ErrAddrExists)
		}
	}
	f.addrs = append(f.addrs, a)
	return nil
}

// Del implements resources.Addrs.
func (f *Addrs) Del(ctx context.Context, a resources.Addr) error {
	f.Log.Add("del %s dev %s label %q", a.Prefix, a.Iface, a.Label)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.links[a.Iface] {
		return fmt.Errorf("fake del %s: %w: %s", a.Prefix, resources.ErrNoLink, a.Iface)
	}
	i := slices.IndexFunc(f.addrs, func(x resources.Addr) bool {
		return x.Iface == a.Iface && x.Prefix == a.Prefix && (a.Label == "" || a.Label == x.Label)
	})
	if i < 0 {
		return fmt.Errorf("fake del %s: %w", a.Prefix, resources.ErrAddrNotFound)
	}
	f.addrs = slices.Delete(f.addrs, i, i+1)
	return nil
}

// Routes implements resources.Addrs.
func (f *Addrs) Routes(ctx context.Context) ([]resources.Route, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.routes), nil
}

func brd(a netip.Addr) string {
	if !a.IsValid() {
		return "none"
	}
	return a.String()
}

// Announcement is one recorded Announce call.
type Announcement struct {
	Iface string
	IP    netip.Addr
	Burst resources.Burst
}

// Announcer is a recording fake resources.Announcer. Each Announce is
// recorded, then, when Block is set, waits for ctx to end and returns its
// error; otherwise it returns Err at once.
type Announcer struct {
	Block bool
	Err   error

	mu    sync.Mutex
	calls []Announcement
	// Started receives one value per Announce call, if non-nil (buffer it).
	Started chan Announcement
}

var _ resources.Announcer = (*Announcer)(nil)

// Announce implements resources.Announcer.
func (f *Announcer) Announce(ctx context.Context, iface string, ip netip.Addr, b resources.Burst) error {
	a := Announcement{Iface: iface, IP: ip, Burst: b}
	f.mu.Lock()
	f.calls = append(f.calls, a)
	f.mu.Unlock()
	if f.Started != nil {
		f.Started <- a
	}
	if f.Block {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.Err
}

// Calls returns the announcements so far.
func (f *Announcer) Calls() []Announcement {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ErrFake is a generic injected failure.
var ErrFake = errors.New("injected failure")
