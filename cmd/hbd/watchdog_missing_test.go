package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// TestWatchdogMissingDevice (issue 17 §3): ha.cf names a watchdog device
// that does not exist. As Heartbeat, hbd logs "Cannot open watchdog
// device" and runs without one: no tickler, a harmless close.
func TestWatchdogMissingDevice(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	dev := filepath.Join(t.TempDir(), "watchdog")
	tick, closeDev := openWatchdog(&hacf.Config{Watchdog: dev, Deadtime: 3 * time.Second}, log)
	if tick != nil {
		t.Errorf("openWatchdog(%s) returned a tickler for a missing device", dev)
	}
	closeDev()
	if want := "Cannot open watchdog device: " + dev; !strings.Contains(logs.String(), want) {
		t.Errorf("log %q does not say %q", logs.String(), want)
	}
}
