//go:build vm

package resources_test

import (
	"slices"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// TestLVSSyncInVM runs the LVSSyncDaemonSwap agent against the kernel's
// sync daemons and sysctls in a fresh network namespace (its own IPVS):
// backup after Prepare, master after Start, backup after Stop, nothing
// after Retire, and the sysctls written and restored.
func TestLVSSyncInVM(t *testing.T) {
	lab := newLabNS(t)
	var sd *ipvs.SyncNetlink
	var err error
	lab.inNS(t, func() { sd, err = ipvs.OpenSyncNetlink() })
	if err != nil {
		t.Fatal(err)
	}
	defer sd.Close()
	sys := &nsSysctls{lab: lab, t: t}
	spec, err := resources.ParseSyncSpec([]string{"master", "um0", "9", "settle=200ms"})
	if err != nil {
		t.Fatal(err)
	}
	a := resources.NewLVSSync(resources.LVSSyncConfig{Spec: spec, Daemons: sd, Sysctls: sys, Logger: newLogger(&logBuf{})})
	ctx := t.Context()
	states := func() []string {
		ds, err := sd.Daemons()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			if d.Interface != "um0" || d.SyncID != 9 {
				t.Errorf("kernel daemon %s, want mcast=um0 syncid=9", d)
			}
			out = append(out, d.State.String())
		}
		slices.Sort(out)
		return out
	}
	want := func(when string, running ...string) {
		t.Helper()
		if got := states(); !slices.Equal(got, running) {
			t.Errorf("%s: kernel runs %q, want %q", when, got, running)
		}
	}
	before := sys.get("net.ipv4.vs.sync_threshold")
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Prepare", "backup")
	for name, v := range map[string]string{"net.ipv4.vs.sync_refresh_period": "1", "net.ipv4.vs.backup_only": "1"} {
		if got := sys.get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if got := sys.get("net.ipv4.vs.sync_threshold"); got != "3\t0" && got != "3 0" {
		t.Errorf("sync_threshold = %q, want 3 0", got)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Start", "master")
	if st, err := a.Status(ctx); err != nil || st != resources.StatusRunning {
		t.Errorf("Status after Start = %v, %v", st, err)
	}
	t.Logf("Describe: %s", a.Describe(ctx))
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Stop", "backup")
	if err := a.Retire(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Retire")
	if got := sys.get("net.ipv4.vs.sync_threshold"); got != before {
		t.Errorf("sync_threshold = %q after Retire, want %q back", got, before)
	}
}
