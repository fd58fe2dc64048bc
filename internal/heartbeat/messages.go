package heartbeat

// Log text of the engine loop (node.go, run.go, recv.go). Lines that
// Heartbeat 3.0.6 also writes keep its words (heartbeat.c); hbd's own lines
// say so. Pinned by TestEngineMessages.
const (
	// MsgGeneration is heartbeat.c's start-up line.
	MsgGeneration = "Heartbeat generation: %d"
	// MsgLocalStatus is heartbeat.c set_local_status.
	MsgLocalStatus = "Local status now set to: '%s'"
	// MsgCommUp is heartbeat.c comm_now_up.
	MsgCommUp = "Comm_now_up(): updating status to active"
	// MsgShutdownProgress is heartbeat.c's SIGTERM handling.
	MsgShutdownProgress = "Heartbeat shutdown in progress. (%d)"
	// MsgShutdownComplete is heartbeat.c hb_mcp_final_shutdown.
	MsgShutdownComplete = "Heartbeat shutdown complete."
	// MsgIrretrievable is heartbeat.c process_rexmit's NAK handling.
	MsgIrretrievable = "Irretrievably lost packet: node %s seq %d"
	// MsgUUIDChanged is heartbeat.c update_tables.
	MsgUUIDChanged = "node %s changed its uuid"
	// MsgLeftoverAddr is hbd's own: an address of a group this node does
	// not hold, left by a killed predecessor, removed at start.
	MsgLeftoverAddr = "removed %s from %s: left behind by a previous run, group not held here"
	// MsgDropped is hbd's own: a received packet was dropped. Reason, link.
	MsgDropped = "packet dropped: %s (link %s)"
	// MsgDroppedMore is hbd's own rate-limited summary: count, reason.
	MsgDroppedMore = "%d more packets dropped: %s"
	// MsgConflictingCopy is hbd's own: two copies of one seq from the
	// peer say different things (someone else holds the key); the later
	// one is delivered too. Node, seq.
	MsgConflictingCopy = "conflicting copies of seq %d from %s: delivering both (forged packets?)"
	// MsgStopStuck is hbd's own CRIT line where Heartbeat reboots
	// (ResourceManager RecoverFromFailedStop).
	MsgStopStuck = "Resource STOP failure. Reboot required! (group %s: %s)"
	// MsgMonitorGiveUp is hbd's own: the resource monitor used up a
	// group's restart budget. Resource, restarts, window, group, peer.
	MsgMonitorGiveUp = "%s is not running: %d restarts within %s used up; giving group %s up to %s"
	// MsgMonitorNoPeer is hbd's own: the same with no live peer to take
	// the group; it stays here and is restarted once the window allows.
	// Resource, restarts, window, peer.
	MsgMonitorNoPeer = "%s is not running: %d restarts within %s used up; %s is not alive to take the group, keeping it"
	// MsgHandOverWait is hbd's own: a planned move waits until the peer
	// has been up long enough for its connection sync (HandOverDelay).
	// Wait, peer, group.
	MsgHandOverWait = "waiting %v before handing over to %s, so its kernel holds our connections: group %s"
	// MsgPrepareFailed and MsgRetireFailed are hbd's own: a standby role
	// (LVSSyncDaemonSwap's backup daemon) could not be set up or removed.
	MsgPrepareFailed = "standby role of group %s not in place: %v"
	MsgRetireFailed  = "standby role of group %s not removed: %v"
	// MsgReloadKeys is hbd's own: authkeys re-read on SIGHUP.
	MsgReloadKeys = "authkeys reloaded: signing with key %d"
	// MsgReloadRestart is hbd's own: an ha.cf change that needs a
	// restart, logged once per change. Directive, file, line.
	MsgReloadRestart = "ha.cf change of %s (%s:%d) takes effect at the next restart"
	// MsgReloadApplied is hbd's own: an ha.cf value applied at once.
	// Directive, new value.
	MsgReloadApplied = "ha.cf reloaded: %s %s"
	// MsgUcastStarted is lib/plugins/HBcomm/ucast.c ucast_open: port,
	// interface, peer.
	MsgUcastStarted = "UDP unicast heartbeat started on port %d interface %s to %s"
	// MsgBcastStarted is lib/plugins/HBcomm/bcast.c bcast_open: port,
	// interface.
	MsgBcastStarted = "UDP Broadcast heartbeat started on port %d interface %s"
	// MsgMcastStarted is lib/plugins/HBcomm/mcast.c mcast_open: group, port,
	// interface, ttl, loop.
	MsgMcastStarted = "UDP multicast heartbeat started for group %s port %d interface %s (ttl=%d loop=%t)"
	// MsgPingNoFailover is hbd's own, at start when ha.cf names ping
	// nodes without the ipfail respawn line: their status is reported, but
	// nothing acts on it.
	MsgPingNoFailover = "%d ping node(s): status reported in status and cl_status only; ping loss does not cause failover (ipfail is not enabled)"
	// MsgIPfailOn is hbd's own: the built-in ipfail announced itself to
	// the peer. Live ping nodes, ping nodes.
	MsgIPfailOn = "ipfail built in: on, %d of %d ping node(s) up; comparing ping node counts with the peer"
	// MsgIPfailRefused is hbd's own: a give-up's standby was refused.
	// Set, reason.
	MsgIPfailRefused = "giveup of %s resources refused: %s"
	// MsgConfigSame, MsgConfigOrder, MsgConfigDiffer and MsgConfigNotHbd
	// are hbd's own: the comparison of the peer's haresources with ours
	// (peerconfig.go).
	MsgConfigSame   = "haresources identical on %s and here (%d group(s))"
	MsgConfigOrder  = "haresources of %s lists the same groups as ours in another order (start order of groups differs)"
	MsgConfigDiffer = "haresources differ from %s's: only here: %s; only on %s: %s"
	MsgConfigNotHbd = "haresources not compared: %s does not run hbd (its client status query answered offline)"
	// MsgWatchdogUsing is heartbeat.c hb_init_watchdog. Device.
	MsgWatchdogUsing = "Using watchdog device: %s"
	// MsgWatchdogCannot is heartbeat.c hb_init_watchdog. Device.
	MsgWatchdogCannot = "Cannot open watchdog device: %s"
	// MsgWatchdogFailed is heartbeat.c hb_tickle_watchdog's failure line.
	MsgWatchdogFailed = "Watchdog write failure: closing watchdog device"
)
