package resources_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

func TestMonitor(t *testing.T) {
	const line = "n1 vip ldirectord httpd"
	tests := []struct {
		name      string
		budget    int
		setup     func(as restest.Agents)
		wantCalls []string // after the Acquire
		wantSteps []string
		wantGave  string
		wantLogs  []string
		noLogs    []string
	}{
		{
			name: "all running: status only", budget: 5,
			wantCalls: []string{"vip status", "ldirectord status"},
		},
		{
			name: "a dead built-in resource is started again", budget: 5,
			setup:     func(as restest.Agents) { as["ldirectord"].SetRunning(false) },
			wantCalls: []string{"vip status", "ldirectord status", "ldirectord start"},
			wantSteps: []string{"start ldirectord"},
			wantLogs:  []string{`msg="ldirectord is not running: restarting it"`},
		},
		{
			name: "a failed restart is reported", budget: 5,
			setup: func(as restest.Agents) {
				as["vip"].SetRunning(false)
				as["vip"].SetStartErr(restest.ErrFake)
			},
			wantCalls: []string{"vip status", "vip start", "ldirectord status"},
			wantSteps: []string{"start vip !"},
			wantLogs:  []string{"vip is not running: restarting it", "restart of vip failed: injected failure"},
		},
		{
			name: "a status error counts as stopped", budget: 5,
			setup:     func(as restest.Agents) { as["vip"].StatusErr = restest.ErrFake },
			wantCalls: []string{"vip status", "vip start", "ldirectord status"},
			wantSteps: []string{"start vip"},
		},
		{
			name: "no budget left: given up, nothing started", budget: 0,
			setup: func(as restest.Agents) {
				as["vip"].SetRunning(false)
				as["ldirectord"].SetRunning(false)
			},
			wantCalls: []string{"vip status"},
			wantGave:  "vip",
			noLogs:    []string{"restarting"},
		},
		{
			name: "budget of one: the second dead resource is given up", budget: 1,
			setup: func(as restest.Agents) {
				as["vip"].SetRunning(false)
				as["ldirectord"].SetRunning(false)
			},
			wantCalls: []string{"vip status", "vip start", "ldirectord status"},
			wantSteps: []string{"start vip"},
			wantGave:  "ldirectord",
		},
		{
			name: "a dead script is not looked at", budget: 5,
			setup:     func(as restest.Agents) { as["httpd"].SetRunning(false) },
			wantCalls: []string{"vip status", "ldirectord status"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &restest.Log{}
			as := fakes(log, "vip", "ldirectord", "httpd")
			as["vip"].Monitor, as["ldirectord"].Monitor = true, true
			var buf logBuf
			m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&buf)}, as.Resolve)
			g := group(t, line)
			if res := m.Acquire(context.Background(), g); !res.OK {
				t.Fatalf("acquire: %s", res.Reason)
			}
			if tc.setup != nil {
				tc.setup(as)
			}
			before := len(log.Calls())
			res := m.Monitor(context.Background(), g, tc.budget)
			if diff := cmp.Diff(tc.wantCalls, log.Calls()[before:]); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSteps, steps(resources.Result{Steps: res.Restarted})); diff != "" {
				t.Errorf("restarted (-want +got):\n%s", diff)
			}
			gave := ""
			if res.GaveUp != nil {
				gave = res.GaveUp.Raw
			}
			if gave != tc.wantGave || res.Group != g.Key() {
				t.Errorf("gave up %q in group %q, want %q in %q", gave, res.Group, tc.wantGave, g.Key())
			}
			for _, l := range tc.wantLogs {
				if !strings.Contains(buf.String(), l) {
					t.Errorf("log lacks %q:\n%s", l, buf.String())
				}
			}
			for _, l := range tc.noLogs {
				if strings.Contains(buf.String(), l) {
					t.Errorf("log has %q:\n%s", l, buf.String())
				}
			}
		})
	}
}

func TestMonitorSkipsResourcesNeverStarted(t *testing.T) {
	log := &restest.Log{}
	as := fakes(log, "vip")
	as["vip"].Monitor = true
	m := resources.NewManager(resources.ManagerConfig{}, as.Resolve)
	res := m.Monitor(context.Background(), group(t, "n1 vip"), 5)
	if len(log.Calls()) != 0 || len(res.Restarted) != 0 || res.GaveUp != nil {
		t.Errorf("monitor of a group never acquired here: calls %q, result %+v", log.Calls(), res)
	}
}
