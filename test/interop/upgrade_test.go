//go:build interop

package interop

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRollingUpgrade is docs/migration.md's procedure on a live pair: two
// real Heartbeat nodes; the standby node (node2) is stopped and comes back
// as hbd with the same /etc/ha.d; then the preferred node is stopped (the
// VIP moves to node2) and comes back as hbd (auto_failback returns the
// VIP); then the rollback: node1 goes back to Heartbeat the same way.
// After every step each side lists the other as active and exactly the
// expected node holds the VIP.
func TestRollingUpgrade(t *testing.T) {
	l := New(t, [2]Impl{Heartbeat, Heartbeat})
	startPair(t, l, Fast, SHA1)
	n1, n2 := l.Nodes[0], l.Nodes[1]
	steps := []struct {
		name   string
		node   *Node
		to     Impl
		during string // VIP holder while node is down
	}{
		{"upgrade node2 (standby node) to hbd", n2, HBD, n1.Name},
		{"upgrade node1 (preferred node) to hbd", n1, HBD, n2.Name},
		{"roll node1 back to heartbeat", n1, Heartbeat, n2.Name},
		{"roll node2 back to heartbeat", n2, Heartbeat, n1.Name},
	}
	for _, s := range steps {
		ctx := within(t, l, Fast.Initdead+40*time.Second)
		pos := l.Addrs.Len()
		s.node.Stop(ctx, t)
		if s.during != s.node.Name && s.node.Name == n1.Name {
			l.VIPAdded(ctx, t, pos, s.during)
		}
		l.AssertOnlyHolder(t, s.during)
		if s.node.Impl == HBD && s.to == Heartbeat {
			// Rollback step (docs/migration.md): Heartbeat would restart at
			// its own old hb_generation + 1, below the generation hbd last
			// sent, and the peer would drop it forever as a replay
			// ("should_drop_message: attempted replay attack"). Carry
			// hbd's generation over; Heartbeat reads it with sscanf.
			gen, err := os.ReadFile(filepath.Join(s.node.stateDir(), "hb_generation"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.node.varLibDir(), "hb_generation"), gen, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s.node.Impl = s.to
		pos = l.Addrs.Len()
		start := time.Now()
		s.node.Start(t)
		l.WaitActive(ctx, t)
		if s.node.Name == n1.Name {
			l.VIPAdded(ctx, t, pos, n1.Name) // auto_failback on
		}
		l.AssertOnlyHolder(t, n1.Name)
		t.Logf("%s: pair active again, VIP on %s, %.3fs after the start", s.name, n1.Name, time.Since(start).Seconds())
	}
}
