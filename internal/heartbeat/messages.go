package heartbeat

// User-visible log text. Heartbeat 3.0.6 users grep their logs for these
// lines, so they keep Heartbeat's exact words (style.md §1.7); each one is
// pinned by TestMessages. Format verbs are filled by the functions that use
// them; the source of every line is named beside it.
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
	// MsgStale is our reason for the silent drop of an old status from a
	// dead node (should_drop_message returns DROPIT without a log line).
	MsgStale = "stale status from dead node %s"

	// MsgInitialAcquisition is AnnounceTakeover (hb_resource.c).
	MsgInitialAcquisition = "Initial resource acquisition complete (%s)"
	// MsgRemoteTransition is process_resources (hb_resource.c).
	MsgRemoteTransition = "remote resource transition completed."
	// MsgLocalTransition is polled_input_dispatch (heartbeat.c).
	MsgLocalTransition = "local resource transition completed."
	// MsgLocalAcquisitionNone is req_our_resources (hb_resource.c).
	MsgLocalAcquisitionNone = "Local Resource acquisition completed. (none)"
	// MsgResourcesAcquired is takeover_from_node (hb_resource.c).
	MsgResourcesAcquired = "Resources being acquired from %s."
	// MsgDeadGaveUp is hb_rsc_recover_dead_resources (hb_resource.c).
	MsgDeadGaveUp = "Dead node %s gave up resources."
	// MsgMachDownComplete is process_resources (hb_resource.c).
	MsgMachDownComplete = "mach_down takeover complete."
	// MsgCancelStandby is hb_rsc_recover_dead_resources (hb_resource.c).
	MsgCancelStandby = "Cancelling pending standby operation"
	// MsgWantsStandby is ask_for_resources (hb_resource.c): node, set.
	MsgWantsStandby = "%s wants to go standby [%s]"
	// MsgStandbyCanTake is ask_for_resources (hb_resource.c): node, set.
	MsgStandbyCanTake = "standby: %s can take our %s resources"
	// MsgStandbyAcquire is ask_for_resources (hb_resource.c): set, node.
	MsgStandbyAcquire = "standby: acquire [%s] resources from %s"
	// MsgLocalStandbyDone is ask_for_resources (hb_resource.c).
	MsgLocalStandbyDone = "Local standby process completed [%s]."
	// MsgStandbyAcquired is ask_for_resources (hb_resource.c).
	MsgStandbyAcquired = "Standby resource acquisition done [%s]."
	// MsgOtherStandbyDone is ask_for_resources (hb_resource.c).
	MsgOtherStandbyDone = "Other node completed standby takeover of %s resources."
	// MsgStandbyTimeout is process_clustermsg (heartbeat.c).
	MsgStandbyTimeout = "No reply to standby request.  Standby request cancelled."
	// MsgStandbyInProgress is ask_for_resources (hb_resource.c): node, seconds.
	MsgStandbyInProgress = "Standby in progress- new request from %s ignored [%d seconds left]"
	// MsgStandbyOtherFlux is ask_for_resources (hb_resource.c): info, node.
	MsgStandbyOtherFlux = "standby message [%s] from %s ignored.  Other side is in flux."
	// MsgStandbyLocalFlux is ask_for_resources (hb_resource.c): info, node.
	MsgStandbyLocalFlux = "standby message [%s] from %s ignored.  local resources in flux."
	// MsgStandbyIgnored is ask_for_resources (hb_resource.c): info, node, state.
	MsgStandbyIgnored = "Ignored standby message '%s' from %s in state %d"
	// MsgStandbyLegacy is ask_for_resources (hb_resource.c).
	MsgStandbyLegacy = "Standby mode only implemented when nice_failback on"
	// MsgShutdownNotice is HBDoMsg_T_SHUTDONE (hb_resource.c).
	MsgShutdownNotice = "Received shutdown notice from '%s'."
	// MsgShutdownDelayed is hb_giveup_resources (hb_resource.c).
	MsgShutdownDelayed = "Shutdown delayed until current resource activity finishes."
	// MsgGivingUp is hb_giveup_resources (hb_resource.c).
	MsgGivingUp = "Giving up all HA resources."
	// MsgRelinquished is hb_giveup_resources (hb_resource.c).
	MsgRelinquished = "All HA resources relinquished."
	// MsgBothOwnLocal is AuditResources (hb_resource.c).
	MsgBothOwnLocal = "Both machines own our resources!"
	// MsgBothOwnForeign is AuditResources (hb_resource.c).
	MsgBothOwnForeign = "Both machines own foreign resources!"

	// MsgNoOneOwnsLocal is AuditResources (hb_resource.c); hbd then takes
	// the orphaned local groups.
	MsgNoOneOwnsLocal = "No one owns our local resources!"

	// MsgSplitKeep is hbd's own line (Heartbeat restarts instead): the
	// preferred node keeps a group both nodes hold. Group, preferred node.
	MsgSplitKeep = "split brain: both nodes hold group %s; keeping it (preferred node %s)"
	// MsgSplitRelease is hbd's own line: the other node releases it quietly.
	MsgSplitRelease = "split brain: both nodes hold group %s; releasing it to preferred node %s"
	// MsgStartFailed is hbd's own line for a failed group start.
	MsgStartFailed = "resource group %s failed to start; giving it up"
	// MsgNotStarted is hbd's own reason for R1 messages before comm is up.
	MsgNotStarted = "ignored %s: resource management not started"
)
