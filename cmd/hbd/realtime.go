package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// Log texts of ha.cf realtime. The failures keep the words of glue's
// cl_make_realtime (lib/clplumbing/realtime.c), which Heartbeat logs
// through cl_perror.
const (
	msgRealtime        = "Running realtime: SCHED_RR priority %d, memory locked"
	msgRealtimeSchedFn = "Unable to set scheduler parameters."
	msgRealtimeLockFn  = "Unable to lock pid %d in memory"
)

// makeRealtime applies ha.cf realtime (on by default) to this process,
// as Heartbeat does at start: every thread at SCHED_RR (rtprio, default
// SCHED_RR's minimum) and the memory locked. A failure (no CAP_SYS_NICE,
// no CAP_IPC_LOCK) is a warning: hbd runs on at normal priority. Resource
// scripts and ldirectord still start at SCHED_OTHER (daemon.StartNormal).
func makeRealtime(cf *hacf.Config, log *slog.Logger) {
	if !cf.Realtime {
		return
	}
	prio := daemon.RealtimePriority(cf.RTPrio)
	schedErr := daemon.SetRealtime(prio)
	if schedErr != nil {
		log.Warn(msgRealtimeSchedFn, "err", schedErr)
	}
	lockErr := daemon.LockMemory()
	if lockErr != nil {
		log.Warn(fmt.Sprintf(msgRealtimeLockFn, os.Getpid()), "err", lockErr)
	}
	if schedErr == nil && lockErr == nil {
		log.Info(fmt.Sprintf(msgRealtime, prio))
	}
}
