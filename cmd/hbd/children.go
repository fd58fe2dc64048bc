package main

// The watchdog device and the respawn programs of ha.cf: opened and
// started around the node's life in serve.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/respawn"
)

// openWatchdog opens ha.cf's watchdog device. As Heartbeat, a device that
// cannot be opened is logged and hbd runs without it; the returned
// Tickler is then nil. close writes the magic character on a clean stop.
func openWatchdog(cf *hacf.Config, log *slog.Logger) (t heartbeat.Tickler, close func()) {
	if cf.Watchdog == "" {
		return nil, func() {}
	}
	w, warn, err := heartbeat.OpenWatchdog(cf.Watchdog, cf.Deadtime)
	if err != nil {
		log.Error(fmt.Sprintf(heartbeat.MsgWatchdogCannot, cf.Watchdog), "err", err)
		return nil, func() {}
	}
	if warn != nil {
		log.Warn(warn.Error())
	}
	log.Info(fmt.Sprintf(heartbeat.MsgWatchdogUsing, cf.Watchdog), "timeout_s", heartbeat.WatchdogTimeout(cf.Deadtime))
	var once sync.Once
	return w, func() {
		once.Do(func() {
			if err := w.Close(); err != nil {
				log.Error("closing the watchdog device", "err", err)
			}
		})
	}
}

// startRespawn starts ha.cf's respawn programs (all but ipfail, which is
// built in) as their users; stop ends them (SIGTERM to each process group)
// and waits. A user that no longer resolves is logged and its program
// skipped (loadConfig checked it at start).
func startRespawn(cf *hacf.Config, log *slog.Logger) (stop func()) {
	var progs []respawn.Program
	for _, r := range cf.Programs() {
		cred, err := respawn.LookupUser(r.User)
		if err != nil {
			log.Error("respawn: "+err.Error(), "line", r.Line)
			continue
		}
		progs = append(progs, respawn.Program{Line: r.Line, User: r.User, Command: r.Command, Cred: cred})
	}
	if len(progs) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		respawn.Run(ctx, respawn.Config{Programs: progs, Env: childEnv(cf), Logger: log})
	}()
	return func() { cancel(); <-done }
}

// childEnv is the respawned programs' environment: hbd's, without the
// variables systemd meant for hbd itself, plus ha.cf's env lines.
func childEnv(cf *hacf.Config) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", detachEnv:
			continue
		}
		env = append(env, kv)
	}
	for _, e := range cf.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	return env
}
