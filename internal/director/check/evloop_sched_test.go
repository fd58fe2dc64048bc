package check

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTimeHeap(t *testing.T) {
	var h timeHeap
	var want []int64
	for i := range 500 {
		at := rand.Int64N(1000)
		want = append(want, at)
		if i%2 == 0 {
			h.push(at, nil, uint32(i))
		} else {
			h.pushConn(at, int32(i), uint32(i))
		}
	}
	slices.Sort(want)
	for i, w := range want {
		at, ok := h.peek()
		if !ok || at != w {
			t.Fatalf("entry %d: peek = %d, %v; want %d", i, at, ok, w)
		}
		h.pop()
	}
	if _, ok := h.peek(); ok {
		t.Fatal("heap not empty after popping every entry")
	}
}

func TestTicks(t *testing.T) {
	tests := []struct{ at, tick, start, end int64 }{
		{0, 25, 0, 25},
		{24, 25, 0, 25},
		{25, 25, 25, 50},
		{1234, 25, 1225, 1250},
		{7, 1, 7, 8},
	}
	for _, tc := range tests {
		if s, e := tickStart(tc.at, tc.tick), tickEnd(tc.at, tc.tick); s != tc.start || e != tc.end {
			t.Errorf("at %d tick %d: start %d end %d, want %d %d", tc.at, tc.tick, s, e, tc.start, tc.end)
		}
	}
}

func TestSlots(t *testing.T) {
	s := NewSlots(2)
	if !s.TryAcquire() || !s.TryAcquire() || s.TryAcquire() {
		t.Fatal("want exactly 2 slots")
	}
	s.Release()
	if !s.TryAcquire() || s.InUse() != 2 {
		t.Fatalf("after a release: in use %d", s.InUse())
	}
}

func TestNextDue(t *testing.T) {
	tests := []struct {
		name                             string
		due, interval, jitter, now, want int64
	}{
		{"the rate holds whatever the check took", 1000, 1000, 0, 1300, 2000},
		{"jitter moves it either way", 1000, 1000, -40, 1300, 1960},
		{"never before the run ended", 1000, 1000, 0, 3500, 3500},
	}
	for _, tc := range tests {
		if got := nextDue(tc.due, tc.interval, tc.jitter, tc.now); got != tc.want {
			t.Errorf("%s: nextDue = %d, want %d", tc.name, got, tc.want)
		}
	}
}
