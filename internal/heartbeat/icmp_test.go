package heartbeat

// Root-only: ping nodes over a real raw ICMP socket. twoHosts (udp_test.go)
// builds two namespaces; the node pings from the first. 10.77.0.2 and
// 10.77.1.2 are the second namespace's addresses, whose kernel answers the
// echo requests; 10.77.0.99 and 10.77.0.98 have no host.

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// quietLink is a Transport whose peer never speaks.
type quietLink struct{}

func (quietLink) Links() []string           { return []string{"hb0"} }
func (quietLink) Send(string, []byte) error { return nil }
func (quietLink) Receive(ctx context.Context, _ chan<- Packet) error {
	<-ctx.Done()
	return nil
}

// noGroups is a GroupRunner for a node without haresources.
type noGroups struct{}

func (noGroups) Acquire(context.Context, resources.Group) resources.Result {
	return resources.Result{OK: true}
}
func (noGroups) Release(context.Context, resources.Group) resources.Result {
	return resources.Result{OK: true}
}

func TestICMPPingNodesInNetns(t *testing.T) {
	ns := twoHosts(t)
	const cfText = "keepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 1\ndeadping 500ms\nbcast hb0\n" +
		"ping 10.77.0.2\nping 10.77.0.99\nping_group both 10.77.0.98 10.77.1.2\nping_group none 10.77.0.98\nnode node1 node2\n"
	cf, _, err := hacf.ParseHaCf("ha.cf", []byte(cfText))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := hacf.ParseAuthKeys("authkeys", []byte("auth 1\n1 sha1 secret\n"))
	if err != nil {
		t.Fatal(err)
	}
	pinger, err := OpenICMP(ICMPConfig{Netns: ns[0], ID: 0x4242})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pinger.Close() })
	n, err := New(Config{HaCf: cf, Keys: keys, Local: "node1", Transport: quietLink{}, Runner: noGroups{},
		Pinger: pinger, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	view := func() map[string]string {
		st, err := n.Status(ctx)
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		out := map[string]string{}
		for _, nd := range st.Nodes {
			if nd.Type == NodeTypePing {
				out[nd.Name] = nd.Status
			}
		}
		return out
	}
	// waitFor polls the status (bounded) until it equals want.
	waitFor := func(what string, want map[string]string, within time.Duration) time.Time {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			got := view()
			if cmp.Equal(want, got) {
				return time.Now()
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: ping nodes (-want +got)\n%s", what, cmp.Diff(want, got))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("after initdead", map[string]string{"10.77.0.2": "ping", "10.77.0.99": "dead", "both": "ping", "none": "dead"},
		5*time.Second)

	// Take 10.77.0.2 away: the node is dead once deadping has passed
	// since its last reply.
	h, err := netlink.NewHandleAt(ns[1])
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName("hb0")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := netlink.ParseAddr(netip.MustParsePrefix("10.77.0.2/24").String())
	if err := h.AddrDel(link, a); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	at := waitFor("after the address is gone", map[string]string{"10.77.0.2": "dead", "10.77.0.99": "dead", "both": "ping", "none": "dead"},
		5*time.Second)
	if el := at.Sub(removed); el < 300*time.Millisecond {
		t.Errorf("10.77.0.2 declared dead %s after its address went, before deadping (500ms)", el)
	}
}
