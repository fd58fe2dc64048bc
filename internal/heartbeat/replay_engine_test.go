package heartbeat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// TestReplayOfDeadPeerKeepsGroups: node2 took node1's group after node1
// died; an attacker on the LAN replays node1's packets captured earlier
// (its starting, resource, status and ack messages, same generation). node2
// must keep every group, must not see node1 come back, and must log the
// flood in a few counted summaries, not one line per packet (issue 17 §2).
func TestReplayOfDeadPeerKeepsGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		captured := c.net.Frames("node1")
		types := map[string]int{}
		for _, f := range captured {
			if m, err := wire.Decode(f.Buf); err == nil {
				types[m.Type()]++
			}
		}
		for _, want := range []string{"status", "starting", "resource"} {
			if types[want] == 0 {
				t.Fatalf("capture has no %s message: %v", want, types)
			}
		}
		c.kill("node1")
		for _, r := range []string{vip1, "httpd"} {
			c.hosts["node1"].agents[r].Stop(context.Background())
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		all2 := map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}}
		c.wantHolders("after node1's death", all2)
		n2 := c.hosts["node2"].logs
		before := len(n2.recs)
		// 3 s of replays: every captured frame, in order and reversed,
		// from "any LAN address" (the injected source is node3's).
		for round := range 30 {
			for i := range captured {
				f := captured[i]
				if round%2 == 1 {
					f = captured[len(captured)-1-i]
				}
				if err := c.net.Inject("node3", "node2", f.Link, f.Buf); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		time.Sleep(10 * time.Second) // the drop summary's window
		synctest.Wait()
		c.wantHolders("after the replays", all2)
		st, err := c.hosts["node2"].node.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Nodes[0].Status != "dead" {
			t.Errorf("node2 sees node1 %s after replays, want dead", st.Nodes[0].Status)
		}
		n2.mu.Lock()
		lines := n2.recs[before:]
		n2.mu.Unlock()
		var b strings.Builder
		for _, r := range lines {
			b.WriteString(r.msg + "\n")
		}
		t.Logf("node2 logged %d lines for %d replayed packets; drops %v:\n%s", len(lines), 30*len(captured), st.Drops, b.String())
		if len(lines) > 6 {
			t.Errorf("node2 logged %d lines for the replays, want a few summaries:\n%s", len(lines), b.String())
		}
		reason := string(member.ReasonStale)
		dropped := st.Drops[reason]
		if dropped < uint64(len(captured)) {
			t.Errorf("node2 counted %d stale drops for %d replays of %d frames", dropped, 30, len(captured))
		}
		// One line for the first drop, then the counted summary of the rest.
		if want := fmt.Sprintf(heartbeat.MsgDroppedMore, dropped-1, reason); n2.count(want) != 1 {
			t.Errorf("node2 did not log %q:\n%s", want, b.String())
		}
		if n2.count(fmt.Sprintf(member.MsgStale, "node1")) != 1 {
			t.Errorf("node2 logged the stale line other than once:\n%s", b.String())
		}
		for _, link := range []string{"eth0", "eth1"} {
			if n := n2.count("Link node1:" + link + " up."); n != 1 {
				t.Errorf("node2 logged node1's %s up %d times, want 1 (at start; not for replays)", link, n)
			}
		}
	})
}
