//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// roles are the two role assignments: which implementation runs the
// preferred node (node1, owner of the VIP group in haresources).
var roles = []struct {
	name  string
	impls [2]Impl
}{
	{"heartbeat_preferred", [2]Impl{Heartbeat, HBD}},
	{"hbd_preferred", [2]Impl{HBD, Heartbeat}},
}

// TakeoverBound is what the survivor may take beyond the dead node's
// deadtime to hold the VIP: its dead-check granularity plus the resource
// start (Heartbeat runs ResourceManager and the IPaddr shell agent, which
// heartbeat-wire.md §1 measured at 0.13–0.4 s beyond detection).
const TakeoverBound = 900 * time.Millisecond

// startPair configures both nodes with the cluster c and key a, starts
// them at once and waits until each lists the other as active and the
// preferred node holds the VIP. It returns the event position before the
// start.
func startPair(t *testing.T, l *Lab, c Cluster, a Auth) int {
	t.Helper()
	for _, n := range l.Nodes {
		n.Configure(t, c, a, HaResources())
	}
	from := l.Addrs.Len()
	for _, n := range l.Nodes {
		n.Start(t)
	}
	ctx, cancel := context.WithTimeout(l.Context(), c.Initdead+20*time.Second)
	defer cancel()
	start := time.Now()
	l.WaitActive(ctx, t)
	l.VIPAdded(ctx, t, from, NodeNames[0])
	t.Logf("cluster formed, VIP on %s (%s) %.3fs after start", NodeNames[0], l.Nodes[0].Impl, time.Since(start).Seconds())
	return from
}

// within returns a context that ends after d (or with the lab).
func within(t *testing.T, l *Lab, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(l.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// assertRealListsBoth checks cl_status listnodes on the Heartbeat node.
func assertRealListsBoth(t *testing.T, l *Lab) {
	t.Helper()
	real := l.ByImpl(Heartbeat)
	got, err := real.ClStatus(within(t, l, 5*time.Second), "listnodes")
	if err != nil {
		t.Fatal(err)
	}
	nodes := strings.Fields(got)
	slices.Sort(nodes)
	if !slices.Equal(nodes, NodeNames[:]) {
		t.Errorf("%s: cl_status listnodes = %q, want %q", real.Name, nodes, NodeNames)
	}
}

// TestMixedForms: each side lists the other as active (cl_status on the
// real node agrees), the preferred node holds the VIP and the other never
// does, over several deadtimes of steady state.
func TestMixedForms(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			l := New(t, r.impls)
			from := startPair(t, l, Fast, SHA1)
			assertRealListsBoth(t, l)
			settle := time.NewTimer(3 * Fast.Deadtime)
			defer settle.Stop()
			select {
			case <-settle.C:
			case <-l.Context().Done():
				t.Fatal(context.Cause(l.Context()))
			}
			for _, n := range l.Nodes {
				v := l.WaitView(within(t, l, 5*time.Second), t, n, l.Peer(n).Name, "active with both links up", func(v View) bool {
					return v.Status == "active" && v.Links[LANLink] == "up" && v.Links[HBLink] == "up"
				})
				t.Logf("%s (%s) sees %s: %+v", n.Name, n.Impl, l.Peer(n).Name, v)
			}
			l.AssertOnlyHolder(t, NodeNames[0])
			if l.HeldSince(from, NodeNames[1]) {
				t.Errorf("%s held the VIP at some point", NodeNames[1])
			}
		})
	}
}

// TestMixedKeys: the cluster forms with md5 and crc keys too.
func TestMixedKeys(t *testing.T) {
	for _, a := range []Auth{{Method: "md5", Secret: "hbd-lab-md5"}, {Method: "crc"}} {
		for _, r := range roles {
			t.Run(a.Method+"/"+r.name, func(t *testing.T) {
				l := New(t, r.impls)
				startPair(t, l, Fast, a)
				assertRealListsBoth(t, l)
				l.AssertOnlyHolder(t, NodeNames[0])
			})
		}
	}
}

// TestMixedKillAndFailback: kill -9 of the preferred node makes the other
// take the VIP within deadtime + TakeoverBound; the killed node restarts
// (its leftover VIP removed, as a reboot would) and auto_failback on
// returns the VIP to it.
func TestMixedKillAndFailback(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			l := New(t, r.impls)
			startPair(t, l, Fast, SHA1)
			n1, n2 := l.Nodes[0], l.Nodes[1]
			from := l.Addrs.Len()
			killed := n1.Kill9(t)
			got := l.VIPAdded(within(t, l, Fast.Deadtime+10*time.Second), t, from, n2.Name)
			took := got.At.Sub(killed)
			t.Logf("kill -9 %s (%s) -> VIP on %s (%s): %.3fs (deadtime %v)", n1.Name, n1.Impl, n2.Name, n2.Impl, took.Seconds(), Fast.Deadtime)
			if took > Fast.Deadtime+TakeoverBound {
				t.Errorf("takeover took %v, want <= deadtime %v + %v", took, Fast.Deadtime, TakeoverBound)
			}
			l.WaitView(within(t, l, 5*time.Second), t, n2, n1.Name, "dead", func(v View) bool { return v.Status == "dead" })

			l.ClearVIP(t, n1)
			from = l.Addrs.Len()
			restart := time.Now()
			n1.Start(t)
			ctx := within(t, l, Fast.Initdead+20*time.Second)
			off := l.VIPRemoved(ctx, t, from, n2.Name)
			on := l.VIPAdded(ctx, t, from, n1.Name)
			t.Logf("failback: VIP off %s %.3fs, on %s %.3fs after restart (gap %.3fs)",
				n2.Name, off.At.Sub(restart).Seconds(), n1.Name, on.At.Sub(restart).Seconds(), on.At.Sub(off.At).Seconds())
			if on.At.Before(off.At) {
				t.Errorf("%s added the VIP at %v before %s released it at %v", n1.Name, on.At, n2.Name, off.At)
			}
			l.WaitActive(ctx, t)
			l.AssertOnlyHolder(t, n1.Name)
		})
	}
}

// TestMixedStandby: the preferred node's standby command (hb_standby on
// Heartbeat, "hbd standby" on hbd) hands the group to the other node
// cleanly (released before acquired, no moment with two holders), and the
// other node's standby command hands it back. Each command is given once
// both nodes have announced stable resources on the wire.
func TestMixedStandby(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			l := New(t, r.impls)
			began := time.Now()
			startPair(t, l, Fast, SHA1)
			for _, step := range []struct{ from, to *Node }{{l.Nodes[0], l.Nodes[1]}, {l.Nodes[1], l.Nodes[0]}} {
				ctx := within(t, l, 30*time.Second)
				l.WaitStable(ctx, t, began)
				pos := l.Addrs.Len()
				at := time.Now()
				if out, err := step.from.Standby(ctx, t); err != nil {
					t.Fatalf("standby on %s (%s): %v", step.from.Name, step.from.Impl, err)
				} else {
					t.Logf("standby on %s (%s): %q", step.from.Name, step.from.Impl, strings.TrimSpace(out))
				}
				off := l.VIPRemoved(ctx, t, pos, step.from.Name)
				on := l.VIPAdded(ctx, t, pos, step.to.Name)
				t.Logf("standby %s (%s) -> %s (%s): off %.3fs, on %.3fs", step.from.Name, step.from.Impl,
					step.to.Name, step.to.Impl, off.At.Sub(at).Seconds(), on.At.Sub(at).Seconds())
				if on.At.Before(off.At) {
					t.Errorf("%s added the VIP before %s released it", step.to.Name, step.from.Name)
				}
				l.WaitActive(ctx, t)
				l.AssertOnlyHolder(t, step.to.Name)
				began = on.At
			}
		})
	}
}

// TestMixedLinkCut: cutting one link (eth1, then eth0, each for three
// deadtimes) is no failover on either side; both sides report the link
// dead and then up again.
func TestMixedLinkCut(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			l := New(t, r.impls)
			startPair(t, l, Fast, SHA1)
			n2 := l.Nodes[1]
			for _, link := range []string{HBLink, LANLink} {
				pos := l.Addrs.Len()
				l.Cut(t, n2, link)
				for _, n := range l.Nodes {
					v := l.WaitView(within(t, l, Fast.Deadtime+5*time.Second), t, n, l.Peer(n).Name, link+" dead", func(v View) bool {
						return v.Links[link] == "dead"
					})
					if v.Status != "active" {
						t.Errorf("%s (%s) sees %s %s with %s cut, want active", n.Name, n.Impl, l.Peer(n).Name, v.Status, link)
					}
				}
				hold := time.NewTimer(3 * Fast.Deadtime)
				select {
				case <-hold.C:
				case <-l.Context().Done():
					t.Fatal(context.Cause(l.Context()))
				}
				l.Heal(t, n2, link)
				for _, n := range l.Nodes {
					l.WaitView(within(t, l, 10*time.Second), t, n, l.Peer(n).Name, link+" up and active", func(v View) bool {
						return v.Links[link] == "up" && v.Status == "active"
					})
				}
				if evs := vipEvents(l.Addrs.Since(pos)); len(evs) > 0 {
					t.Errorf("VIP changed with %s cut: %v", link, evs)
				}
				l.AssertOnlyHolder(t, NodeNames[0])
			}
			for _, n := range l.Nodes {
				want := fmt.Sprintf("Link %s:%s dead.", l.Peer(n).Name, HBLink)
				if n.LogCount(want) == 0 {
					t.Errorf("%s (%s) never logged %q", n.Name, n.Impl, want)
				}
			}
		})
	}
}

// TestMixedWrongKey: a node whose key differs is refused on both sides:
// each logs the authentication failure and never lists the other as up.
func TestMixedWrongKey(t *testing.T) {
	refusal := map[Impl][]string{
		Heartbeat: {"authentication failed", "authtoken does not match"},
		HBD:       {"bad auth"},
	}
	l := New(t, roles[0].impls)
	keys := [2]Auth{SHA1, {Method: "sha1", Secret: "some-other-secret"}}
	for i, n := range l.Nodes {
		n.Configure(t, Fast, keys[i], HaResources())
	}
	for _, n := range l.Nodes {
		n.Start(t)
	}
	ctx := within(t, l, Fast.Initdead+15*time.Second)
	for _, n := range l.Nodes {
		got := n.WaitLog(ctx, t, 0, refusal[n.Impl]...)
		t.Logf("%s (%s) logged %q", n.Name, n.Impl, got)
	}
	// After initdead each side has given the other up for dead.
	for _, n := range l.Nodes {
		v := l.WaitView(ctx, t, n, l.Peer(n).Name, "dead", func(v View) bool { return v.Status == "dead" })
		t.Logf("%s (%s) sees %s: %+v", n.Name, n.Impl, l.Peer(n).Name, v)
	}
	for _, n := range l.Nodes {
		if c := n.LogCount(fmt.Sprintf("Status update for node %s", l.Peer(n).Name)); c != 0 {
			t.Errorf("%s (%s) logged %d status updates for %s despite the wrong key", n.Name, n.Impl, c, l.Peer(n).Name)
		}
	}
}

// vipEvents keeps the events about the VIP.
func vipEvents(evs []AddrEvent) []AddrEvent {
	var out []AddrEvent
	for _, e := range evs {
		if e.Prefix.Addr() == VIP.Addr() {
			out = append(out, e)
		}
	}
	return out
}

// TestMixedStandbyAtStartup: hbd's standby given the moment hbd (the
// preferred node) has taken the VIP at start-up, while the Heartbeat peer
// is still finishing its own initial acquisition, must still end with the
// group on the peer alone. The peer's req_our_resources child sends
// "t=resource isstable=1 info=req_our_resources()" at any point of the
// handshake that follows (its parent already answered info=other); hbd
// once took that as the end of the handshake and re-acquired the VIP
// while the peer acquired it too (one run in three). A lost info=done,
// recovered after the peer's next t=resource, must complete it as well.
// r1's TestStandbyAtStartupMixedRequester and TestLateHandshakeStep pin
// every interleaving; here two rounds run by default (~22 s), five with
// INTEROP_RACES=1.
func TestMixedStandbyAtStartup(t *testing.T) {
	rounds := 2
	if os.Getenv("INTEROP_RACES") != "" {
		rounds = 5
	}
	for i := range rounds {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			l := New(t, roles[1].impls)
			startPair(t, l, Fast, SHA1)
			n1, n2 := l.Nodes[0], l.Nodes[1]
			ctx := within(t, l, 30*time.Second)
			at := time.Now()
			out, err := n1.Standby(ctx, t) // refused while the peer is in flux: fine
			t.Logf("standby: %v %q", err, strings.TrimSpace(out))
			if err != nil && !strings.Contains(err.Error(), "in flux") {
				t.Fatalf("standby right after start-up: %v", err)
			}
			if err != nil {
				l.WaitStable(ctx, t, at.Add(-time.Minute))
				at = time.Now()
				if _, err := n1.Standby(ctx, t); err != nil {
					t.Fatal(err)
				}
			}
			l.VIPAdded(ctx, t, 0, n2.Name)
			l.WaitStable(ctx, t, at)
			l.AssertOnlyHolder(t, n2.Name)
		})
	}
}
