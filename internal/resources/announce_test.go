package resources_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

// vipHost is host with lo and two VIPs already present: one whose resource
// names no interface, and IPaddrDR's standby address on lo.
func vipHost(t *testing.T) *restest.Addrs {
	t.Helper()
	addrs := restest.NewAddrs(&restest.Log{}, []string{"lo", "eth0", "eth1"},
		[]resources.Addr{
			{Prefix: mp("10.1.1.2/24"), Iface: "eth0", Broadcast: ma("10.1.1.255")},
			{Prefix: mp("192.168.2.241/24"), Iface: "eth1", Broadcast: ma("192.168.2.255")},
			{Prefix: mp("192.168.2.250/24"), Iface: "eth1", Label: "eth1:0"},
			{Prefix: mp("10.1.1.40/32"), Iface: "lo"},
			{Prefix: mp("10.1.1.10/24"), Iface: "eth0", Label: "eth0:0"},
		}, nil)
	return addrs
}

func TestReannounceBurstsPerAgent(t *testing.T) {
	ann := &restest.Announcer{}
	over := resources.Burst{Count: 3, Interval: 10 * time.Millisecond}
	vips := resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: ann, IPaddr2Burst: over, Logger: newLogger(&logBuf{})})
	m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{}), Addrs: vipHost(t), VIPs: vips},
		func(r resources.Resource) (resources.Agent, error) {
			return &restest.Agent{Name: r.String(), Log: &restest.Log{}}, nil
		})
	g := group(t, "n1 IPaddr::10.1.1.10/24/eth0 IPaddr2::10.1.1.20/24/eth0 IPaddrDR::10.1.1.40/24/eth1 "+
		"IPaddr::192.168.2.250 IPaddr::172.16.0.1 httpd")
	if err := m.Reannounce(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	want := []restest.Announcement{
		{Iface: "eth0", IP: ma("10.1.1.10"), Burst: resources.IPaddrBurst},
		{Iface: "eth0", IP: ma("10.1.1.20"), Burst: over},
		{Iface: "eth1", IP: ma("10.1.1.40"), Burst: over},                      // IPaddrDR takes IPaddr2's burst
		{Iface: "eth1", IP: ma("192.168.2.250"), Burst: resources.IPaddrBurst}, // found on eth1
		// 172.16.0.1 is on no interface: skipped.
	}
	got := ann.Calls()
	slices.SortFunc(got, func(a, b restest.Announcement) int { return a.IP.Compare(b.IP) })
	if diff := cmp.Diff(want, got, addrCmp...); diff != "" {
		t.Errorf("announcements (-want +got):\n%s", diff)
	}
}

// TestReannounceStoppedByRelease: a re-announcement replaces the start's
// burst still in flight, and releasing the group cancels it, so a node
// never keeps announcing a VIP it gave up.
func TestReannounceStoppedByRelease(t *testing.T) {
	addrs := host(&restest.Log{})
	ann := &restest.Announcer{Block: true, Started: make(chan restest.Announcement, 2)}
	env := resources.Env{Addrs: addrs, VIPs: resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: ann, Logger: newLogger(&logBuf{})}),
		Logger: newLogger(&logBuf{})}
	m := resources.NewManager(resources.ManagerConfig{Logger: env.Logger, Addrs: addrs, VIPs: env.VIPs},
		func(r resources.Resource) (resources.Agent, error) { return resources.Resolve(r, env) })
	g := group(t, "n1 IPaddr::10.1.1.10/24/eth0")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if r := m.Acquire(ctx, g); !r.OK {
		t.Fatalf("Acquire: %s", r.Reason)
	}
	<-ann.Started
	done := make(chan error, 1)
	go func() { done <- m.Reannounce(ctx, g) }()
	<-ann.Started
	select {
	case err := <-done:
		t.Fatalf("Reannounce returned %v while its burst runs", err)
	case <-time.After(50 * time.Millisecond):
	}
	if r := m.Release(ctx, g); !r.OK {
		t.Fatalf("Release: %s", r.Reason)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Reannounce = %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Release did not end the re-announcement")
	}
	if n := len(ann.Calls()); n != 2 {
		t.Errorf("%d bursts, want 2 (the start's, then the re-announcement)", n)
	}
}

// TestSweepLeavesIPaddrDR: Sweep removes a group's leftover IPaddr and
// IPaddr2 addresses but not IPaddrDR's address on lo (its Prepare put it
// there).
func TestSweepLeavesIPaddrDR(t *testing.T) {
	addrs := vipHost(t)
	m := resources.NewManager(resources.ManagerConfig{Logger: newLogger(&logBuf{}), Addrs: addrs}, nil)
	g := group(t, "n1 IPaddr::10.1.1.10/24/eth0 IPaddrDR::10.1.1.40/24/eth1 httpd")
	removed, err := m.Sweep(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]resources.Addr{{Prefix: mp("10.1.1.10/24"), Iface: "eth0", Label: "eth0:0"}}, removed, addrCmp...); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	left, _ := addrs.List(t.Context())
	if !slices.ContainsFunc(left, func(a resources.Addr) bool {
		return a.Iface == "lo" && a.Prefix.Addr() == netip.MustParseAddr("10.1.1.40")
	}) {
		t.Errorf("Sweep took IPaddrDR's address off lo: %v", left)
	}
}
