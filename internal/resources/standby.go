package resources

// This file holds the group logic of the standby roles (Preparer), the
// hand-over delay (HandOverer) and status details (Describer). Like
// plan.go it reaches resources only through their agents.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Prepare puts every resource of g that has a standby role into it
// (Preparer), left to right. hbd calls it for every group at start, before
// its first heartbeat, so a node is ready to take a group over from the
// moment the peer can see it. Every resource is tried; the errors are
// joined.
func (m *Manager) Prepare(ctx context.Context, g Group) error {
	var errs []error
	for _, r := range g.Resources {
		p, ok := m.preparer(r)
		if !ok {
			continue
		}
		if err := p.Prepare(ctx); err != nil {
			errs = append(errs, fmt.Errorf("preparing %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// Retire removes the standby roles of g's resources, right to left: hbd
// calls it for every group it does not hold when it stops.
func (m *Manager) Retire(ctx context.Context, g Group) error {
	var errs []error
	for i := len(g.Resources) - 1; i >= 0; i-- {
		p, ok := m.preparer(g.Resources[i])
		if !ok {
			continue
		}
		if err := p.Retire(ctx); err != nil {
			errs = append(errs, fmt.Errorf("retiring %s: %w", g.Resources[i], err))
		}
	}
	return errors.Join(errs...)
}

func (m *Manager) preparer(r Resource) (Preparer, bool) {
	a, err := m.agent(r)
	if err != nil {
		return nil, false
	}
	p, ok := a.(Preparer)
	return p, ok
}

// HandOverDelay is the longest HandOverDelay of g's resources: how long
// the peer must have been up before this node gives g to it in a planned
// move. Zero when no resource asks for one.
func (m *Manager) HandOverDelay(g Group) time.Duration {
	var d time.Duration
	for _, r := range g.Resources {
		a, err := m.agent(r)
		if err != nil {
			continue
		}
		if h, ok := a.(HandOverer); ok {
			d = max(d, h.HandOverDelay())
		}
	}
	return d
}

// Describe returns the status details of g's resources that have any
// (Describer), keyed by the resource's canonical form.
func (m *Manager) Describe(ctx context.Context, g Group) map[string]string {
	out := map[string]string{}
	for _, r := range g.Resources {
		a, err := m.agent(r)
		if err != nil {
			continue
		}
		if d, ok := a.(Describer); ok {
			out[r.String()] = d.Describe(ctx)
		}
	}
	return out
}
