package resources_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

func openNetlink(t *testing.T, lab *labNS) *resources.Netlink {
	t.Helper()
	nl, err := resources.OpenNetlink(resources.NetlinkConfig{Netns: lab.ns, Logger: newLogger(&logBuf{})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nl.Close() })
	return nl
}

func TestNetlinkAddrsAndRoutes(t *testing.T) {
	lab := newLabNS(t)
	nl := openNetlink(t, lab)
	ctx := t.Context()

	routes, err := nl.Routes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRoutes := []resources.Route{{Dst: mp("10.9.0.0/24"), Iface: "um0"}, {Dst: mp("10.9.8.0/24"), Iface: "um2"}}
	if diff := cmp.Diff(wantRoutes, routes, addrCmp...); diff != "" {
		t.Errorf("Routes (-want +got):\n%s", diff)
	}

	vip := resources.Addr{Prefix: mp("10.9.0.100/24"), Iface: "um0", Label: "um0:0", Broadcast: ma("10.9.0.255")}
	if err := nl.Add(ctx, vip); err != nil {
		t.Fatal(err)
	}
	if err := nl.Add(ctx, vip); !errors.Is(err, resources.ErrAddrExists) {
		t.Errorf("second Add = %v, want ErrAddrExists", err)
	}
	list, err := nl.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantList := []resources.Addr{
		{Prefix: mp("127.0.0.1/8"), Iface: "lo"},
		{Prefix: mp("10.9.0.1/24"), Iface: "um0", Broadcast: ma("10.9.0.255")},
		vip,
		{Prefix: mp("10.9.8.1/24"), Iface: "um2", Broadcast: ma("10.9.8.255")},
	}
	if diff := cmp.Diff(wantList, list, addrCmp...); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if err := nl.Add(ctx, resources.Addr{Prefix: mp("10.9.0.7/24"), Iface: "nosuch0"}); !errors.Is(err, resources.ErrNoLink) {
		t.Errorf("Add on a missing link = %v, want ErrNoLink", err)
	}
	wrongLabel := vip
	wrongLabel.Label = "um0:9"
	if err := nl.Del(ctx, wrongLabel); !errors.Is(err, resources.ErrAddrNotFound) {
		t.Errorf("Del with the wrong label = %v, want ErrAddrNotFound", err)
	}
	if err := nl.Del(ctx, vip); err != nil {
		t.Fatal(err)
	}
	if err := nl.Del(ctx, vip); !errors.Is(err, resources.ErrAddrNotFound) {
		t.Errorf("second Del = %v, want ErrAddrNotFound", err)
	}
	if diff := cmp.Diff([]string{"10.9.0.1/24 um0 10.9.0.255"}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 (-want +got):\n%s", diff)
	}
}

func TestIPaddrInNetns(t *testing.T) {
	lab := newLabNS(t)
	nl := openNetlink(t, lab)
	ctx := t.Context()
	agent := func(kind, arg string) *resources.IPAgent {
		spec, err := resources.ParseIPSpec(kind, []string{arg})
		if err != nil {
			t.Fatal(err)
		}
		return resources.NewIPAgent(resources.IPConfig{Spec: spec, Addrs: nl, Logger: newLogger(&logBuf{})})
	}
	status := func(a *resources.IPAgent) resources.Status {
		st, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	v0 := agent("IPaddr", "10.9.0.100/24/um0")
	v1 := agent("IPaddr", "10.9.0.101") // findif: um0, /24
	v2 := agent("IPaddr2", "10.9.0.102/24/um0")
	v3 := agent("IPaddr", "10.9.8.50") // findif: um2, /24
	v4 := agent("IPaddr2", "10.9.8.51/32/um2")
	all := []*resources.IPAgent{v0, v1, v2, v3, v4}
	for _, a := range all {
		if status(a) != resources.StatusStopped {
			t.Fatal("address present before start")
		}
		for range 2 { // the second Start must change nothing
			if err := a.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if status(a) != resources.StatusRunning {
			t.Error("Status after Start is not running")
		}
	}
	wantUm0 := []string{
		"10.9.0.1/24 um0 10.9.0.255",
		"10.9.0.100/24 um0:0 10.9.0.255",
		"10.9.0.101/24 um0:1 10.9.0.255",
		"10.9.0.102/24 um0 10.9.0.255", // IPaddr2: no alias label
	}
	if diff := cmp.Diff(wantUm0, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 (-want +got):\n%s", diff)
	}
	wantUm2 := []string{
		"10.9.8.1/24 um2 10.9.8.255",
		"10.9.8.50/24 um2:0 10.9.8.255",
		"10.9.8.51/32 um2 -",
	}
	if diff := cmp.Diff(wantUm2, lab.kernelAddrs(t, "um2")); diff != "" {
		t.Errorf("kernel um2 (-want +got):\n%s", diff)
	}

	// Stop v0; a new IPaddr then reuses the freed um0:0.
	if err := v0.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	v5 := agent("IPaddr", "10.9.0.105/24/um0")
	if err := v5.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{
		"10.9.0.1/24 um0 10.9.0.255",
		"10.9.0.101/24 um0:1 10.9.0.255",
		"10.9.0.102/24 um0 10.9.0.255",
		"10.9.0.105/24 um0:0 10.9.0.255",
	}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 after reuse (-want +got):\n%s", diff)
	}

	for _, a := range append(all, v5) {
		for range 2 { // the second Stop must succeed and change nothing
			if err := a.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if status(a) != resources.StatusStopped {
			t.Error("Status after Stop is not stopped")
		}
	}
	if diff := cmp.Diff([]string{"10.9.0.1/24 um0 10.9.0.255"}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 after stop (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.9.8.1/24 um2 10.9.8.255"}, lab.kernelAddrs(t, "um2")); diff != "" {
		t.Errorf("kernel um2 after stop (-want +got):\n%s", diff)
	}
}

func TestRemoveForeignInNetns(t *testing.T) {
	lab := newLabNS(t)
	nl := openNetlink(t, lab)
	// Leftovers of a killed predecessor: one VIP of each group.
	lab.addr(t, "um0", "10.9.0.100/24", "um0:0")
	lab.addr(t, "um0", "10.9.0.200/24", "um0:1")
	gs, err := resources.ParseHaresources("haresources", []byte(
		"n1 IPaddr::10.9.0.100/24/um0\nn2 IPaddr::10.9.0.200/24/um0 httpd\n"))
	if err != nil {
		t.Fatal(err)
	}
	removed, err := resources.RemoveForeign(t.Context(), nl, gs, func(g resources.Group) bool { return g.Node == "n1" })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Prefix != mp("10.9.0.200/24") {
		t.Errorf("removed %v, want 10.9.0.200/24", removed)
	}
	if diff := cmp.Diff([]string{"10.9.0.1/24 um0 10.9.0.255", "10.9.0.100/24 um0:0 10.9.0.255"}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 (-want +got):\n%s", diff)
	}
}
