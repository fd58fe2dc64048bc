package daemon

// The pure half of ha.cf `realtime` (realtime.go holds the syscalls): the
// priority Heartbeat picks, and the loop that reaches every thread of a
// process whose thread set may grow while it runs.

import (
	"errors"
	"fmt"
	"syscall"
)

// SCHED_RR's priority range on Linux (sched_get_priority_min/max).
const (
	rrPriorityMin = 1
	rrPriorityMax = 99
)

// RealtimePriority is the SCHED_RR priority hbd runs at for ha.cf's rtprio
// (0 when unset), chosen as Heartbeat 3.0.6 does: heartbeat.c passes
// hb_realtime_prio (-1 unless rtprio is set) to glue's cl_make_realtime,
// which uses sched_get_priority_min(SCHED_RR) for a priority <= 0 and
// clamps one above sched_get_priority_max.
func RealtimePriority(rtprio int) int {
	if rtprio <= 0 {
		return rrPriorityMin
	}
	return min(rtprio, rrPriorityMax)
}

// maxThreadRounds bounds forEachThread's listings. A Go process creates
// threads in bursts at start and then rarely; two listings normally agree.
const maxThreadRounds = 10

// errThreadsKeptAppearing is forEachThread giving up.
var errThreadsKeptAppearing = errors.New("new threads kept appearing")

// forEachThread calls set once for each thread id list returns, and lists
// again until a listing shows no thread it has already handled: a thread
// created meanwhile by a thread not yet handled would otherwise be missed
// (a new thread inherits its creator's scheduling policy). A thread that
// has exited by the time set runs (ESRCH) is skipped. It gives up after
// maxThreadRounds listings; the errors of set are joined.
func forEachThread(list func() ([]int, error), set func(tid int) error) error {
	done := map[int]bool{}
	var errs []error
	for range maxThreadRounds {
		tids, err := list()
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("listing threads: %w", err))...)
		}
		fresh := 0
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			done[tid] = true
			fresh++
			if err := set(tid); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("thread %d: %w", tid, err))
			}
		}
		if fresh == 0 {
			return errors.Join(errs...)
		}
	}
	return errors.Join(append(errs, fmt.Errorf("%w after %d listings", errThreadsKeptAppearing, maxThreadRounds))...)
}
