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
