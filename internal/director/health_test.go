package director

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
)

func TestHealthObserve(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	up, down := check.Result{Up: true}, check.Result{Err: "connection refused"}
	type step struct {
		res  check.Result
		want Transition
	}
	tests := []struct {
		name     string
		failures int // failurecount
		steps    []step
	}{
		{name: "unknown to up", failures: 3, steps: []step{
			{up, Transition{From: Unknown, To: Up, Changed: true, Reason: "real up: check succeeded"}},
		}},
		{name: "unknown to down at once despite failurecount", failures: 3, steps: []step{
			{down, Transition{From: Unknown, To: Down, Changed: true, Failures: 1, Reason: "real down: 1 consecutive failure(s) (connection refused)"}},
			{down, Transition{From: Down, To: Down, Failures: 2, Reason: "real down: 1 consecutive failure(s) (connection refused)"}},
		}},
		{name: "up goes down after failurecount failures; one success brings it back", failures: 3, steps: []step{
			{up, Transition{From: Unknown, To: Up, Changed: true, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Up, Soft: true, Failures: 1, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Up, Soft: true, Failures: 2, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Down, Changed: true, Failures: 3, Reason: "real down: 3 consecutive failure(s) (connection refused)"}},
			{up, Transition{From: Down, To: Up, Changed: true, Reason: "real up: check succeeded"}},
		}},
		{name: "success resets soft failures", failures: 2, steps: []step{
			{up, Transition{From: Unknown, To: Up, Changed: true, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Up, Soft: true, Failures: 1, Reason: "real up: check succeeded"}},
			{up, Transition{From: Up, To: Up, Reset: true, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Up, Soft: true, Failures: 1, Reason: "real up: check succeeded"}},
		}},
		{name: "failurecount 0 behaves as 1", failures: 0, steps: []step{
			{up, Transition{From: Unknown, To: Up, Changed: true, Reason: "real up: check succeeded"}},
			{down, Transition{From: Up, To: Down, Changed: true, Failures: 1, Reason: "real down: 1 consecutive failure(s) (connection refused)"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHealthTable()
			key := newCheckKey(check.Target{}, tc.failures)
			if h.State(key) != Unknown {
				t.Fatalf("fresh key not unknown")
			}
			var lastChange time.Time
			for i, s := range tc.steps {
				now := t0.Add(time.Duration(i) * time.Second)
				got := h.Observe(key, s.res, now)
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Fatalf("step %d (-want +got):\n%s", i, diff)
				}
				if got.Changed {
					lastChange = now
				}
				e, _ := h.Get(key)
				if e.State != got.To || !e.LastChange.Equal(lastChange) || !e.LastCheck.Equal(now) || e.LastErr != s.res.Err {
					t.Errorf("step %d: health %+v", i, e)
				}
			}
		})
	}
}

func TestHealthRetain(t *testing.T) {
	h := NewHealthTable()
	a, b := newCheckKey(check.Target{}, 1), newCheckKey(check.Target{}, 2)
	h.Observe(a, check.Result{Up: true}, time.Time{})
	h.Observe(b, check.Result{Up: true}, time.Time{})
	h.Retain(func(k CheckKey) bool { return k == a })
	if h.State(a) != Up || h.State(b) != Unknown {
		t.Errorf("Retain: a=%v b=%v, want up, unknown", h.State(a), h.State(b))
	}
}
