package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// The sd_notify wrappers. Outside systemd (no NOTIFY_SOCKET) each is a no-op
// returning nil, so callers use them unconditionally. NOTIFY_SOCKET is left in
// the environment because a daemon notifies many times; use CleanEnv for the
// environment of child processes.

// Ready tells systemd that start-up (or a reload) is complete: READY=1.
func Ready() error { return sdNotify(sddaemon.SdNotifyReady) }

// Reloading tells systemd that a reload has begun: RELOADING=1 plus the
// MONOTONIC_USEC= stamp that Type=notify-reload (systemd >= 253) requires.
// Call Ready when the reload is done.
func Reloading() error {
	return sdNotify(sddaemon.SdNotifyReloading + "\n" + strings.TrimSuffix(sddaemon.SdNotifyMonotonicUsec(), "\n"))
}

// Stopping tells systemd that an orderly shutdown has begun: STOPPING=1.
func Stopping() error { return sdNotify(sddaemon.SdNotifyStopping) }

// Status sets the one-line status systemctl shows: STATUS=<text>. Newlines
// in text become spaces, since a newline would start a new assignment.
func Status(text string) error {
	return sdNotify("STATUS=" + strings.ReplaceAll(text, "\n", " "))
}

func sdNotify(state string) error {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("notifying systemd: %w", err)
	}
	return nil
}

// RunWatchdog sends WATCHDOG=1 every half of WATCHDOG_USEC until ctx ends,
// then returns nil. It returns nil at once when the watchdog is not enabled
// for this process (WATCHDOG_USEC unset, or WATCHDOG_PID names another), and
// an error if WATCHDOG_USEC is malformed. Send failures are returned too: a
// daemon that cannot reach systemd will be killed by it anyway.
func RunWatchdog(ctx context.Context) error {
	interval, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil {
		return fmt.Errorf("reading watchdog settings: %w", err)
	}
	if interval <= 0 {
		return nil
	}
	tick := time.NewTicker(max(interval/2, time.Millisecond))
	defer tick.Stop()
	for {
		if err := sdNotify(sddaemon.SdNotifyWatchdog); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// CleanEnv returns env without the variables that belong to this process's
// supervisor relationship (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*), for the
// environment of resource agents and external checks.
func CleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NOTIFY_SOCKET" || strings.HasPrefix(k, "WATCHDOG_") || strings.HasPrefix(k, "LISTEN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
