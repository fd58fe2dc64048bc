package resources_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

var (
	mp = netip.MustParsePrefix
	ma = netip.MustParseAddr
	// addrCmp compares netip values by ==.
	addrCmp = []cmp.Option{
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	}
)

func TestParseIPSpec(t *testing.T) {
	tests := []struct {
		name  string
		agent string
		args  []string
		want  resources.IPSpec
	}{
		{"ip only", "IPaddr", []string{"10.1.1.10"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: -1}},
		{"ip/bits/iface", "IPaddr", []string{"10.1.1.10/24/eth0"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 24, Iface: "eth0"}},
		{"ip/bits/iface/broadcast", "IPaddr", []string{"10.1.1.10/24/eth0/10.1.1.127"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 24, Iface: "eth0", Broadcast: ma("10.1.1.127")}},
		{"IPaddr third field with a digit is the broadcast", "IPaddr", []string{"10.1.1.10/24/10.1.1.255"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 24, Broadcast: ma("10.1.1.255")}},
		{"IPaddr drops an alias suffix", "IPaddr", []string{"10.1.1.10/24/eth0:3"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 24, Iface: "eth0"}},
		{"IPaddr2 keeps the label", "IPaddr2", []string{"10.1.1.10/24/eth0:web/10.1.1.255"},
			resources.IPSpec{Agent: "IPaddr2", IP: ma("10.1.1.10"), Bits: 24, Iface: "eth0", Label: "eth0:web", Broadcast: ma("10.1.1.255")}},
		{"dotted netmask", "IPaddr", []string{"10.1.1.10/255.255.254.0/eth0"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 23, Iface: "eth0"}},
		{"OCF style", "IPaddr2", []string{"ip=10.1.1.10", "cidr_netmask=24", "nic=eth1", "iflabel=vip"},
			resources.IPSpec{Agent: "IPaddr2", IP: ma("10.1.1.10"), Bits: 24, Iface: "eth1", Label: "eth1:vip"}},
		{"OCF netmask alias", "IPaddr", []string{"ip=10.1.1.10", "netmask=255.255.255.0"},
			resources.IPSpec{Agent: "IPaddr", IP: ma("10.1.1.10"), Bits: 24}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resources.ParseIPSpec(tc.agent, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, addrCmp...); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindIf(t *testing.T) {
	routes := []resources.Route{
		{Dst: mp("10.0.0.0/8"), Iface: "eth2"},
		{Dst: mp("10.1.1.0/24"), Iface: "eth0"},
		{Dst: mp("10.1.0.0/16"), Iface: "eth1"},
		{Dst: mp("192.168.2.0/24"), Iface: "eth1"},
	}
	tests := []struct {
		name    string
		arg     string
		want    string // "iface bits broadcast"
		wantErr error
	}{
		{"longest prefix wins", "10.1.1.10", "eth0 24 10.1.1.255", nil},
		{"given bits exclude longer routes", "10.1.1.10/16", "eth1 16 10.1.255.255", nil},
		{"given iface restricts", "10.1.1.10/8/eth2", "eth2 8 10.255.255.255", nil},
		{"given iface, bits from its route", "10.1.1.10//eth1", "eth1 16 10.1.255.255", nil},
		{"other network", "192.168.2.240", "eth1 24 192.168.2.255", nil},
		{"no route", "172.16.0.1", "", resources.ErrNoInterface},
		{"no route on the given iface", "192.168.2.240/24/eth0", "eth0 24 192.168.2.255", nil},
		{"no route and no bits", "192.168.9.1//eth9", "", resources.ErrNoInterface},
		{"explicit broadcast kept", "10.1.1.10/24/eth0/10.1.1.127", "eth0 24 10.1.1.127", nil},
		{"/32 has no broadcast", "10.1.1.10/32/eth0", "eth0 32 none", nil},
		{"/31 has no broadcast", "10.1.1.10/31/eth0", "eth0 31 none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := resources.ParseIPSpec("IPaddr", []string{tc.arg})
			if err != nil {
				t.Fatal(err)
			}
			got, err := resources.FindIf(spec, routes)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("FindIf error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b := "none"
			if got.Broadcast.IsValid() {
				b = got.Broadcast.String()
			}
			if s := got.Iface + " " + itoa(got.Bits) + " " + b; s != tc.want {
				t.Errorf("FindIf = %q, want %q", s, tc.want)
			}
		})
	}
}

func itoa(i int) string {
	return netip.PrefixFrom(netip.IPv4Unspecified(), i).String()[len("0.0.0.0/"):]
}

func TestFreeLabel(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		iface  string
		want   string
	}{
		{"none used", nil, "eth0", "eth0:0"},
		{"first used", []string{"eth0:0"}, "eth0", "eth0:1"},
		{"gap is reused", []string{"eth0:0", "eth0:2"}, "eth0", "eth0:1"},
		{"other iface and named labels ignored", []string{"eth1:0", "eth0:web", "eth0"}, "eth0", "eth0:0"},
		{"prefix must match whole iface name", []string{"eth00:0"}, "eth0", "eth0:0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var list []resources.Addr
			for _, l := range tc.labels {
				list = append(list, resources.Addr{Label: l})
			}
			got, err := resources.FreeLabel(list, tc.iface)
			if err != nil || got != tc.want {
				t.Errorf("FreeLabel = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := resources.FreeLabel(nil, "abcdefghijklmn"); err == nil {
		t.Error("FreeLabel accepted a 16-character label")
	}
}

// host is the fake host the IPaddr agent tests run on.
func host(log *restest.Log) *restest.Addrs {
	return restest.NewAddrs(log, []string{"eth0", "eth1"},
		[]resources.Addr{
			{Prefix: mp("10.1.1.2/24"), Iface: "eth0", Broadcast: ma("10.1.1.255")},
			{Prefix: mp("192.168.2.241/24"), Iface: "eth1", Broadcast: ma("192.168.2.255")},
		},
		[]resources.Route{{Dst: mp("10.1.1.0/24"), Iface: "eth0"}, {Dst: mp("192.168.2.0/24"), Iface: "eth1"}})
}

func ipAgent(t *testing.T, addrs resources.Addrs, ann resources.Announcer, agent, arg string) *resources.IPAgent {
	t.Helper()
	spec, err := resources.ParseIPSpec(agent, []string{arg})
	if err != nil {
		t.Fatal(err)
	}
	var vips *resources.VIPAnnouncer
	if ann != nil {
		vips = resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: ann})
	}
	return resources.NewIPAgent(resources.IPConfig{Spec: spec, Addrs: addrs, VIPs: vips, Logger: newLogger(&logBuf{})})
}

func TestIPAgentStartStop(t *testing.T) {
	tests := []struct {
		name     string
		agent    string
		args     []string // one agent per arg, started in order
		wantOps  []string
		wantARPs []restest.Announcement
	}{
		{
			name: "IPaddr full spec", agent: "IPaddr", args: []string{"10.1.1.10/24/eth0"},
			wantOps:  []string{`add 10.1.1.10/24 dev eth0 label "eth0:0" brd 10.1.1.255`},
			wantARPs: []restest.Announcement{{Iface: "eth0", IP: ma("10.1.1.10"), Burst: resources.IPaddrBurst}},
		},
		{
			name: "IPaddr two VIPs on one iface get :0 and :1", agent: "IPaddr", args: []string{"10.1.1.10/24/eth0", "10.1.1.11/24/eth0"},
			wantOps: []string{
				`add 10.1.1.10/24 dev eth0 label "eth0:0" brd 10.1.1.255`,
				`add 10.1.1.11/24 dev eth0 label "eth0:1" brd 10.1.1.255`,
			},
			wantARPs: []restest.Announcement{
				{Iface: "eth0", IP: ma("10.1.1.10"), Burst: resources.IPaddrBurst},
				{Iface: "eth0", IP: ma("10.1.1.11"), Burst: resources.IPaddrBurst},
			},
		},
		{
			name: "IPaddr findif from routes", agent: "IPaddr", args: []string{"192.168.2.240"},
			wantOps:  []string{`add 192.168.2.240/24 dev eth1 label "eth1:0" brd 192.168.2.255`},
			wantARPs: []restest.Announcement{{Iface: "eth1", IP: ma("192.168.2.240"), Burst: resources.IPaddrBurst}},
		},
		{
			name: "IPaddr2 no label, explicit broadcast", agent: "IPaddr2", args: []string{"10.1.1.10/24/eth0/10.1.1.127"},
			wantOps:  []string{`add 10.1.1.10/24 dev eth0 label "" brd 10.1.1.127`},
			wantARPs: []restest.Announcement{{Iface: "eth0", IP: ma("10.1.1.10"), Burst: resources.IPaddr2Burst}},
		},
		{
			name: "IPaddr2 asked label, /32", agent: "IPaddr2", args: []string{"10.1.1.10/32/eth0:vip"},
			wantOps:  []string{`add 10.1.1.10/32 dev eth0 label "eth0:vip" brd none`},
			wantARPs: []restest.Announcement{{Iface: "eth0", IP: ma("10.1.1.10"), Burst: resources.IPaddr2Burst}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &restest.Log{}
			addrs := host(log)
			ann := &restest.Announcer{Started: make(chan restest.Announcement, 4)}
			var agents []*resources.IPAgent
			for _, arg := range tc.args {
				a := ipAgent(t, addrs, ann, tc.agent, arg)
				agents = append(agents, a)
				if err := a.Start(t.Context()); err != nil {
					t.Fatalf("Start %s: %v", arg, err)
				}
				<-ann.Started
				if st, err := a.Status(t.Context()); st != resources.StatusRunning || err != nil {
					t.Errorf("Status after Start = %v, %v", st, err)
				}
				// Idempotent: a second Start adds nothing and announces nothing.
				if err := a.Start(t.Context()); err != nil {
					t.Fatalf("second Start %s: %v", arg, err)
				}
			}
			if diff := cmp.Diff(tc.wantOps, log.Calls()); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantARPs, ann.Calls(), addrCmp...); diff != "" {
				t.Errorf("announcements (-want +got):\n%s", diff)
			}
			for _, a := range agents {
				if err := a.Stop(t.Context()); err != nil {
					t.Fatalf("Stop: %v", err)
				}
				if err := a.Stop(t.Context()); err != nil {
					t.Fatalf("second Stop: %v", err)
				}
				if st, err := a.Status(t.Context()); st != resources.StatusStopped || err != nil {
					t.Errorf("Status after Stop = %v, %v", st, err)
				}
			}
			left, _ := addrs.List(t.Context())
			orig, _ := host(&restest.Log{}).List(t.Context())
			if diff := cmp.Diff(orig, left, addrCmp...); diff != "" {
				t.Errorf("host after Stop (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIPAgentErrors(t *testing.T) {
	log := &restest.Log{}
	addrs := host(log)
	if err := ipAgent(t, addrs, nil, "IPaddr", "172.16.0.1").Start(t.Context()); !errors.Is(err, resources.ErrNoInterface) {
		t.Errorf("Start without route = %v, want ErrNoInterface", err)
	}
	if err := ipAgent(t, addrs, nil, "IPaddr", "10.1.1.10/24/eth7").Start(t.Context()); !errors.Is(err, resources.ErrNoLink) {
		t.Errorf("Start on missing link = %v, want ErrNoLink", err)
	}
	addrs.ListErr = restest.ErrFake
	a := ipAgent(t, addrs, nil, "IPaddr", "10.1.1.10/24/eth0")
	if _, err := a.Status(t.Context()); !errors.Is(err, restest.ErrFake) {
		t.Errorf("Status with failing List = %v", err)
	}
	if err := a.Stop(t.Context()); !errors.Is(err, restest.ErrFake) {
		t.Errorf("Stop with failing List = %v", err)
	}
}

func TestIPAgentStopCancelsAnnouncement(t *testing.T) {
	addrs := host(&restest.Log{})
	ann := &restest.Announcer{Block: true, Started: make(chan restest.Announcement, 1)}
	a := ipAgent(t, addrs, ann, "IPaddr", "10.1.1.10/24/eth0")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-ann.Started
	// Stop returns only after the blocked announcement saw its context end.
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestForeignAddrs(t *testing.T) {
	gs, err := resources.ParseHaresources("haresources", []byte(
		"n1 IPaddr::10.1.1.10/24/eth0 10.1.1.20 httpd\n"+
			"n2 IPaddr2::10.1.1.30/24/eth0 IPaddr::10.1.1.20\n"))
	if err != nil {
		t.Fatal(err)
	}
	present := []resources.Addr{
		{Prefix: mp("10.1.1.2/24"), Iface: "eth0"},                   // host address
		{Prefix: mp("10.1.1.10/24"), Iface: "eth0", Label: "eth0:0"}, // ours
		{Prefix: mp("10.1.1.30/24"), Iface: "eth0"},                  // n2's
		{Prefix: mp("10.1.1.30/24"), Iface: "eth1"},                  // n2's IP, other iface: not its resource
		{Prefix: mp("10.1.1.20/24"), Iface: "eth1"},                  // in both groups: kept
	}
	ownedN1 := func(g resources.Group) bool { return g.Node == "n1" }
	got := resources.ForeignAddrs(gs, ownedN1, present)
	want := []resources.Addr{{Prefix: mp("10.1.1.30/24"), Iface: "eth0"}}
	if diff := cmp.Diff(want, got, addrCmp...); diff != "" {
		t.Errorf("ForeignAddrs (-want +got):\n%s", diff)
	}

	log := &restest.Log{}
	addrs := restest.NewAddrs(log, []string{"eth0", "eth1"}, present, nil)
	removed, err := resources.RemoveForeign(t.Context(), addrs, gs, ownedN1)
	if err != nil || len(removed) != 1 {
		t.Fatalf("RemoveForeign = %v, %v", removed, err)
	}
	if diff := cmp.Diff([]string{`del 10.1.1.30/24 dev eth0 label ""`}, log.Calls()); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}
