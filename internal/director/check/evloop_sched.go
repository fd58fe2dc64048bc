package check

// The pure timing parts of the event-loop engine: a min-heap of times
// (due starts and connection deadlines) and the in-flight bound it shares
// with the goroutine path. No clock here: times are the loop's.

import "sync/atomic"

// timeEntry is one due start (chk set) or one connection deadline (conn).
// Entries are not removed when they go stale: gen tells (the check or
// connection moved on since) and the loop skips them when they surface.
type timeEntry struct {
	at   int64
	chk  *echeck
	conn int32
	gen  uint32
}

// timeHeap is a binary min-heap of timeEntry by at. It is written out
// rather than built on container/heap, whose Push takes an interface and
// would allocate per entry.
type timeHeap []timeEntry

func (h *timeHeap) push(at int64, chk *echeck, gen uint32) {
	h.add(timeEntry{at: at, chk: chk, gen: gen, conn: -1})
}

func (h *timeHeap) pushConn(at int64, conn int32, gen uint32) {
	h.add(timeEntry{at: at, conn: conn, gen: gen})
}

func (h *timeHeap) add(x timeEntry) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// peek returns the earliest time.
func (h timeHeap) peek() (int64, bool) {
	if len(h) == 0 {
		return 0, false
	}
	return h[0].at, true
}

func (h timeHeap) top() (*echeck, uint32)   { return h[0].chk, h[0].gen }
func (h timeHeap) topConn() (int32, uint32) { return h[0].conn, h[0].gen }

// pop removes the earliest entry.
func (h *timeHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timeEntry{}
	s = s[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].at < s[m].at {
			m = l
		}
		if r < n && s[r].at < s[m].at {
			m = r
		}
		if m == i {
			break
		}
		s[m], s[i] = s[i], s[m]
		i = m
	}
	*h = s
}

// tickStart is the start of the tick of length tick that holds at.
func tickStart(at, tick int64) int64 { return at - at%tick }

// tickEnd is the end of the tick that holds now: everything due before it
// is due in this tick.
func tickEnd(now, tick int64) int64 { return tickStart(now, tick) + tick }

// nextDue is when a check due at due, with its run ended at now, is due
// again: interval after due, moved by jitter (zero on average), and not
// before now.
func nextDue(due, interval, jitter, now int64) int64 {
	return max(due+interval+jitter, now)
}

// Slots bounds the checks running at once (director Config.MaxInFlight)
// across the goroutine path and the engine. Safe for concurrent use.
type Slots struct {
	n   atomic.Int64
	max int64
}

// NewSlots returns a bound of max checks at once.
func NewSlots(max int) *Slots { return &Slots{max: int64(max)} }

// TryAcquire takes a slot if one is free.
func (s *Slots) TryAcquire() bool {
	for {
		n := s.n.Load()
		if n >= s.max {
			return false
		}
		if s.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release frees a slot.
func (s *Slots) Release() { s.n.Add(-1) }

// InUse is the number of slots taken.
func (s *Slots) InUse() int { return int(s.n.Load()) }
