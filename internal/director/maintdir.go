package director

// This file touches the maintenance directory and DNS: it lists
// maintenancedir and resolves the reals' names for maintenance.go.

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Bounds of the maintenance watcher. ldirectord looked for the files
// before every check of every real, with a reverse DNS lookup each time;
// we list the directory once per MaintenancePoll whatever the number of
// reals, and resolve each real's address at most once per configuration,
// and only while a file is not named after an address.
const (
	defaultMaintenancePoll = time.Second
	reverseLookupTimeout   = 2 * time.Second
)

// readMaintenanceDir returns the names in dir; a missing directory is
// empty (ldirectord warns at start and tests each file with -e).
func readMaintenanceDir(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, err
	}
	files := make(map[string]bool, len(entries))
	for _, e := range entries {
		files[e.Name()] = true
	}
	return files, nil
}

// maintenanceWatcher polls one maintenance directory on a goroutine of
// its own and sends the view on C whenever it changes (only the latest
// view is kept: the engine never lags behind by more than one).
type maintenanceWatcher struct {
	dir    string
	addrs  []netip.Addr
	poll   time.Duration
	lookup func(ctx context.Context, addr string) ([]string, error)
	log    *slog.Logger
	out    chan maintenanceView
	stopFn context.CancelFunc
	done   chan struct{}
}

// startMaintenanceWatcher watches dir for the reals at addrs until stop.
func startMaintenanceWatcher(ctx context.Context, c Config, dir string, addrs []netip.Addr) *maintenanceWatcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &maintenanceWatcher{
		dir: dir, addrs: addrs, poll: c.MaintenancePoll, lookup: c.LookupAddr, log: c.Logger,
		out: make(chan maintenanceView, 1), stopFn: cancel, done: make(chan struct{}),
	}
	go w.run(ctx)
	return w
}

// C is the channel of views; nil (never ready) for a nil watcher.
func (w *maintenanceWatcher) C() <-chan maintenanceView {
	if w == nil {
		return nil
	}
	return w.out
}

// stop ends the watcher and waits for it. A nil watcher is a no-op.
func (w *maintenanceWatcher) stop() {
	if w == nil {
		return
	}
	w.stopFn()
	<-w.done
}

func (w *maintenanceWatcher) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(w.poll)
	defer tick.Stop()
	names := map[netip.Addr]string{}
	resolved := map[netip.Addr]bool{}
	var last maintenanceView
	lastErr, first := "", true
	for {
		files, err := readMaintenanceDir(w.dir)
		if msg := errString(err); msg != lastErr {
			if err != nil {
				w.log.Error("cannot read the maintenance directory", "dir", w.dir, "err", err)
			}
			lastErr = msg
		}
		view := maintenanceView{Files: files}
		if view.needsNames() {
			for _, a := range w.addrs {
				if ctx.Err() != nil {
					return
				}
				if !resolved[a] {
					resolved[a], names[a] = true, w.reverseName(ctx, a)
				}
			}
			view.Names = maps.Clone(names)
		}
		if first || !view.equal(last) {
			select { // keep only the latest view
			case <-w.out:
			default:
			}
			w.out <- view
			last, first = view, false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// reverseName is ld_gethostbyaddr: the first name of a's PTR records,
// without the final dot, or "".
func (w *maintenanceWatcher) reverseName(ctx context.Context, a netip.Addr) string {
	ctx, cancel := context.WithTimeout(ctx, reverseLookupTimeout)
	defer cancel()
	names, err := w.lookup(ctx, a.Unmap().String())
	if err != nil || len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[0], ".")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
