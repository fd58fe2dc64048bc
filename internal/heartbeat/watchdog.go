package heartbeat

// The ha.cf watchdog device (heartbeat/heartbeat.c hb_init_watchdog,
// hb_tickle_watchdog, hb_close_watchdog): opened write-only and
// close-on-exec at start, its timeout set to deadtime + 10 ms rounded up to
// whole seconds (WDIOC_SETTIMEOUT; a device that refuses keeps its own),
// one byte written with every heartbeat this node sends (Heartbeat tickles
// it when its own status message comes back through its message loop,
// once per keepalive), and the magic character 'V' written before the
// close on a clean stop, so that the driver disarms instead of rebooting.
// A hung hbd stops writing and the kernel reboots the machine after the
// timeout.

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Watchdog is an open watchdog device.
//
// Concurrency: Tickle is called from the engine loop only; Close once,
// after the loop has returned.
type Watchdog struct {
	f    *os.File
	path string
}

// WatchdogTimeout is the timeout Heartbeat gives the device: deadtime +
// 10 ms, in whole seconds rounded up (hb_init_watchdog_interval).
func WatchdogTimeout(deadtime time.Duration) int {
	ms := deadtime.Milliseconds() + 10
	return int((ms + 999) / 1000)
}

// OpenWatchdog opens the device and sets its timeout. A failed
// WDIOC_SETTIMEOUT is returned as warn (Heartbeat logs it and goes on).
func OpenWatchdog(path string, deadtime time.Duration) (w *Watchdog, warn error, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening watchdog device: %w", err)
	}
	secs := WatchdogTimeout(deadtime)
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, secs); err != nil {
		warn = fmt.Errorf("WDIOC_SETTIMEOUT: failed to set watchdog timer to %d seconds: %w", secs, err)
	}
	w = &Watchdog{f: f, path: path}
	if err := w.Tickle(); err != nil {
		f.Close()
		return nil, nil, err
	}
	return w, warn, nil
}

// Timeout reads the device's timeout in seconds (WDIOC_GETTIMEOUT).
func (w *Watchdog) Timeout() (int, error) {
	n, err := unix.IoctlGetInt(int(w.f.Fd()), unix.WDIOC_GETTIMEOUT)
	if err != nil {
		return 0, fmt.Errorf("reading the timeout of watchdog %s: %w", w.path, err)
	}
	return n, nil
}

// Path returns the device path.
func (w *Watchdog) Path() string { return w.path }

// Tickle keeps the device from firing: one byte, as hb_tickle_watchdog.
func (w *Watchdog) Tickle() error {
	if _, err := w.f.Write([]byte{0}); err != nil {
		return fmt.Errorf("writing to watchdog %s: %w", w.path, err)
	}
	return nil
}

// Close writes the magic 'V' and closes the device: the driver disarms
// (unless built with nowayout).
func (w *Watchdog) Close() error {
	_, werr := w.f.Write([]byte{'V'})
	cerr := w.f.Close()
	if werr != nil {
		return fmt.Errorf("writing the magic character to watchdog %s: %w", w.path, werr)
	}
	return cerr
}
