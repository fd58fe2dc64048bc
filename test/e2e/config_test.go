package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// TestConfigAcceptedByParsers feeds the files the scenario writes to the
// parsers hbd and ldirectord use, and checks what they read back.
func TestConfigAcceptedByParsers(t *testing.T) {
	for i, node := range NodeNames {
		t.Run("ha.cf "+node, func(t *testing.T) {
			cf, warns, err := hacf.ParseHaCf("ha.cf", []byte(HaCf(i, DefaultTimers)))
			if err != nil {
				t.Fatal(err)
			}
			// Heartbeat's own advice for initdead below 10 s is the one
			// warning the short timers may draw.
			for _, w := range warns {
				if !strings.HasPrefix(w.Msg, "initdead") {
					t.Errorf("unexpected warning: %v", w)
				}
			}
			var nodes []string
			for _, n := range cf.Nodes {
				nodes = append(nodes, n.Name)
			}
			got := []any{cf.Keepalive, cf.Deadtime, cf.Initdead, len(cf.Ucast), nodes}
			want := []any{200 * time.Millisecond, time.Second, 2 * time.Second, 2, NodeNames[:]}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keepalive, deadtime, initdead, ucasts, nodes (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("authkeys", func(t *testing.T) {
		if _, err := hacf.ParseAuthKeys("authkeys", []byte(AuthKeys)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("haresources", func(t *testing.T) {
		groups, err := resources.ParseHaresources("haresources", []byte(HaResources()))
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 {
			t.Fatalf("got %d groups, want 1", len(groups))
		}
		var got []string
		for _, r := range groups[0].Resources {
			got = append(got, r.Name+"::"+strings.Join(r.Args, "::"))
		}
		want := []string{"ldirectord::ldirectord.cf", "IPaddr::203.0.113.10/24/eth0", "IPaddr::192.0.2.240/24/eth1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
		if groups[0].Node != "test1.com" {
			t.Errorf("preferred node %q, want test1.com", groups[0].Node)
		}
	})
	for _, n := range []int{3, 4} {
		t.Run("ldirectord.cf with reals "+string(rune('0'+n)), func(t *testing.T) {
			cfg, err := ldcf.Parse("ldirectord.cf", []byte(LdirectordCf(n, DefaultTimers)), ldcf.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Virtuals) != 1 {
				t.Fatalf("got %d virtuals, want 1", len(cfg.Virtuals))
			}
			v := cfg.Virtuals[0]
			got := []any{len(v.Reals), v.Scheduler, cfg.Global.CheckInterval, cfg.Global.CheckTimeout, cfg.Global.AutoReload}
			want := []any{n, "wrr", time.Second, time.Second, true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("reals, scheduler, checkinterval, checktimeout, autoreload (-want +got):\n%s", diff)
			}
		})
	}
}

// TestModeConfigs: the sync and S2 configurations parse, with the
// resources and reals the scenarios rely on.
func TestModeConfigs(t *testing.T) {
	for _, tt := range []struct {
		mode Mode
		want []string
	}{
		{ModeStock, []string{"ldirectord::ldirectord.cf", "IPaddr::203.0.113.10/24/eth0", "IPaddr::192.0.2.240/24/eth1"}},
		{ModeSync, []string{"LVSSyncDaemonSwap::master", "IPaddr::203.0.113.10/24/eth0", "IPaddr::192.0.2.240/24/eth1"}},
		{ModeColocatedDR, []string{"LVSSyncDaemonSwap::master", "IPaddrDR::203.0.113.10/24/eth0"}},
	} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			groups, err := resources.ParseHaresources("haresources", []byte(tt.mode.HaResources()))
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 || groups[0].Node != "test1.com" {
				t.Fatalf("groups %+v, want one preferring test1.com", groups)
			}
			var got []string
			for _, r := range groups[0].Resources {
				got = append(got, r.Name+"::"+strings.Join(r.Args, "::"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
			if tt.mode.WarmStandby() == (tt.mode == ModeStock) {
				t.Errorf("WarmStandby() = %v", tt.mode.WarmStandby())
			}
		})
	}
	cfg, err := ldcf.Parse("ldirectord.cf", []byte(ModeColocatedDR.LdirectordCf(0, DefaultTimers)), ldcf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Virtuals[0]
	var reals []string
	for _, r := range v.Reals {
		if r.Forward != ldcf.Gate {
			t.Errorf("S2 real %s: forward %v, want gate (DR)", r.Addr, r.Forward)
		}
		reals = append(reals, r.Addr.String())
	}
	if diff := cmp.Diff([]string{"203.0.113.2:80", "203.0.113.3:80"}, reals); diff != "" {
		t.Errorf("S2 reals (-want +got):\n%s", diff)
	}
	if v.Scheduler != "rr" {
		t.Errorf("S2 scheduler %q, want rr (requests alternate)", v.Scheduler)
	}
}
