package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailingParts is issue 17 §3 for ldirectord: a log file that cannot
// be opened and a pid-file directory that is missing refuse the start
// with exit 1 and a message naming the path and the error (ldirectord
// 4.12 died on both), leave no pid file and touch no IPVS table. (A log
// write that fails while running is dropped by the handler: logging never
// stops the daemon; hbd's lab test fills its log file system.)
func TestFailingParts(t *testing.T) {
	const vs = "virtual=10.1.1.10:80\n\treal=192.168.2.236:80 masq\n\tchecktype=on\n"
	t.Run("log file unwritable", func(t *testing.T) {
		h := newHarness(t, "logfile=\"/dev/null/ldirectord.log\"\n"+vs)
		d := h.deps(os.Getpid(), make(chan os.Signal))
		d.LogHandler = nil // the configured log file, really opened
		var out, errb syncBuffer
		code := run([]string{"--rundir", h.rundir, "--foreground", "start"}, &out, &errb, d)
		if code != exitInit {
			t.Errorf("start = %d, want %d", code, exitInit)
		}
		t.Logf("unwritable log file: exit %d, stderr %q", code, errb.String())
		if msg := errb.String(); !strings.Contains(msg, "/dev/null/ldirectord.log") || !strings.Contains(msg, "not a directory") {
			t.Errorf("stderr does not name the log file and the error: %q", msg)
		}
		if ops := h.kernel.Ops(); len(ops) > 0 {
			t.Errorf("IPVS touched before the refusal: %v", ops)
		}
		assertNoPidFile(t, h.rundir)
	})
	t.Run("pid-file dir missing", func(t *testing.T) {
		h := newHarness(t, vs)
		missing := filepath.Join(h.rundir, "gone")
		d := h.deps(os.Getpid(), make(chan os.Signal))
		var out, errb syncBuffer
		code := run([]string{"--rundir", missing, "--foreground", "start"}, &out, &errb, d)
		if code != exitInit {
			t.Errorf("start = %d, want %d", code, exitInit)
		}
		log := h.logs.String()
		t.Logf("missing pid-file dir: exit %d; log:\n%s", code, log)
		if !strings.Contains(log, "pid file") || !strings.Contains(log, "no such file or directory") {
			t.Errorf("the log does not say the pid file cannot be written:\n%s", log)
		}
		if !strings.Contains(log, "Exiting with exit_status 1: Initialisation Error") {
			t.Errorf("no exit line in the log:\n%s", log)
		}
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v, want it still missing", missing, err)
		}
	})
}

func assertNoPidFile(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".pid") {
			t.Errorf("pid file %s written by a refused start", e.Name())
		}
	}
}
