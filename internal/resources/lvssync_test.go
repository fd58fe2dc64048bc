package resources_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// newFakeSync is a namespace with no sync daemon and the sysctls
// LVSSyncDaemonSwap writes, at the kernel's defaults.
func newFakeSync() *ipvstest.SyncDaemons {
	return ipvstest.NewSyncDaemons(map[string]string{"net.ipv4.vs.sync_refresh_period": "0", "net.ipv4.vs.sync_threshold": "3\t50", "net.ipv4.vs.backup_only": "0"})
}

var (
	_ resources.SyncDaemons = (*ipvstest.SyncDaemons)(nil)
	_ resources.Sysctls     = (*ipvstest.SyncDaemons)(nil)
)

func newLVSSync(t *testing.T, f *ipvstest.SyncDaemons, args ...string) (*resources.LVSSync, *[]time.Duration) {
	t.Helper()
	spec, err := resources.ParseSyncSpec(append([]string{"master"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	a := resources.NewLVSSync(resources.LVSSyncConfig{Spec: spec, Daemons: f, Sysctls: f, BackupDelay: testBackupDelay,
		Sleep: func(ctx context.Context, d time.Duration) bool { slept = append(slept, d); return true }})
	return a, &slept
}

// TestLVSSyncRoles walks the life of the resource on one node: prepared
// as backup at hbd start, master while the group runs, backup again after
// a release (with the flush wait), nothing after hbd stops.
func TestLVSSyncRoles(t *testing.T) {
	ctx := context.Background()
	f := newFakeSync()
	f.Put(ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "eth0", SyncID: 255}) // a killed predecessor's
	a, slept := newLVSSync(t, f)

	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.States(); !slices.Equal(got, []string{"backup"}) {
		t.Fatalf("after Prepare: %v running, want backup only", got)
	}
	if st, _ := a.Status(ctx); st != resources.StatusStopped {
		t.Errorf("after Prepare: status %v, want stopped (the master is the resource)", st)
	}
	if diff := cmp.Diff(map[string]string{"net.ipv4.vs.sync_refresh_period": "1", "net.ipv4.vs.sync_threshold": "3 0", "net.ipv4.vs.backup_only": "1"}, f.Sysctls()); diff != "" {
		t.Errorf("sysctls (-want +got):\n%s", diff)
	}

	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.States(); !slices.Equal(got, []string{"master"}) {
		t.Fatalf("after Start: %v running, want master only", got)
	}
	if st, _ := a.Status(ctx); st != resources.StatusRunning {
		t.Errorf("after Start: status %v, want running", st)
	}
	if err := a.Start(ctx); err != nil {
		t.Errorf("second Start: %v (must be idempotent)", err)
	}
	if d := a.Describe(ctx); !strings.Contains(d, "master sync daemon (mcast=eth0, syncid=255") {
		t.Errorf("Describe = %q", d)
	}

	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// backup_only: no daemon until the peer has had time to take the VIP.
	if got := f.States(); len(got) != 0 {
		t.Fatalf("right after Stop: %v running, want none until the backup delay", got)
	}
	waitStates(t, f, "backup")
	if !slices.Equal(*slept, []time.Duration{resources.SyncFlushTime}) {
		t.Errorf("Stop slept %v, want one flush wait of %v", *slept, resources.SyncFlushTime)
	}
	if err := a.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v (must be idempotent)", err)
	}
	if len(*slept) != 1 {
		t.Errorf("a Stop with no master running waited %v", *slept)
	}

	if err := a.Retire(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.States(); len(got) != 0 {
		t.Errorf("after Retire: %v running, want none", got)
	}
	if diff := cmp.Diff(map[string]string{"net.ipv4.vs.sync_refresh_period": "0", "net.ipv4.vs.sync_threshold": "3\t50", "net.ipv4.vs.backup_only": "0"}, f.Sysctls()); diff != "" {
		t.Errorf("sysctls not restored (-want +got):\n%s", diff)
	}
}

// TestLVSSyncReplacesForeignDaemon: a daemon of the right state but
// another sync id (a changed haresources, another tool) is replaced.
const testBackupDelay = 50 * time.Millisecond

// waitStates waits up to a second for the fake to run exactly want.
func waitStates(t *testing.T, f *ipvstest.SyncDaemons, want ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !slices.Equal(f.States(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("running %v, want %v", f.States(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLVSSyncStartCancelsDeferredBackup: a group taken back within the
// backup delay runs the master only, never master and backup at once
// (with backup_only that node would not forward).
func TestLVSSyncStartCancelsDeferredBackup(t *testing.T) {
	f := newFakeSync()
	a, _ := newLVSSync(t, f)
	ctx := context.Background()
	for _, step := range []func(context.Context) error{a.Prepare, a.Start, a.Stop, a.Start} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(4 * testBackupDelay)
	if got := f.States(); !slices.Equal(got, []string{"master"}) {
		t.Errorf("after Stop then Start within the backup delay: %v running, want master only", got)
	}
}

// TestLVSSyncNoBackupOnlyStartsBackupAtOnce: without backup_only there is
// nothing to wait for.
func TestLVSSyncNoBackupOnlyStartsBackupAtOnce(t *testing.T) {
	f := newFakeSync()
	a, _ := newLVSSync(t, f, "backup_only=no")
	ctx := context.Background()
	for _, step := range []func(context.Context) error{a.Prepare, a.Start, a.Stop} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.States(); !slices.Equal(got, []string{"backup"}) {
		t.Errorf("after Stop: %v running, want backup", got)
	}
}

func TestLVSSyncReplacesForeignDaemon(t *testing.T) {
	f := newFakeSync()
	f.Put(ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: "eth9", SyncID: 7})
	a, _ := newLVSSync(t, f, "eth1", "5")
	if err := a.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, _ := f.Running(ipvs.SyncBackup)
	if d.Interface != "eth1" || d.SyncID != 5 {
		t.Errorf("backup = %+v, want eth1 syncid 5", d)
	}
}

// TestLVSSyncSettleZero: settle=0 trades the connections younger than the
// flush time for a faster hand-over: no wait.
func TestLVSSyncSettleZero(t *testing.T) {
	f := newFakeSync()
	a, slept := newLVSSync(t, f, "settle=0s")
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if len(*slept) != 0 || a.HandOverDelay() != 0 {
		t.Errorf("settle=0: slept %v, hand-over delay %v; want none", *slept, a.HandOverDelay())
	}
}

func TestParseSyncSpec(t *testing.T) {
	def := resources.SyncSpec{Interface: "eth0", SyncID: 255, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1,
		Refresh: time.Second, Settle: 5 * time.Second, BackupOnly: true}
	with := func(f func(*resources.SyncSpec)) resources.SyncSpec { s := def; f(&s); return s }
	good := []struct {
		args []string
		want resources.SyncSpec
	}{
		{[]string{"master"}, def},
		{[]string{"master", "eth1"}, with(func(s *resources.SyncSpec) { s.Interface = "eth1" })},
		{[]string{"master", "eth1", "0"}, with(func(s *resources.SyncSpec) { s.Interface, s.SyncID = "eth1", 0 })},
		{[]string{"master", "syncid=7", "interface=bond0"}, with(func(s *resources.SyncSpec) { s.Interface, s.SyncID = "bond0", 7 })},
		{[]string{"master", "maxlen=1400", "group=239.1.2.3", "port=9000", "ttl=2"}, with(func(s *resources.SyncSpec) {
			s.MaxLen, s.Group, s.Port, s.TTL = 1400, netip.MustParseAddr("239.1.2.3"), 9000, 2
		})},
		{[]string{"master", "group=ff02::81"}, with(func(s *resources.SyncSpec) { s.Group = netip.MustParseAddr("ff02::81") })},
		{[]string{"master", "refresh=2"}, with(func(s *resources.SyncSpec) { s.Refresh, s.Settle = 2*time.Second, 6*time.Second })},
		{[]string{"master", "refresh=0", "settle=10s"}, with(func(s *resources.SyncSpec) { s.Refresh, s.Settle = 0, 10*time.Second })},
		{[]string{"master", "backup_only=no"}, with(func(s *resources.SyncSpec) { s.BackupOnly = false })},
	}
	for _, tc := range good {
		got, err := resources.ParseSyncSpec(tc.args)
		if err != nil {
			t.Errorf("ParseSyncSpec(%q): %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("ParseSyncSpec(%q) (-want +got):\n%s", tc.args, diff)
		}
	}
	bad := []struct {
		args []string
		want string
	}{
		{nil, "missing state"},
		{[]string{"backup"}, "write LVSSyncDaemonSwap::master"},
		{[]string{"slave"}, `state "slave": want master`},
		{[]string{"master", "eth0", "256"}, `syncid="256": want a sync id from 0 to 255`},
		{[]string{"master", "eth0", "-1"}, "sync id"},
		{[]string{"master", "eth0", "1", "extra"}, "want NAME=VALUE after IFACE and SYNCID"},
		{[]string{"master", "a-very-long-interface-name"}, "1 to 15 characters"},
		{[]string{"master", "colour=blue"}, `unknown argument "colour"`},
		{[]string{"master", "group=10.1.1.1"}, "multicast"},
		{[]string{"master", "group=nonsense"}, "multicast"},
		{[]string{"master", "port=0"}, "UDP port"},
		{[]string{"master", "port=70000"}, "UDP port"},
		{[]string{"master", "ttl=0"}, "TTL"},
		{[]string{"master", "maxlen=0"}, "message size"},
		{[]string{"master", "maxlen=65530"}, "maxlen"},
		{[]string{"master", "refresh=1.5s"}, "whole seconds"},
		{[]string{"master", "settle=forever"}, "duration"},
		{[]string{"master", "settle=-1s"}, "duration"},
		{[]string{"master", "backup_only=maybe"}, "yes or no"},
	}
	for _, tc := range bad {
		_, err := resources.ParseSyncSpec(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSyncSpec(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestCheckSyncResources(t *testing.T) {
	src := "n1 LVSSyncDaemonSwap::master::eth0 IPaddr::10.0.0.1\n" +
		"n2 LVSSyncDaemonSwap::master::eth7 10.0.0.2\n" +
		"n1 LVSSyncDaemonSwap::master::eth0::999 10.0.0.3\n"
	groups, err := resources.ParseHaresources("haresources", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	errs := resources.CheckSyncResources("haresources", groups, func(name string) bool { return name == "eth0" })
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`haresources:2: LVSSyncDaemonSwap: interface "eth7" does not exist on this node`,
		`haresources:3: LVSSyncDaemonSwap: syncid="999": want a sync id from 0 to 255`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
