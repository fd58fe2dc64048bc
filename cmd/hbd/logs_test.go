package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// TestLogReloadSwitchesDestinations: a SIGHUP reload of ha.cf moves the
// engine's logger (derived with With before the reload) to the new
// logfile, and debug raises the level, without a restart.
func TestLogReloadSwitchesDestinations(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.log"), filepath.Join(dir, "second.log")
	parse := func(extra string) *hacf.Config {
		t.Helper()
		cf, _, err := hacf.ParseHaCf("ha.cf", []byte("bcast lo\nnode node1 node2\n"+extra))
		if err != nil {
			t.Fatal(err)
		}
		return cf
	}
	a := &app{}
	logs, err := a.newLogState(parse("logfile " + first + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.close()
	engine := logs.logger.With("component", "heartbeat")
	engine.Info("before the reload")
	engine.Debug("debug before the reload")
	if err := logs.apply(parse("logfile " + first + "\n")); err != nil {
		t.Fatalf("unchanged apply: %v", err)
	}
	if err := logs.apply(parse("logfile " + second + "\ndebug 1\n")); err != nil {
		t.Fatal(err)
	}
	engine.Info("after the reload")
	engine.Debug("debug after the reload")
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return string(b)
	}
	for _, tc := range []struct {
		file, line string
		want       bool
	}{
		{first, "before the reload", true},
		{first, "debug before the reload", false},
		{first, "after the reload", false},
		{second, "before the reload", false},
		{second, "after the reload", true},
		{second, "debug after the reload", true},
	} {
		got := read(tc.file)
		if strings.Contains(got, tc.line) != tc.want {
			t.Errorf("%s holds %q: %t, want %t\n%s", filepath.Base(tc.file), tc.line, !tc.want, tc.want, got)
		}
	}
	if !strings.Contains(read(second), "component=heartbeat") {
		t.Errorf("the engine's attributes were lost:\n%s", read(second))
	}
}
