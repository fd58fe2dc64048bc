//go:build vm

package hbd

import (
	"bytes"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

// kmsg returns the kernel log (SYSLOG_ACTION_READ_ALL).
func kmsg(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 1<<20)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		t.Fatalf("reading the kernel log: %v", err)
	}
	return string(buf[:n])
}

// TestWatchdogSoftdog drives the real /dev/watchdog of the softdog driver
// (run.sh loads it with soft_noboot=1, so an expiry is logged instead of
// rebooting the VM): OpenWatchdog sets the timeout Heartbeat sets
// (deadtime + 10 ms, rounded up: 2 s for deadtime 1.5 s) without a
// warning; tickled and then closed with the magic 'V', the device is
// disarmed and never fires; tickled and then left alone, as by a hung
// hbd, it fires once the timeout has passed.
func TestWatchdogSoftdog(t *testing.T) {
	const dev = "/dev/watchdog"
	if _, err := os.Stat(dev); err != nil {
		t.Fatalf("%s: %v (softdog not loaded?)", dev, err)
	}
	const fired = "softdog: Triggered - Reboot ignored"
	log := kmsg(t)
	if !bytes.Contains([]byte(log), []byte("soft_noboot=1")) {
		// Never arm a watchdog that would reboot the VM.
		t.Fatalf("softdog was not loaded with soft_noboot=1; kernel log:\n%s", log)
	}
	before := bytes.Count([]byte(log), []byte(fired))
	deadtime := 1500 * time.Millisecond

	w, warn, err := heartbeat.OpenWatchdog(dev, deadtime)
	if err != nil {
		t.Fatal(err)
	}
	if warn != nil {
		t.Errorf("WDIOC_SETTIMEOUT on softdog: %v", warn)
	}
	got, err := w.Timeout()
	if err != nil || got != 2 {
		t.Errorf("WDIOC_GETTIMEOUT = %d (%v), want 2 (deadtime 1.5 s + 10 ms, rounded up)", got, err)
	}
	for range 8 { // 4 s of heartbeats, twice the timeout
		time.Sleep(500 * time.Millisecond)
		if err := w.Tickle(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if n := bytes.Count([]byte(kmsg(t)), []byte(fired)); n != before {
		t.Fatalf("the watchdog fired while tickled or after the magic close (%d times)", n-before)
	}

	w, _, err = heartbeat.OpenWatchdog(dev, deadtime)
	if err != nil {
		t.Fatal(err)
	}
	w.Tickle()
	hung := time.Now()
	deadline := hung.Add(10 * time.Second)
	for bytes.Count([]byte(kmsg(t)), []byte(fired)) == before {
		if time.Now().After(deadline) {
			t.Fatal("the untickled watchdog did not fire within 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(hung)
	t.Logf("untickled softdog fired after %v (timeout 2 s)", took.Round(10*time.Millisecond))
	if took < 1500*time.Millisecond {
		t.Errorf("fired after %v, before its 2 s timeout", took)
	}
	w.Close()
}
