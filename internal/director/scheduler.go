package director

import (
	"context"
	"fmt"
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

// scheduler runs every check on its own goroutine and schedule: a small
// random delay, the check bounded by its timeout, then checkinterval before
// the next one. At most MaxInFlight checks run at once, so a storm of dead
// servers cannot exhaust the host, and a hanging server holds only its own
// slot until its timeout.
type scheduler struct {
	ctx      context.Context
	checkers check.Registry
	jitter   func(time.Duration) time.Duration
	results  chan<- checkResult
	sem      chan struct{}
	runners  map[CheckKey]*runner
	wg       sync.WaitGroup
}

type runner struct {
	interval time.Duration
	cancel   context.CancelFunc
}

// checkGrace is how long past its timeout a check that ignores its context
// may run before the scheduler reports it down and frees its slot.
const checkGrace = time.Second

func newScheduler(ctx context.Context, c Config, results chan<- checkResult) *scheduler {
	return &scheduler{
		ctx: ctx, checkers: c.Checkers, jitter: c.Jitter, results: results,
		sem: make(chan struct{}, c.MaxInFlight), runners: map[CheckKey]*runner{},
	}
}

// set makes the running checks exactly want (key → interval): it starts new
// ones, stops removed ones and restarts those whose interval changed.
// Called from the reconcile goroutine only.
func (s *scheduler) set(want map[CheckKey]time.Duration) {
	for key, r := range s.runners {
		if iv, ok := want[key]; !ok || iv != r.interval {
			r.cancel()
			delete(s.runners, key)
		}
	}
	for key, iv := range want {
		if _, ok := s.runners[key]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(s.ctx)
		s.runners[key] = &runner{interval: iv, cancel: cancel}
		s.wg.Add(1)
		go s.loop(ctx, key, iv, s.checkers.Lookup(key.Target.Type, key.Target.Service))
	}
}

// wait returns when every check goroutine has exited (after ctx is done).
func (s *scheduler) wait() { s.wg.Wait() }

func (s *scheduler) loop(ctx context.Context, key CheckKey, interval time.Duration, c check.Checker) {
	defer s.wg.Done()
	delay := s.jitter(interval)
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		res := runCheck(ctx, c, key.Target)
		<-s.sem
		if ctx.Err() != nil {
			return
		}
		select {
		case s.results <- checkResult{key: key, result: res}:
		case <-ctx.Done():
			return
		}
		delay = interval + s.jitter(interval)
	}
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
