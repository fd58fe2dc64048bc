package member

import "testing"

// TestMessages pins every user-visible line word for word: users grep
// their logs for Heartbeat's wording (style.md §1.7).
func TestMessages(t *testing.T) {
	pins := []struct{ got, want string }{
		{MsgLinkStatus, "Link %s:%s %s."},
		{MsgNodeDead, "node %s: is dead"},
		{MsgLateHeartbeat, "Late heartbeat: Node %s: interval %d ms"},
		{MsgLateHeartbeatDead, "Late heartbeat: Node %s: interval %d ms (> deadtime)"},
		{MsgStatusUpdate, "Status update for node %s: status %s"},
		{MsgRestart, "Heartbeat restart on node %s"},
		{MsgPartition, "Cluster node %s returning after partition."},
		{MsgReplayAttack, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]"},
		{MsgBadSeq, "should_drop_message: bad sequence number"},
		{MsgLostPackets, "%d lost packet(s) for [%s] [%d:%d]"},
		{MsgLostALot, "lost a lot of packets!"},
		{MsgNoPktsMissing, "No pkts missing from %s!"},
		{MsgDuplicate, "should_drop_message: Duplicate packet"},
		{MsgStale, "stale packet from dead node %s (replay?)"},
		{MsgGenerationBack, "node %s: generation went back from %d to %d in a status sent after its last one: taken for a restart"},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("message changed: %q, want %q", p.got, p.want)
		}
	}
}

// TestLineLevels: the replay guard's lines carry the level their format is
// logged at (the engine once read it back from the text: issue 16 §2).
func TestLineLevels(t *testing.T) {
	for _, tc := range []struct {
		l    Line
		want string
	}{
		{line(MsgPartition, "node2"), "ERROR+4"},
		{line(MsgLostPackets, 3, "node2", 4, 8), "WARN"},
		{line(MsgReplayAttack, "node2", 4, 5), "ERROR"},
		{line(MsgRestart, "node2"), "INFO"},
	} {
		if got := tc.l.Level.String(); got != tc.want {
			t.Errorf("level of %q = %s, want %s", tc.l.Text, got, tc.want)
		}
	}
}
