package daemon

// ha.cf `realtime` (on by default): scheduling policy and memory locking,
// the effects of Heartbeat's cl_make_realtime (glue lib/clplumbing/
// realtime.c), and starting children at normal time as Heartbeat's
// hb_setup_child/cl_make_normaltime do before it execs a resource script.
//
// Linux scheduling policy is per thread, and a new thread inherits the
// policy of the thread that creates it. The Go runtime creates threads
// (Ms) on demand from whichever thread needs one, or, when that thread is
// locked with runtime.LockOSThread, from its template thread
// (runtime/proc.go newm: "lockedExt != 0" hands the clone off). So:
//
//   - SetRealtime sets SCHED_RR on every thread in /proc/self/task,
//     including the template thread when one exists; every later thread
//     is created by one of them and inherits SCHED_RR.
//   - StartNormal forks from a goroutine locked to its thread, which
//     drops to SCHED_OTHER just for the fork. The child inherits that
//     thread's policy; exec keeps it. While locked, the thread runs no
//     other goroutine and never clones a runtime thread; it is back at
//     SCHED_RR before it is unlocked.
//
// The alternative, a trampoline (hbd re-exec'ing itself to reset the
// policy, then exec'ing the script), costs a Go runtime start per script
// run and ties every child path to hbd's command line; SCHED_RESET_ON_FORK
// would also reset the runtime's own later threads, which is what must
// not happen.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// SetRealtime puts every thread of this process in SCHED_RR at prio (see
// RealtimePriority); threads created later inherit it. Call it early, as
// Heartbeat does at start. It needs CAP_SYS_NICE (or RLIMIT_RTPRIO); on
// an error some threads may have been changed and others not.
func SetRealtime(prio int) error {
	err := forEachThread(listThreads, func(tid int) error {
		return setPolicy(tid, unix.SCHED_RR, prio)
	})
	if err != nil {
		return fmt.Errorf("setting SCHED_RR priority %d: %w", prio, err)
	}
	return nil
}

// LockMemory locks this process's memory, present and future, as
// cl_make_realtime's mlockall(MCL_CURRENT|MCL_FUTURE) does, adding
// MCL_ONFAULT: a page is locked when first touched, so the Go runtime's
// large heap and stack reservations do not become resident at once.
// Locks are not inherited by children (fork(2), execve(2)).
func LockMemory() error {
	if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT); err != nil {
		return fmt.Errorf("locking memory (mlockall): %w", err)
	}
	return nil
}

// StartNormal is cmd.Start run from an OS thread at SCHED_OTHER (nice
// kept), so the child does not inherit hbd's SCHED_RR. The thread gets
// its policy back afterwards; if that fails it is destroyed instead of
// returned to the runtime. Safe from any goroutine, realtime or not.
func StartNormal(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		old, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			errc <- fmt.Errorf("starting %s at normal priority: sched_getattr: %w", cmd.Path, err)
			return // still locked: the thread exits with this goroutine
		}
		if old.Policy != unix.SCHED_RR && old.Policy != unix.SCHED_FIFO {
			errc <- cmd.Start()
			runtime.UnlockOSThread()
			return
		}
		if err := setPolicy(0, unix.SCHED_NORMAL, 0); err != nil { // SCHED_OTHER
			errc <- fmt.Errorf("starting %s at normal priority: %w", cmd.Path, err)
			return
		}
		err = cmd.Start()
		if unix.SchedSetAttr(0, old, 0) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// setPolicy sets thread tid's policy and priority (0: the calling thread),
// keeping its nice value.
func setPolicy(tid int, policy, prio int) error {
	old, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return fmt.Errorf("sched_getattr: %w", err)
	}
	attr := &unix.SchedAttr{Policy: uint32(policy), Priority: uint32(prio), Nice: old.Nice}
	if err := unix.SchedSetAttr(tid, attr, 0); err != nil {
		return fmt.Errorf("sched_setattr: %w", err)
	}
	return nil
}

// listThreads returns the ids of this process's threads.
func listThreads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
