package netlab

import (
	"context"
	"fmt"
	"sync"
)

// Events is an append-only list of observations that watcher goroutines
// add to and tests wait on. Positions are stable: Len before an action
// marks where that action's consequences start. The zero value is not
// usable; make one with NewEvents.
//
// Concurrency: safe for concurrent use.
type Events[E any] struct {
	mu      sync.Mutex
	list    []E
	changed chan struct{} // closed and replaced on every Add
}

// NewEvents returns an empty list.
func NewEvents[E any]() *Events[E] { return &Events[E]{changed: make(chan struct{})} }

// Add appends e and wakes every First waiting.
func (ev *Events[E]) Add(e E) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.list = append(ev.list, e)
	close(ev.changed)
	ev.changed = make(chan struct{})
}

// Len is the number of events so far.
func (ev *Events[E]) Len() int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.list)
}

// Since returns a copy of the events from position from on (nil when from
// is at or past the end).
func (ev *Events[E]) Since(from int) []E {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if from >= len(ev.list) {
		return nil
	}
	return append([]E(nil), ev.list[max(from, 0):]...)
}

// First waits for the first event at position from or later that match
// accepts and returns it with its position. It gives up with an error when
// ctx ends.
func (ev *Events[E]) First(ctx context.Context, from int, match func(E) bool) (E, int, error) {
	for {
		ev.mu.Lock()
		for i := max(from, 0); i < len(ev.list); i++ {
			if match(ev.list[i]) {
				e := ev.list[i]
				ev.mu.Unlock()
				return e, i, nil
			}
		}
		from = max(from, len(ev.list))
		changed := ev.changed
		ev.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			var zero E
			return zero, -1, fmt.Errorf("waiting for an event: %w", context.Cause(ctx))
		}
	}
}
