package director

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
)

// checkResult is one check outcome on its way to the reconcile goroutine.
type checkResult struct {
	key    CheckKey
	result check.Result
}

// scheduler runs every check on its own schedule: a small random delay,
// the check bounded by its timeout, then checkinterval (plus jitter)
// before the next one. At most MaxInFlight checks run at once, so a storm
// of dead servers cannot exhaust the host; a hanging server holds one
// slot until its timeout, and the default bound leaves room for hundreds
// of them before a healthy check waits.
//
// Checks of the built-in connect, plain http and simpletcp checkers run on
// check.Engine (issue 14): one epoll loop that keeps their schedule
// itself and costs a check its syscalls, as keepalived's checker does.
// Every other check runs here: one goroutine keeps each check's next time
// in a heap, and a goroutine exists per check in flight only, never per
// real. Both paths take their slots from one check.Slots.
type scheduler struct {
	ctx      context.Context
	checkers check.Registry
	jitter   func(time.Duration) time.Duration
	results  chan<- checkResult
	slots    *check.Slots
	log      *slog.Logger

	want     chan map[CheckKey]time.Duration // set → loop
	finished chan finishedCheck              // check goroutines → loop
	wg       sync.WaitGroup                  // the loop, the engine and every check goroutine

	// The engine (nil when it could not be opened: every check then runs
	// on goroutines). Its results go straight to the reconcile goroutine
	// (engineResults), tagged with their CheckKey. Loop-only: whether it
	// runs (it starts with the first check it can run, so that a test
	// with fake checkers never has a goroutine in a real poller) and the
	// last id given.
	engine        *check.Engine
	engineRunning bool
	nextID        uint64
}

// finishedCheck tells the loop a check ended (its result already sent).
type finishedCheck struct {
	st *checkState
	at time.Time
}

// checkState is the loop's view of one incarnation of a check: a restart
// (new interval) makes a new one, so heap entries and finishes of the old
// one are told apart by pointer.
type checkState struct {
	key      CheckKey
	interval time.Duration
	checker  check.Checker
	cancel   context.CancelFunc // of the run in flight, nil when idle
	engineID uint64             // on the engine when non-zero
}

// checkGrace is how long past its timeout a check that ignores its context
// may run before the scheduler reports it down and frees its slot.
const checkGrace = time.Second

func newScheduler(ctx context.Context, c Config, results chan<- checkResult) *scheduler {
	s := &scheduler{
		ctx: ctx, checkers: c.Checkers, jitter: c.Jitter, results: results, slots: check.NewSlots(c.MaxInFlight),
		log: c.Logger, want: make(chan map[CheckKey]time.Duration), finished: make(chan finishedCheck),
	}
	if e, err := check.NewEngine(check.EngineConfig{Jitter: c.Jitter, InFlight: s.slots}); err != nil {
		s.log.Warn("check engine unavailable, every check runs on its own goroutine", "err", err)
	} else {
		s.engine = e
	}
	s.wg.Add(1)
	go s.loop()
	return s
}

// set makes the running checks exactly want (key → interval): it starts new
// ones, stops removed ones and restarts those whose interval changed.
// Called from the reconcile goroutine only.
func (s *scheduler) set(want map[CheckKey]time.Duration) {
	select {
	case s.want <- want:
	case <-s.ctx.Done():
	}
}

// wait returns when the loop and every check goroutine have exited (after
// ctx is done).
func (s *scheduler) wait() { s.wg.Wait() }

// loop owns the schedule. It never blocks on anything but its own select,
// so check goroutines and set can always reach it.
func (s *scheduler) loop() {
	defer s.wg.Done()
	defer func() {
		if s.engine != nil && !s.engineRunning {
			s.engine.Close()
		}
	}()
	checks := map[CheckKey]*checkState{}
	var due dueHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		blocked := false
		for len(due) > 0 && !due[0].at.After(now) {
			if st := due[0].st; st.cancel != nil || checks[st.key] != st {
				heap.Pop(&due) // removed or restarted since it was queued
				continue
			}
			if !s.slots.TryAcquire() {
				blocked = true
				break
			}
			s.start(heap.Pop(&due).(dueCheck).st)
		}
		var wake <-chan time.Time
		switch {
		case blocked: // the engine may free a slot: look again soon
			timer.Reset(slotPoll)
			wake = timer.C
		case len(due) > 0:
			timer.Reset(due[0].at.Sub(now))
			wake = timer.C
		}
		select {
		case <-s.ctx.Done():
			return
		case want := <-s.want:
			s.apply(checks, &due, want, now)
		case f := <-s.finished:
			s.slots.Release()
			if st := f.st; checks[st.key] == st {
				st.cancel = nil
				heap.Push(&due, dueCheck{at: f.at.Add(st.interval + s.jitter(st.interval)), st: st})
			}
		case <-wake:
		}
	}
}

// slotPoll is how soon the loop looks again for a slot the engine may have
// freed (the engine polls likewise for the goroutine path's).
const slotPoll = 20 * time.Millisecond

// engineResults is the engine's signal that results wait, and the engine
// to Take them from (nil, never ready, without an engine). The reconcile
// goroutine takes them itself: one hop from the engine, none through the
// scheduler. A result of a check removed since names a key the reconcile
// goroutine no longer has, and is dropped there.
func (s *scheduler) engineResults() (<-chan struct{}, *check.Engine) {
	if s.engine == nil {
		return nil, nil
	}
	return s.engine.Ready(), s.engine
}

// apply brings checks to want. A restarted or removed check in flight is
// cancelled; its slot comes back when its goroutine says it finished.
func (s *scheduler) apply(checks map[CheckKey]*checkState, due *dueHeap, want map[CheckKey]time.Duration, now time.Time) {
	for key, st := range checks {
		if iv, ok := want[key]; !ok || iv != st.interval {
			if st.cancel != nil {
				st.cancel()
			}
			if st.engineID != 0 {
				s.engine.Remove(st.engineID)
			}
			delete(checks, key)
		}
	}
	for key, iv := range want {
		if _, ok := checks[key]; ok {
			continue
		}
		st := &checkState{key: key, interval: iv, checker: s.checkers.Lookup(key.Target().Type, key.Target().Service)}
		checks[key] = st
		if p, ok := check.EngineProbe(st.checker, key.Target()); ok && s.engine != nil {
			s.startEngine()
			s.nextID++
			st.engineID = s.nextID
			s.engine.Set(st.engineID, p, iv, key)
			continue
		}
		heap.Push(due, dueCheck{at: now.Add(s.jitter(iv)), st: st})
	}
}

// startEngine starts the engine's loop the first time a check runs on it.
func (s *scheduler) startEngine() {
	if s.engineRunning {
		return
	}
	s.engineRunning = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.engine.Run(s.ctx); err != nil {
			s.log.Error("check engine stopped", "err", err)
		}
	}()
}

// start runs one check of key on its own goroutine: the result goes to the
// reconcile goroutine, then the loop hears that the slot is free.
func (s *scheduler) start(st *checkState) {
	ctx, cancel := context.WithCancel(s.ctx)
	st.cancel = cancel
	key, c := st.key, st.checker
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		res := runCheck(ctx, c, key.Target())
		if ctx.Err() == nil {
			select {
			case s.results <- checkResult{key: key, result: res}:
			case <-ctx.Done():
			}
		}
		select {
		case s.finished <- finishedCheck{st: st, at: time.Now()}:
		case <-s.ctx.Done():
		}
	}()
}

// dueCheck is one check's next run time in the heap.
type dueCheck struct {
	at time.Time
	st *checkState
}

// dueHeap is a min-heap of dueChecks by time (container/heap).
type dueHeap []dueCheck

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueCheck)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// runCheck runs one check bounded by its timeout. A checker that ignores its
// context is abandoned checkGrace after the deadline and reported down.
func runCheck(ctx context.Context, c check.Checker, t check.Target) check.Result {
	ctx, cancel := context.WithTimeout(ctx, t.Budget()) // ping: checkcount × checktimeout
	defer cancel()
	start := time.Now()
	done := make(chan check.Result, 1)
	go func() { done <- c.Check(ctx, t) }()
	grace := time.NewTimer(t.Budget() + checkGrace)
	defer grace.Stop()
	select {
	case r := <-done:
		return r
	case <-grace.C:
		return check.Result{Err: fmt.Sprintf("check did not return within its timeout %s", t.Timeout), Duration: time.Since(start)}
	}
}

// defaultJitter is uniform in [0, min(interval/10, 1 s)] (ldirectord #848
// asked for such slop to spread check storms).
func defaultJitter(interval time.Duration) time.Duration {
	limit := min(interval/10, time.Second)
	if limit <= 0 {
		return 0
	}
	return rand.N(limit + 1)
}
