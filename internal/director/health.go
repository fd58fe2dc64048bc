package director

import (
	"fmt"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
)

// State is the health of a real server as the director sees it.
type State uint8

// Health states. Unknown is the state before the first check result; the
// director never adds an Unknown real (ldirectord adds it at full weight
// first, then takes it down: anchors.md §2.6 step 3).
const (
	Unknown State = iota
	Up
	Down
)

// String returns "unknown", "up" or "down".
func (s State) String() string {
	switch s {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return "unknown"
}

// MarshalText makes a State render as its name in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Health is the check state of one CheckKey.
type Health struct {
	State      State
	Failures   int       // consecutive failed checks
	LastUp     bool      // verdict of the last check
	LastErr    string    // error of the last failed check ("" after a success)
	LastCheck  time.Time // when the last result arrived (zero: never)
	LastChange time.Time // when State last changed (zero: never)
	Reason     string    // why State is what it is
}

// Transition is what one check result did to a key's Health.
type Transition struct {
	From, To State
	Changed  bool   // From != To
	Soft     bool   // a failure below failurecount while up: state kept
	Reset    bool   // a success that cleared soft failures while up
	Failures int    // consecutive failures after the result
	Reason   string // e.g. "real down: 3 consecutive failures (connection refused)"
}

// HealthView answers the health of a check; Desired reads it.
type HealthView interface {
	State(CheckKey) State
}

// AllUp is a HealthView in which every real is up (used by Plan).
type AllUp struct{}

// State reports Up.
func (AllUp) State(CheckKey) State { return Up }

// HealthTable holds the Health of every check. It is a pure state machine:
// no clock, no goroutines; not safe for concurrent use (the reconcile
// goroutine owns it).
type HealthTable struct {
	m map[CheckKey]*Health
}

// NewHealthTable returns an empty table.
func NewHealthTable() *HealthTable { return &HealthTable{m: map[CheckKey]*Health{}} }

// State returns the state of key, Unknown if it has no result yet.
func (h *HealthTable) State(key CheckKey) State {
	if e, ok := h.m[key]; ok {
		return e.State
	}
	return Unknown
}

// Get returns a copy of key's Health.
func (h *HealthTable) Get(key CheckKey) (Health, bool) {
	e, ok := h.m[key]
	if !ok {
		return Health{}, false
	}
	return *e, true
}

// Retain drops every key for which keep returns false (checks that a reload
// removed).
func (h *HealthTable) Retain(keep func(CheckKey) bool) {
	for k := range h.m {
		if !keep(k) {
			delete(h.m, k)
		}
	}
}

// Observe applies one check result taken at now. ldirectord's rules
// (_service_up, _service_down): one success brings a real up; an up real
// goes down after key.FailureCount consecutive failures, the ones before
// being "soft failures". A real that was never up (Unknown) goes down on its
// first failure: failurecount protects a serving real from flapping, it
// does not delay the verdict on one that never served.
func (h *HealthTable) Observe(key CheckKey, r check.Result, now time.Time) Transition {
	e, ok := h.m[key]
	if !ok {
		e = &Health{}
		h.m[key] = e
	}
	tr := Transition{From: e.State, To: e.State}
	e.LastCheck, e.LastUp, e.LastErr = now, r.Up, r.Err
	if r.Up {
		tr.Reset = e.State == Up && e.Failures > 0
		e.Failures = 0
		if e.State != Up {
			tr.To, e.Reason = Up, "real up: check succeeded"
		}
	} else {
		e.Failures++
		threshold := max(key.FailureCount(), 1)
		switch {
		case e.State == Up && e.Failures < threshold:
			tr.Soft = true
		case e.State != Down:
			tr.To = Down
			e.Reason = fmt.Sprintf("real down: %d consecutive failure(s) (%s)", e.Failures, r.Err)
		}
	}
	tr.Failures = e.Failures
	tr.Reason = e.Reason
	if tr.To != tr.From {
		tr.Changed = true
		e.State = tr.To
		e.LastChange = now
	}
	return tr
}

// Force puts key down at once, whatever its failure count: ldirectord's
// service_set(..., {force => 1}) for a real in maintenance. It is not a
// check result: the last check's verdict and time are kept.
func (h *HealthTable) Force(key CheckKey, reason string, now time.Time) Transition {
	e, ok := h.m[key]
	if !ok {
		e = &Health{}
		h.m[key] = e
	}
	tr := Transition{From: e.State, To: Down, Failures: e.Failures, Reason: reason}
	e.Reason = reason
	if e.State != Down {
		tr.Changed = true
		e.State = Down
		e.LastChange = now
	}
	return tr
}

// Relabel changes the reason of key's state, if key is known.
func (h *HealthTable) Relabel(key CheckKey, reason string) {
	if e, ok := h.m[key]; ok {
		e.Reason = reason
	}
}
