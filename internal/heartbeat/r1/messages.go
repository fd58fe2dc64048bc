package r1

import "log/slog"

// User-visible log text. Heartbeat 3.0.6 users grep their logs for these
// lines, so they keep Heartbeat's exact words (style.md §1.7); each one is
// pinned by TestMessages. Format verbs are filled by the functions that use
// them; the source of every line is named beside it.
const (
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
	// MsgRunningFailed is hbd's own line: the engine's resource monitor
	// gave up restarting a resource of the running group. Group.
	MsgRunningFailed = "resource group %s failed while running; stopping it and giving it up"
	// MsgNotStarted is hbd's own reason for R1 messages before comm is up.
	MsgNotStarted = "ignored %s: resource management not started"

	// MsgTakeoverRequested is hbd's own: a local hb_takeover sent to the peer. Set.
	MsgTakeoverRequested = "hb_takeover %s requested"
	// MsgStandbyShutdown is ask_for_resources' debug line (hb_resource.c).
	MsgStandbyShutdown = "standby request ignored during shutdown"
	// MsgSentStarting is hbd's own: t=starting sent at comm up. Peer.
	MsgSentStarting = "sent starting to %s"
	// MsgAskingLocal is hbd's own: legacy t=ip-request for each local group. Peer.
	MsgAskingLocal = "asking %s for our local resource groups"
	// MsgPeerAliveAgain is hbd's own: the peer is heard again. Peer, held set.
	MsgPeerAliveAgain = "%s is alive again: announcing held resources [%s]"
	// MsgStaleR1 is hbd's own (improvement 3). Type, peer, seq, last seq.
	MsgStaleR1 = "ignored stale %s from %s (seq %d < %d)"
	// MsgIPRequestResp is hbd's own: rc.d/ip-request-resp's acquisition. Group, weown.
	MsgIPRequestResp = "received ip-request-resp %s OK %t"
	// MsgPeerStarting is hbd's own: answer to t=starting. Peer, held set.
	MsgPeerStarting = "%s is starting: sent held resources [%s]"
	// MsgBothStarting is hbd's own (improvement 6): both nodes started
	// together and the peer holds nothing. Peer.
	MsgBothStarting = "%s is starting too and holds nothing: taking our local resource groups without waiting"
	// MsgHandshakeAbandoned is hbd's own (improvement 5). Peer.
	MsgHandshakeAbandoned = "%s is in no standby handshake: standby handshake abandoned"
	// MsgSplitOver is hbd's own: the split-brain loser let go. Peer, group.
	MsgSplitOver = "split brain over: %s released group %s"
	// MsgIPRequestNotOurs is hbd's own: rc.d/ip-request for a group not held. Group.
	MsgIPRequestNotOurs = "ip-request %s: not ours"
	// MsgIPRequestGiving is hbd's own: rc.d/ip-request for a held group. Group, peer.
	MsgIPRequestGiving = "ip-request %s: giving it up to %s"
	// MsgFailedNotHanded is hbd's own: a failed start with no peer. Peer.
	MsgFailedNotHanded = "failed group not handed over: %s is not alive"
	// MsgHandingFailed is hbd's own: legacy hand-over of a failed group. Group, peer.
	MsgHandingFailed = "handing failed group %s to %s"
	// MsgFailbackDelayed is PerformAutoFailback (hb_resource.c).
	MsgFailbackDelayed = "Auto failback delayed."
	// MsgFailbackTriggered is PerformAutoFailback (hb_resource.c).
	MsgFailbackTriggered = "Auto failback triggered."
	// MsgStopFailed is hbd's own, after the engine's CRIT "Resource STOP
	// failure. Reboot required!": what it does instead of rebooting.
	// Group, peer, retry interval.
	MsgStopFailed = "resource group %s still running after a failed stop: kept held, not released to %s; retrying the stop every %s"
)

// Line is one log line of a Step with the level it is logged at: Heartbeat's
// priority for its lines, hbd's choice for its own.
type Line struct {
	Level slog.Level
	Text  string
}

// lineLevels are the levels of the formats not logged at INFO. logf sets
// each Line's Level from its format, so the engine never reads a level
// back from the finished text.
var lineLevels = map[string]slog.Level{
	MsgBothOwnLocal:   slog.LevelError,
	MsgBothOwnForeign: slog.LevelError,
	MsgNoOneOwnsLocal: slog.LevelError,
	MsgStopFailed:     slog.LevelError,
	MsgSplitKeep:      slog.LevelWarn,
	MsgSplitRelease:   slog.LevelWarn,
	MsgStartFailed:    slog.LevelWarn,
	MsgRunningFailed:  slog.LevelWarn,
	MsgStandbyTimeout: slog.LevelWarn,
	MsgStandbyLegacy:  slog.LevelWarn,
	MsgCancelStandby:  slog.LevelWarn,
}
