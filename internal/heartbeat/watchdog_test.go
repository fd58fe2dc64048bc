package heartbeat

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchdog drives Watchdog against a regular file standing in for the
// device: the file refuses WDIOC_SETTIMEOUT (reported as a warning, as
// Heartbeat logs it and goes on), every tickle writes one byte, and Close
// writes the magic 'V'. The real device is driven in the VM with softdog
// (test/vm TestWatchdogSoftdog).
func TestWatchdog(t *testing.T) {
	for _, tc := range []struct {
		deadtime time.Duration
		secs     int
	}{{30 * time.Second, 31}, {990 * time.Millisecond, 1}, {991 * time.Millisecond, 2}, {3 * time.Second, 4}} {
		if got := WatchdogTimeout(tc.deadtime); got != tc.secs {
			t.Errorf("WatchdogTimeout(%s) = %d, want %d (deadtime + 10 ms rounded up)", tc.deadtime, got, tc.secs)
		}
	}
	dev := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w, warn, err := OpenWatchdog(dev, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if warn == nil {
		t.Error("WDIOC_SETTIMEOUT on a regular file: no warning")
	}
	for range 3 {
		if err := w.Tickle(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dev)
	if want := "\x00\x00\x00\x00V"; string(got) != want {
		t.Errorf("device got %q, want %q (one byte at open, one per tickle, 'V' at close)", got, want)
	}
	if _, _, err := OpenWatchdog(filepath.Join(t.TempDir(), "missing"), time.Second); err == nil {
		t.Error("missing device: no error")
	}
}
