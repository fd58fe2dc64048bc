package resources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

// group parses a one-line haresources.
func group(t *testing.T, line string) resources.Group {
	t.Helper()
	gs, err := resources.ParseHaresources("haresources", []byte(line+"\n"))
	if err != nil || len(gs) != 1 {
		t.Fatalf("parse %q: %v %v", line, gs, err)
	}
	return gs[0]
}

// fakes makes one recording agent per name, sharing log.
func fakes(log *restest.Log, names ...string) restest.Agents {
	as := restest.Agents{}
	for _, n := range names {
		as[n] = &restest.Agent{Name: n, Log: log}
	}
	return as
}

// steps renders Result.Steps compactly: "start a", "skip b", "stop c x3 !".
func steps(r resources.Result) []string {
	var out []string
	for _, s := range r.Steps {
		e := fmt.Sprintf("%s %s", s.Action, s.Resource.Raw)
		if s.Attempts > 1 {
			e += fmt.Sprintf(" x%d", s.Attempts)
		}
		if s.Err != nil {
			e += " !"
		}
		out = append(out, e)
	}
	return out
}

func raws(rs []resources.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Raw)
	}
	return out
}

type logBuf struct{ bytes.Buffer }

func newLogger(b *logBuf) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestAcquire(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		setup     func(as restest.Agents)
		wantCalls []string
		wantSteps []string
		wantOK    bool
		wantFail  string
		wantStuck []string
		wantLogs  []string
		reason    string
	}{
		{
			name:      "all start left to right",
			line:      "n1 a b c",
			wantCalls: []string{"a status", "a start", "b status", "b start", "c status", "c start"},
			wantSteps: []string{"start a", "start b", "start c"},
			wantOK:    true,
			reason:    "resource group acquired",
			wantLogs:  []string{`msg="Acquiring resource group: n1 a b c"`},
		},
		{
			name:      "already running is skipped (we_own_resource || start)",
			line:      "n1 a b",
			setup:     func(as restest.Agents) { as["a"].Running = true },
			wantCalls: []string{"a status", "b status", "b start"},
			wantSteps: []string{"skip a", "start b"},
			wantOK:    true,
			reason:    "resource group acquired",
		},
		{
			name:      "status error counts as not running",
			line:      "n1 a",
			setup:     func(as restest.Agents) { as["a"].StatusErr = restest.ErrFake },
			wantCalls: []string{"a status", "a start"},
			wantSteps: []string{"start a"},
			wantOK:    true,
			reason:    "resource group acquired",
		},
		{
			name:      "middle failure rolls back what was reached, right to left",
			line:      "n1 a b c d",
			setup:     func(as restest.Agents) { as["c"].StartErr = restest.ErrFake },
			wantCalls: []string{"a status", "a start", "b status", "b start", "c status", "c start", "c stop", "b stop", "a stop"},
			wantSteps: []string{"start a", "start b", "start c !", "stop c", "stop b", "stop a"},
			wantFail:  "c",
			reason:    "giving up resources due to failure of c: injected failure",
			wantLogs: []string{
				`level=ERROR msg="Giving up resources due to failure of c"`,
				`msg="Releasing resource group: n1 a b c"`,
			},
		},
		{
			name:      "first resource fails",
			line:      "n1 a b",
			setup:     func(as restest.Agents) { as["a"].StartErr = restest.ErrFake },
			wantCalls: []string{"a status", "a start", "a stop"},
			wantSteps: []string{"start a !", "stop a"},
			wantFail:  "a",
			reason:    "giving up resources due to failure of a: injected failure",
		},
		{
			name:      "skipped resource is stopped on rollback too",
			line:      "n1 a b",
			setup:     func(as restest.Agents) { as["a"].Running = true; as["b"].StartErr = restest.ErrFake },
			wantCalls: []string{"a status", "b status", "b start", "b stop", "a stop"},
			wantSteps: []string{"skip a", "start b !", "stop b", "stop a"},
			wantFail:  "b",
			reason:    "giving up resources due to failure of b: injected failure",
		},
		{
			name:      "missing script fails the start and rolls back",
			line:      "n1 a nosuch b",
			wantCalls: []string{"a status", "a start", "a stop"},
			wantSteps: []string{"start a", "start nosuch !", "stop nosuch !", "stop a"},
			wantFail:  "nosuch",
			reason:    "giving up resources due to failure of nosuch: resolving nosuch: cannot locate resource script nosuch",
			wantLogs:  []string{`msg="Cannot locate resource script nosuch"`, `msg="Resource script for nosuch probably not LSB-compliant."`},
		},
		{
			name: "rollback stop that keeps failing while running is stuck",
			line: "n1 a b",
			setup: func(as restest.Agents) {
				as["a"].StopErrAlways = restest.ErrFake
				as["b"].StartErr = restest.ErrFake
			},
			wantCalls: []string{"a status", "a start", "b status", "b start", "b stop", "a stop", "a stop", "a stop", "a status"},
			wantSteps: []string{"start a", "start b !", "stop b", "stop a x3 !"},
			wantFail:  "b",
			wantStuck: []string{"a"},
			reason:    "giving up resources due to failure of b: injected failure; rollback: resource stop failed and it is still running: a",
			wantLogs:  []string{`level=ERROR msg="Resource STOP failure. Reboot required!"`, `msg="Retrying failed stop operation [a]"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &restest.Log{}
				as := fakes(log, "a", "b", "c", "d")
				if tc.setup != nil {
					tc.setup(as)
				}
				var lb logBuf
				m := resources.NewManager(resources.ManagerConfig{StopRetries: 2, Logger: newLogger(&lb)}, as.Resolve)
				r := m.Acquire(t.Context(), group(t, tc.line))
				if diff := cmp.Diff(tc.wantCalls, log.Calls()); diff != "" {
					t.Errorf("agent calls (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantSteps, steps(r)); diff != "" {
					t.Errorf("steps (-want +got):\n%s", diff)
				}
				if r.OK != (tc.wantFail == "") || r.OK != tc.wantOK {
					t.Errorf("OK = %v, want %v", r.OK, tc.wantOK)
				}
				gotFail := ""
				if r.Failed != nil {
					gotFail = r.Failed.Raw
				}
				if gotFail != tc.wantFail {
					t.Errorf("Failed = %q, want %q", gotFail, tc.wantFail)
				}
				if diff := cmp.Diff(tc.wantStuck, raws(r.StuckRunning)); diff != "" {
					t.Errorf("StuckRunning (-want +got):\n%s", diff)
				}
				if r.Reason != tc.reason {
					t.Errorf("Reason = %q, want %q", r.Reason, tc.reason)
				}
				for _, l := range tc.wantLogs {
					if !strings.Contains(lb.String(), l) {
						t.Errorf("log lacks %q:\n%s", l, lb.String())
					}
				}
			})
		})
	}
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name      string
		retries   int
		setup     func(as restest.Agents) // runs after every agent is set running
		wantCalls []string
		wantSteps []string
		wantStuck []string
		wantWait  time.Duration // virtual time spent in retry pauses
		wantLogs  []string
	}{
		{
			name:      "right to left",
			wantCalls: []string{"c stop", "b stop", "a stop"},
			wantSteps: []string{"stop c", "stop b", "stop a"},
			wantLogs:  []string{`msg="Releasing resource group: n1 a b c"`},
		},
		{
			name:      "failed stop retried one second apart until it succeeds",
			setup:     func(as restest.Agents) { as["b"].StopErrs = []error{restest.ErrFake, restest.ErrFake} },
			wantCalls: []string{"c stop", "b stop", "b stop", "b stop", "a stop"},
			wantSteps: []string{"stop c", "stop b x3", "stop a"},
			wantWait:  2 * time.Second,
			wantLogs:  []string{`level=INFO msg="Retrying failed stop operation [b]"`},
		},
		{
			name: "stop keeps failing but status says stopped: warning only",
			setup: func(as restest.Agents) {
				as["b"].Running = false
				as["b"].StopErrAlways = restest.ErrFake
			},
			wantCalls: append(append([]string{"c stop"}, repeat("b stop", 11)...), "b status", "a stop"),
			wantSteps: []string{"stop c", "stop b x11 !", "stop a"},
			wantWait:  10 * time.Second,
			wantLogs: []string{
				`level=ERROR msg="Resource script for b probably not LSB-compliant."`,
				`level=WARN msg="it (b) MUST succeed on a stop when already stopped"`,
				`level=WARN msg="Machine reboot narrowly avoided!"`,
			},
		},
		{
			name: "stop keeps failing and status says running: stuck, the rest still stopped",
			setup: func(as restest.Agents) {
				as["b"].Running = true
				as["b"].StopErrAlways = restest.ErrFake
			},
			wantCalls: append(append([]string{"c stop"}, repeat("b stop", 11)...), "b status", "a stop"),
			wantSteps: []string{"stop c", "stop b x11 !", "stop a"},
			wantStuck: []string{"b"},
			wantWait:  10 * time.Second,
			wantLogs:  []string{`level=ERROR msg="Resource STOP failure. Reboot required!"`},
		},
		{
			name:      "negative retries: one attempt",
			retries:   -1,
			setup:     func(as restest.Agents) { as["c"].StopErrAlways = restest.ErrFake },
			wantCalls: []string{"c stop", "c status", "b stop", "a stop"},
			wantSteps: []string{"stop c !", "stop b", "stop a"},
			wantStuck: []string{"c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &restest.Log{}
				as := fakes(log, "a", "b", "c")
				for _, a := range as {
					a.Running = true
				}
				if tc.setup != nil {
					tc.setup(as)
				}
				var lb logBuf
				m := resources.NewManager(resources.ManagerConfig{StopRetries: tc.retries, Logger: newLogger(&lb)}, as.Resolve)
				start := time.Now()
				r := m.Release(t.Context(), group(t, "n1 a b c"))
				if waited := time.Since(start); waited != tc.wantWait {
					t.Errorf("virtual time spent = %v, want %v", waited, tc.wantWait)
				}
				if diff := cmp.Diff(tc.wantCalls, log.Calls()); diff != "" {
					t.Errorf("agent calls (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantSteps, steps(r)); diff != "" {
					t.Errorf("steps (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantStuck, raws(r.StuckRunning)); diff != "" {
					t.Errorf("StuckRunning (-want +got):\n%s", diff)
				}
				if r.OK != (len(tc.wantStuck) == 0) {
					t.Errorf("OK = %v with stuck %v", r.OK, tc.wantStuck)
				}
				for _, l := range tc.wantLogs {
					if !strings.Contains(lb.String(), l) {
						t.Errorf("log lacks %q:\n%s", l, lb.String())
					}
				}
			})
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestReleaseCancelledDuringRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &restest.Log{}
		as := fakes(log, "a", "b")
		as["b"].StopErrAlways = restest.ErrFake
		ctx, cancel := context.WithCancel(t.Context())
		m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{})}, as.Resolve)
		done := make(chan resources.Result)
		go func() { done <- m.Release(ctx, group(t, "n1 a b")) }()
		time.Sleep(1500 * time.Millisecond) // virtual: after the first retry
		cancel()
		r := <-done
		if diff := cmp.Diff([]string{"stop b x2 !", "stop a"}, steps(r)); diff != "" {
			t.Errorf("steps (-want +got):\n%s", diff)
		}
		if !errors.Is(r.Steps[0].Err, restest.ErrFake) {
			t.Errorf("step error = %v", r.Steps[0].Err)
		}
	})
}

func TestAcquireRollbackOutlivesCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &restest.Log{}
		as := fakes(log, "a", "b")
		as["a"].StopErrs = []error{restest.ErrFake}
		as["b"].StartErr = context.Canceled
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{})}, as.Resolve)
		r := m.Acquire(ctx, group(t, "n1 a b"))
		if diff := cmp.Diff([]string{"start a", "start b !", "stop b", "stop a x2"}, steps(r)); diff != "" {
			t.Errorf("steps (-want +got):\n%s", diff)
		}
		if r.OK || as["a"].IsRunning() {
			t.Errorf("OK = %v, a running = %v; want the group given up and a stopped", r.OK, as["a"].IsRunning())
		}
	})
}

func TestAgentsAreResolvedOnceAndShared(t *testing.T) {
	log := &restest.Log{}
	as := fakes(log, "a")
	n := 0
	resolve := func(r resources.Resource) (resources.Agent, error) { n++; return as.Resolve(r) }
	m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{})}, resolve)
	g := group(t, "n1 a")
	m.Acquire(t.Context(), g)
	m.Release(t.Context(), g)
	m.Acquire(t.Context(), g)
	if n != 1 {
		t.Errorf("resolved %d times, want 1", n)
	}
}

func TestGroupStatus(t *testing.T) {
	tests := []struct {
		name    string
		running []string
		want    resources.GroupStatus
	}{
		{"none", nil, resources.GroupNone},
		{"some", []string{"b"}, resources.GroupSome},
		{"all", []string{"a", "b", "c"}, resources.GroupAll},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			as := fakes(&restest.Log{}, "a", "b", "c")
			for _, n := range tc.running {
				as[n].Running = true
			}
			m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{})}, as.Resolve)
			if got := m.GroupStatus(t.Context(), group(t, "n1 a b c")); got != tc.want {
				t.Errorf("GroupStatus = %s, want %s", got, tc.want)
			}
		})
	}
}
