//go:build vm

package hbd

import (
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// nsSysctls is resources.ProcSysctls run on a thread inside ns.
type nsSysctls struct{ ns *vmnet.NS }

func (s nsSysctls) Set(name, value string) (prev string, err error) {
	if derr := s.ns.Do(func() error { prev, err = resources.ProcSysctls{}.Set(name, value); return nil }); derr != nil {
		return "", derr
	}
	return prev, err
}

func (s nsSysctls) get(t *testing.T, name string) string {
	t.Helper()
	var b []byte
	if err := s.ns.Do(func() (err error) {
		b, err = os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// TestLVSSyncInVM runs the LVSSyncDaemonSwap agent against the kernel's
// sync daemons and sysctls in a fresh network namespace (its own IPVS):
// backup after Prepare, master after Start, backup after Stop, nothing
// after Retire, and the sysctls written and restored.
func TestLVSSyncInVM(t *testing.T) {
	a, b := vmnet.NewNS(t, "sync-a"), vmnet.NewNS(t, "sync-b")
	vmnet.Veth(t, a, "eth1", netip.MustParsePrefix("192.0.2.1/24"), b, "eth1", netip.MustParsePrefix("192.0.2.2/24"))
	var sd *ipvs.SyncNetlink
	if err := a.Do(func() (err error) { sd, err = ipvs.OpenSyncNetlink(); return err }); err != nil {
		t.Fatal(err)
	}
	defer sd.Close()
	sys := nsSysctls{a}
	spec, err := resources.ParseSyncSpec([]string{"master", "eth1", "9", "settle=200ms"})
	if err != nil {
		t.Fatal(err)
	}
	agent := resources.NewLVSSync(resources.LVSSyncConfig{Spec: spec, Daemons: sd, Sysctls: sys, BackupDelay: 300 * time.Millisecond})
	ctx := t.Context()
	want := func(when string, running ...string) {
		t.Helper()
		ds, err := sd.Daemons()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			if d.Interface != "eth1" || d.SyncID != 9 {
				t.Errorf("%s: kernel daemon %s, want mcast=eth1 syncid=9", when, d)
			}
			got = append(got, d.State.String())
		}
		slices.Sort(got)
		if !slices.Equal(got, running) {
			t.Errorf("%s: kernel runs %q, want %q", when, got, running)
		}
	}
	before := sys.get(t, "net.ipv4.vs.sync_threshold")
	// A killed predecessor left a master running.
	if err := sd.Start(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth1", SyncID: 9}); err != nil {
		t.Fatal(err)
	}
	if err := agent.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Prepare", "backup")
	for name, v := range map[string]string{"net.ipv4.vs.sync_refresh_period": "1", "net.ipv4.vs.backup_only": "1", "net.ipv4.vs.sync_threshold": "3 0"} {
		if got := sys.get(t, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if err := agent.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Start", "master")
	if st, err := agent.Status(ctx); err != nil || st != resources.StatusRunning {
		t.Errorf("Status after Start = %v, %v", st, err)
	}
	if d := agent.Describe(ctx); !strings.HasPrefix(d, "master sync daemon (mcast=eth1, syncid=9") {
		t.Errorf("Describe = %q", d)
	}
	if err := agent.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	want("right after Stop (backup_only: the backup waits for the peer to hold the VIP)")
	time.Sleep(time.Second)
	want("a second after Stop", "backup")
	if err := agent.Retire(ctx); err != nil {
		t.Fatal(err)
	}
	want("after Retire")
	if got := sys.get(t, "net.ipv4.vs.sync_threshold"); got != before {
		t.Errorf("sync_threshold = %q after Retire, want %q back", got, before)
	}
	if got := sys.get(t, "net.ipv4.vs.backup_only"); got != "0" {
		t.Errorf("backup_only = %q after Retire, want 0 back", got)
	}
}
