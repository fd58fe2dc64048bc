package member

import (
	"fmt"
	"log/slog"
)

// User-visible log text of the membership layer: link and node liveness
// (liveness.go) and the replay guard (replay.go). Heartbeat 3.0.6 users
// grep their logs for these lines, so they keep Heartbeat's exact words
// (style.md §1.7); each one is pinned by TestMessages. The source of every
// line is named beside it.
const (
	// MsgLinkStatus is change_link_status (heartbeat.c): node, link, "up"|"dead".
	MsgLinkStatus = "Link %s:%s %s."
	// MsgNodeDead is mark_node_dead (heartbeat.c).
	MsgNodeDead = "node %s: is dead"
	// MsgLateHeartbeat is HBDoMsg_T_STATUS (heartbeat.c), logged as WARN.
	MsgLateHeartbeat = "Late heartbeat: Node %s: interval %d ms"
	// MsgLateHeartbeatDead is HBDoMsg_T_STATUS (heartbeat.c), logged as CRIT.
	MsgLateHeartbeatDead = "Late heartbeat: Node %s: interval %d ms (> deadtime)"
	// MsgStatusUpdate is HBDoMsg_T_STATUS (heartbeat.c).
	MsgStatusUpdate = "Status update for node %s: status %s"

	// MsgRestart is should_drop_message (heartbeat.c).
	MsgRestart = "Heartbeat restart on node %s"
	// MsgPartition is should_drop_message (heartbeat.c), logged as CRIT.
	MsgPartition = "Cluster node %s returning after partition."
	// MsgReplayAttack is should_drop_message (heartbeat.c).
	MsgReplayAttack = "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]"
	// MsgBadSeq is should_drop_message (heartbeat.c).
	MsgBadSeq = "should_drop_message: bad sequence number"
	// MsgLostPackets is should_drop_message (heartbeat.c): count, node, last, seq.
	MsgLostPackets = "%d lost packet(s) for [%s] [%d:%d]"
	// MsgLostALot is should_drop_message (heartbeat.c).
	MsgLostALot = "lost a lot of packets!"
	// MsgNoPktsMissing is is_lost_packet (heartbeat.c).
	MsgNoPktsMissing = "No pkts missing from %s!"
	// MsgDuplicate is should_drop_message's debug line (heartbeat.c).
	MsgDuplicate = "should_drop_message: Duplicate packet"
	// MsgStale is hbd's own: a packet of the current generation from a
	// node marked dead, with a seq it already sent before it died, can
	// only be a replay; it is dropped (Heartbeat 3.0.6 drops an old status
	// silently, and takes any other such packet for a new sequence).
	MsgStale = "stale packet from dead node %s (replay?)"
	// MsgGenerationBack is hbd's own: a dead node speaks again with a
	// lower generation in a status sent after its last packet (a rollback
	// of its generation file, or a forged generation now silent).
	MsgGenerationBack = "node %s: generation went back from %d to %d in a status sent after its last one: taken for a restart"
)

// LevelCrit is Heartbeat's CRIT priority, above slog's ERROR
// (daemon.LevelCrit).
const LevelCrit = slog.LevelError + 4

// Line is one log line of a replay decision with the level it is logged
// at: Heartbeat's priority for should_drop_message's lines.
type Line struct {
	Level slog.Level
	Text  string
}

// lineLevels are the levels of the formats not logged at INFO; line sets
// each Line's Level from its format.
var lineLevels = map[string]slog.Level{
	MsgPartition:    LevelCrit,
	MsgReplayAttack: slog.LevelError,
	MsgLostALot:     slog.LevelError,
	MsgLostPackets:  slog.LevelWarn,
	MsgDuplicate:    slog.LevelDebug,
}

// line formats a Line at its format's level.
func line(format string, args ...any) Line {
	lvl, ok := lineLevels[format]
	if !ok {
		lvl = slog.LevelInfo
	}
	return Line{Level: lvl, Text: fmt.Sprintf(format, args...)}
}
