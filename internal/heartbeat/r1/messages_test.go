package r1

import "testing"

// TestMessages pins every user-visible line word for word: users grep
// their logs for Heartbeat's wording (style.md §1.7).
func TestMessages(t *testing.T) {
	pins := []struct{ got, want string }{
		{MsgInitialAcquisition, "Initial resource acquisition complete (%s)"},
		{MsgRemoteTransition, "remote resource transition completed."},
		{MsgLocalTransition, "local resource transition completed."},
		{MsgLocalAcquisitionNone, "Local Resource acquisition completed. (none)"},
		{MsgResourcesAcquired, "Resources being acquired from %s."},
		{MsgDeadGaveUp, "Dead node %s gave up resources."},
		{MsgMachDownComplete, "mach_down takeover complete."},
		{MsgCancelStandby, "Cancelling pending standby operation"},
		{MsgWantsStandby, "%s wants to go standby [%s]"},
		{MsgStandbyCanTake, "standby: %s can take our %s resources"},
		{MsgStandbyAcquire, "standby: acquire [%s] resources from %s"},
		{MsgLocalStandbyDone, "Local standby process completed [%s]."},
		{MsgStandbyAcquired, "Standby resource acquisition done [%s]."},
		{MsgOtherStandbyDone, "Other node completed standby takeover of %s resources."},
		{MsgStandbyTimeout, "No reply to standby request.  Standby request cancelled."},
		{MsgStandbyInProgress, "Standby in progress- new request from %s ignored [%d seconds left]"},
		{MsgStandbyOtherFlux, "standby message [%s] from %s ignored.  Other side is in flux."},
		{MsgStandbyLocalFlux, "standby message [%s] from %s ignored.  local resources in flux."},
		{MsgStandbyIgnored, "Ignored standby message '%s' from %s in state %d"},
		{MsgStandbyLegacy, "Standby mode only implemented when nice_failback on"},
		{MsgShutdownNotice, "Received shutdown notice from '%s'."},
		{MsgShutdownDelayed, "Shutdown delayed until current resource activity finishes."},
		{MsgGivingUp, "Giving up all HA resources."},
		{MsgRelinquished, "All HA resources relinquished."},
		{MsgBothOwnLocal, "Both machines own our resources!"},
		{MsgBothOwnForeign, "Both machines own foreign resources!"},
		{MsgNoOneOwnsLocal, "No one owns our local resources!"},
		{MsgSplitKeep, "split brain: both nodes hold group %s; keeping it (preferred node %s)"},
		{MsgSplitRelease, "split brain: both nodes hold group %s; releasing it to preferred node %s"},
		{MsgStartFailed, "resource group %s failed to start; giving it up"},
		{MsgRunningFailed, "resource group %s failed while running; stopping it and giving it up"},
		{MsgNotStarted, "ignored %s: resource management not started"},
		{MsgTakeoverRequested, "hb_takeover %s requested"},
		{MsgStandbyShutdown, "standby request ignored during shutdown"},
		{MsgSentStarting, "sent starting to %s"},
		{MsgAskingLocal, "asking %s for our local resource groups"},
		{MsgPeerAliveAgain, "%s is alive again: announcing held resources [%s]"},
		{MsgStaleR1, "ignored stale %s from %s (seq %d < %d)"},
		{MsgIPRequestResp, "received ip-request-resp %s OK %t"},
		{MsgPeerStarting, "%s is starting: sent held resources [%s]"},
		{MsgBothStarting, "%s is starting too and holds nothing: taking our local resource groups without waiting"},
		{MsgHandshakeAbandoned, "%s is in no standby handshake: standby handshake abandoned"},
		{MsgSplitOver, "split brain over: %s released group %s"},
		{MsgIPRequestNotOurs, "ip-request %s: not ours"},
		{MsgIPRequestGiving, "ip-request %s: giving it up to %s"},
		{MsgFailedNotHanded, "failed group not handed over: %s is not alive"},
		{MsgHandingFailed, "handing failed group %s to %s"},
		{MsgFailbackDelayed, "Auto failback delayed."},
		{MsgFailbackTriggered, "Auto failback triggered."},
		{MsgStopFailed, "resource group %s still running after a failed stop: kept held, not released to %s; retrying the stop every %s"},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("message changed: %q, want %q", p.got, p.want)
		}
	}
}

// TestLineLevels: a Step's lines carry the level their format is logged at
// (the engine once read it back from the text: issue 16 §2).
func TestLineLevels(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{MsgSplitKeep, []any{"g", "node1"}, "WARN"},
		{MsgBothOwnLocal, nil, "ERROR"},
		{MsgStopFailed, []any{"g", "node2", "1s"}, "ERROR"},
		{MsgResourcesAcquired, []any{"node2"}, "INFO"},
	} {
		var o Ownership
		o.logf(tc.format, tc.args...)
		if got := o.reasons[0].Level.String(); got != tc.want {
			t.Errorf("level of %q = %s, want %s", o.reasons[0].Text, got, tc.want)
		}
	}
}
