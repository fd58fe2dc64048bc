//go:build lab

package lab

import (
	"strings"
	"testing"
	"time"
)

// TestLab runs the scenarios, each on a fresh lab (its own
// namespaces and hbd processes). Timings are logged with t.Logf; run with
// -v (run.sh does) to see them.
func TestLab(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, l *Lab)
	}{
		{"preferred node only", testPreferredOnly},
		{"kill -9 fast", func(t *testing.T, l *Lab) { testKill(t, l, Fast) }},
		{"kill -9 S1 timing", func(t *testing.T, l *Lab) { testKill(t, l, S1Timing) }},
		{"one link cut", testOneLinkCut},
		{"split brain", testSplitBrain},
		{"auto_failback on", testFailbackOn},
		{"auto_failback off", testFailbackOff},
		{"standby and takeover", testStandbyTakeover},
		{"wrong key", testWrongKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, New(t)) })
	}
}

// testPreferredOnly starts both nodes at once: node1 (named in
// haresources) takes the VIP, node2 never holds or announces it. (The
// rscstatus word is not checked: like Heartbeat's i_hold_resources it
// names classes, so node2, holding its empty local class, says "local".)
func testPreferredOnly(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	for _, n := range l.Nodes {
		n.Configure(t, Fast, labSecret)
	}
	t0 := time.Now()
	n1.Start(t)
	n2.Start(t)
	e, _ := waitAddr(t, l, 0, startBound, "node1 takes the VIP", vipEvent(n1.Name, true))
	g := waitARP(t, l, 0, time.Second, "node1's gratuitous ARP", garpFrom(n1))
	t.Logf("both started: start -> VIP on node1 %s, -> first GARP %s", ms(e.At.Sub(t0)), ms(g.At.Sub(t0)))
	joined(t, l, joinBound)
	observe(t, l, 10*Fast.Keepalive)
	wantHolders(t, l, n1.Name)
	noGARPFrom(t, l, n2, 0, "steady state")
	for _, n := range l.Nodes {
		s := waitStatus(t, n, time.Second, "status", func(status) bool { return true })
		want := map[string]string{"node1": "running", "node2": "stopped"}[n.Name]
		if s.owner() != n1.Name || s.phase() != want {
			t.Errorf("%s: status owner %q phase %q, want owner node1 phase %q", n.Name, s.owner(), s.phase(), want)
		}
	}
}

// testKill kill -9s the active node1: node2 must hold the VIP and send its
// gratuitous ARP within deadtime + 100 ms of the kill.
func testKill(t *testing.T, l *Lab, c Cluster) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	addrMark, arpMark := startPair(t, l, c)
	observe(t, l, 3*c.Keepalive) // steady heartbeats before the kill
	dead := n2.LogCount("node node1: is dead")
	kill := n1.Kill9(t)
	bound := c.Deadtime + slack
	e, _ := waitAddr(t, l, addrMark, c.Deadtime+5*time.Second, "VIP on node2", vipEvent(n2.Name, true))
	g := waitARP(t, l, arpMark, c.Deadtime+5*time.Second, "node2's gratuitous ARP", garpFrom(n2))
	toVIP, toGARP := e.At.Sub(kill), g.At.Sub(kill)
	t.Logf("keepalive %v deadtime %v: kill -> VIP on node2 %s, kill -> first GARP %s (%v); bound %v",
		c.Keepalive, c.Deadtime, ms(toVIP), ms(toGARP), g.Op, bound)
	if toVIP > bound {
		t.Errorf("kill -> VIP on node2 = %s, want <= deadtime + 100 ms = %v", ms(toVIP), bound)
	}
	if toGARP > bound {
		t.Errorf("kill -> first GARP from node2 = %s, want <= deadtime + 100 ms = %v", ms(toGARP), bound)
	}
	if n2.LogCount("node node1: is dead") <= dead {
		t.Errorf("node2's log has no %q", "node node1: is dead")
	}
	// node1's address stays (no fencing, as Heartbeat): the killed node
	// cannot release anything.
	wantHolders(t, l, n1.Name, n2.Name)
}

// testOneLinkCut cuts node2's heartbeat link, then its LAN link: the peer
// is still heard on the other link, so nothing fails over, and both nodes
// log the dead link (and, after the heal, the link up again).
func testOneLinkCut(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	addrMark, arpMark := startPair(t, l, Fast)
	for _, link := range []string{HBLink, LANLink} {
		deadOn1, deadOn2 := "Link node2:"+link+" dead.", "Link node1:"+link+" dead."
		up := "Link node2:" + link + " up."
		c1, c2, u1 := n1.LogCount(deadOn1), n2.LogCount(deadOn2), n1.LogCount(up)
		cut := l.Cut(t, n2, link)
		n1.WaitLog(ctxFor(t, l, Fast.Deadtime+3*time.Second), t, deadOn1, c1)
		t.Logf("%s cut: node1 logged %q after %s", link, deadOn1, ms(time.Since(cut)))
		n2.WaitLog(ctxFor(t, l, Fast.Deadtime+3*time.Second), t, deadOn2, c2)
		s := waitStatus(t, n1, time.Second, "status", func(status) bool { return true })
		if s.link(n2.Name, link) != "dead" || s.node(n2.Name) != "active" {
			t.Errorf("node1 status during %s cut: node2 %q, link %q; want active, dead", link, s.node(n2.Name), s.link(n2.Name, link))
		}
		observe(t, l, 2*Fast.Deadtime) // a failover would happen in here
		heal := l.Heal(t, n2, link)
		n1.WaitLog(ctxFor(t, l, 5*time.Second), t, up, u1)
		t.Logf("%s healed: node1 logged %q after %s", link, up, ms(time.Since(heal)))
	}
	noVIPEvents(t, l, addrMark, "one link cut")
	noGARPFrom(t, l, n2, arpMark, "one link cut")
	wantHolders(t, l, n1.Name)
}

// testSplitBrain cuts both of node2's links: node2 declares node1 dead and
// takes the VIP (split brain, as Heartbeat). After the heal exactly one
// node holds it: node1 (the preferred node) keeps it the whole time; node2
// releases it within two keepalives of the heal and sends nothing that
// would steal traffic. Bound: one owner within two keepalives of the
// moment heartbeats cross the healed links both ways, and within the
// kernel's ARP retrans_time (1 s) plus two keepalives of the heal itself.
func testSplitBrain(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	addrMark, _ := startPair(t, l, Fast)
	cut := l.Cut(t, n2, LANLink)
	l.Cut(t, n2, HBLink)
	e, _ := waitAddr(t, l, addrMark, Fast.Deadtime+5*time.Second, "node2 takes the VIP in the split", vipEvent(n2.Name, true))
	t.Logf("split: both links cut -> VIP on node2 %s", ms(e.At.Sub(cut)))
	// Hold the split 5 s (heartbeat-wire.md §3 held 5 s at 100 ms), longer
	// than IPaddr's 4.5 s GARP burst, so node2's takeover burst is over.
	observe(t, l, 5*time.Second-time.Since(cut))
	wantHolders(t, l, n1.Name, n2.Name)
	healMark := l.ARPs.Len()
	heal := l.Heal(t, n2, LANLink)
	l.Heal(t, n2, HBLink)
	wireMark := l.Wire.Len()
	rel, _ := waitAddr(t, l, addrMark, 10*time.Second, "node2 releases the VIP", vipEvent(n2.Name, false))
	// Heartbeats flow again once both kernels resolved the peer's MAC:
	// an ARP entry that failed during the split is retried only every
	// retrans_time (1 s), so this takes 0-1 s after the heal, outside
	// hbd's control. hbd's part is measured from then.
	to2 := waitWire(t, l, wireMark, n1, n2)
	to1 := waitWire(t, l, wireMark, n2, n1)
	flowing := to2.At
	if to1.At.After(flowing) {
		flowing = to1.At
	}
	settle, total := rel.At.Sub(flowing), rel.At.Sub(heal)
	bound, totalBound := 2*Fast.Keepalive, neighRetrans+2*Fast.Keepalive
	t.Logf("heal -> first heartbeat node1->node2 %s, node2->node1 %s; -> node2 released the VIP (one owner) %s: %s after heartbeats flow both ways; bounds %v, %v",
		ms(to2.At.Sub(heal)), ms(to1.At.Sub(heal)), ms(total), ms(settle), bound, totalBound)
	if settle > bound {
		t.Errorf("heartbeats both ways -> one VIP owner = %s, want <= two keepalives = %v", ms(settle), bound)
	}
	if total > totalBound {
		t.Errorf("heal -> one VIP owner = %s, want <= ARP retrans_time + two keepalives = %v", ms(total), totalBound)
	}
	observe(t, l, 10*Fast.Keepalive)
	wantHolders(t, l, n1.Name)
	for _, e := range l.Addrs.Since(addrMark) {
		if vipEvent(n1.Name, false)(e) {
			t.Errorf("node1 lost the VIP during the split or after the heal: %v", e)
		}
	}
	noGARPFrom(t, l, n2, healMark, "after the heal")
	for _, n := range l.Nodes {
		if n.LogCount("split brain: both nodes hold group") == 0 {
			t.Errorf("%s: no split-brain line in its log", n.Name)
		}
	}
	joined(t, l, 5*time.Second)
}

// restartAfterKill kill -9s node1, waits for node2 to take over, and starts
// node1 again; it returns the moment of the restart and the event marks.
func restartAfterKill(t *testing.T, l *Lab, c Cluster) (restart time.Time, addrMark int) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	mark, _ := startPair(t, l, c)
	n1.Kill9(t)
	waitAddr(t, l, mark, c.Deadtime+5*time.Second, "VIP on node2", vipEvent(n2.Name, true))
	addrMark = l.Addrs.Len()
	restart = time.Now()
	n1.Start(t)
	// hbd removes the address a killed run left behind (group not held).
	e, _ := waitAddr(t, l, addrMark, startBound, "node1 removes its leftover VIP", vipEvent(n1.Name, false))
	t.Logf("restart -> node1's leftover VIP removed %s", ms(e.At.Sub(restart)))
	return restart, addrMark
}

// testFailbackOn: with auto_failback on, the restarted node1 gets the VIP
// back; node2 releases it before node1 adds it.
func testFailbackOn(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	c := Fast
	c.AutoFailback = "on"
	restart, mark := restartAfterKill(t, l, c)
	rel, _ := waitAddr(t, l, mark, startBound, "node2 releases the VIP", vipEvent(n2.Name, false))
	add, _ := waitAddr(t, l, mark, startBound, "node1 takes the VIP back", vipEvent(n1.Name, true))
	// Any GARP of node1 since its restart is the failback's (the watchers
	// stamp independently, so the first may be stamped just before add).
	g := waitARP(t, l, 0, time.Second, "node1's GARP", func(e ARPEvent) bool { return garpFrom(n1)(e) && e.At.After(restart) })
	t.Logf("failback: restart -> node2 released %s, -> node1 holds %s (gap %s), -> GARP %s",
		ms(rel.At.Sub(restart)), ms(add.At.Sub(restart)), ms(add.At.Sub(rel.At)), ms(g.At.Sub(restart)))
	if add.At.Before(rel.At) {
		t.Errorf("node1 added the VIP %s before node2 released it", ms(rel.At.Sub(add.At)))
	}
	joined(t, l, joinBound)
	observe(t, l, 5*c.Keepalive)
	wantHolders(t, l, n1.Name)
}

// testFailbackOff: with auto_failback off, the VIP stays on node2 after
// node1 comes back.
func testFailbackOff(t *testing.T, l *Lab) {
	n2 := l.Nodes[1]
	c := Fast
	c.AutoFailback = "off"
	_, mark := restartAfterKill(t, l, c)
	joined(t, l, joinBound)
	observe(t, l, 2*time.Second) // a failback would have happened by now
	wantHolders(t, l, n2.Name)
	for _, e := range l.Addrs.Since(mark) {
		if e.Prefix.Addr() == VIP.Addr() && (e.Added || e.Node == n2.Name) {
			t.Errorf("VIP moved with auto_failback off: %v", e)
		}
	}
	for _, n := range l.Nodes {
		s := waitStatus(t, n, time.Second, "status", func(status) bool { return true })
		if s.owner() != n2.Name {
			t.Errorf("%s: status says owner %q, want node2", n.Name, s.owner())
		}
	}
}

// testStandbyTakeover moves the group with hbd standby/takeover and the
// hb_standby/hb_takeover aliases; each returns once the move is done.
func testStandbyTakeover(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	startPair(t, l, Fast)
	steps := []struct {
		on    *Node
		alias bool
		cmd   []string
		want  *Node
	}{
		{on: n1, cmd: []string{"standby"}, want: n2},
		{on: n1, cmd: []string{"takeover"}, want: n1},
		{on: n2, alias: true, cmd: []string{"hb_takeover"}, want: n2},
		{on: n2, alias: true, cmd: []string{"hb_standby"}, want: n1},
		{on: n1, cmd: []string{"standby", "all"}, want: n2},
		{on: n2, cmd: []string{"standby", "foreign"}, want: n1},
	}
	for _, st := range steps {
		addrMark, arpMark := l.Addrs.Len(), l.ARPs.Len()
		ctx := ctxFor(t, l, 20*time.Second)
		t0 := time.Now()
		var out string
		var err error
		if st.alias {
			out, err = st.on.Alias(ctx, t, st.cmd[0], st.cmd[1:]...)
		} else {
			out, err = st.on.HBD(ctx, t, st.cmd...)
		}
		took := time.Since(t0)
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(st.cmd, " "), err)
		}
		// The command returns when the move is done: no waiting here.
		wantHolders(t, l, st.want.Name)
		g := waitARP(t, l, arpMark, time.Second, st.want.Name+"'s GARP", garpFrom(st.want))
		t.Logf("%s on %s: returned after %s (%q); VIP on %s, GARP %s after the return",
			strings.Join(st.cmd, " "), st.on.Name, ms(took), strings.TrimSpace(out), st.want.Name, ms(g.At.Sub(t0)-took))
		other := l.Peer(st.want)
		for _, e := range l.Addrs.Since(addrMark) {
			if vipEvent(other.Name, true)(e) {
				t.Errorf("%s: VIP added on %s: %v", strings.Join(st.cmd, " "), other.Name, e)
			}
		}
	}
}

// testWrongKey gives node2 another sha1 secret: neither node accepts the
// other's packets, so they never see each other up, and both log the
// dropped packets.
func testWrongKey(t *testing.T, l *Lab) {
	n1, n2 := l.Nodes[0], l.Nodes[1]
	n1.Configure(t, Fast, labSecret)
	n2.Configure(t, Fast, "another-secret")
	n1.Start(t)
	waitAddr(t, l, 0, startBound, "node1 alone takes the VIP", vipEvent(n1.Name, true))
	n2.Start(t)
	const drop = "packet dropped: bad auth"
	for _, n := range l.Nodes {
		n.WaitLog(ctxFor(t, l, 5*time.Second), t, drop, 0)
	}
	observe(t, l, Fast.Initdead+2*Fast.Deadtime)
	for _, n := range l.Nodes {
		s := waitStatus(t, n, time.Second, "status", func(status) bool { return true })
		if got := s.node(l.Peer(n).Name); got == "up" || got == "active" {
			t.Errorf("%s sees %s %q despite the wrong key", n.Name, l.Peer(n).Name, got)
		}
		if strings.Contains(n.Logs(), "Status update for node "+l.Peer(n).Name) {
			t.Errorf("%s logged a status update from %s despite the wrong key", n.Name, l.Peer(n).Name)
		}
	}
	t.Logf("wrong key: VIP holders %v (apart: each thinks the other dead)", l.holders())
}
