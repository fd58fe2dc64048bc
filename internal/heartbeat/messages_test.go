package heartbeat

import (
	"fmt"
	"testing"
	"time"
)

// TestEngineMessages pins the engine's log lines word for word: the ones
// Heartbeat 3.0.6 writes too must not drift.
func TestEngineMessages(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmt.Sprintf(MsgGeneration, 1795505610), "Heartbeat generation: 1795505610"},
		{fmt.Sprintf(MsgLocalStatus, "active"), "Local status now set to: 'active'"},
		{MsgCommUp, "Comm_now_up(): updating status to active"},
		{fmt.Sprintf(MsgShutdownProgress, 1971), "Heartbeat shutdown in progress. (1971)"},
		{MsgShutdownComplete, "Heartbeat shutdown complete."},
		{fmt.Sprintf(MsgIrretrievable, "node2", 12), "Irretrievably lost packet: node node2 seq 12"},
		{fmt.Sprintf(MsgDropped, "bad auth", "eth1"), "packet dropped: bad auth (link eth1)"},
		{fmt.Sprintf(MsgDroppedMore, 9, "bad auth"), "9 more packets dropped: bad auth"},
		{fmt.Sprintf(MsgConflictingCopy, 12, "node2"), "conflicting copies of seq 12 from node2: delivering both (forged packets?)"},
		{fmt.Sprintf(MsgStopStuck, "g", "x"), "Resource STOP failure. Reboot required! (group g: x)"},
		{fmt.Sprintf(MsgUUIDChanged, "node2"), "node node2 changed its uuid"},
		{fmt.Sprintf(MsgLeftoverAddr, "10.0.0.1/24", "eth0"), "removed 10.0.0.1/24 from eth0: left behind by a previous run, group not held here"},
		{fmt.Sprintf(MsgMonitorGiveUp, "ldirectord::ldirectord.cf", 5, time.Minute, "ldirectord::ldirectord.cf", "node2"),
			"ldirectord::ldirectord.cf is not running: 5 restarts within 1m0s used up; giving group ldirectord::ldirectord.cf up to node2"},
		{fmt.Sprintf(MsgMonitorNoPeer, "IPaddr::10.0.0.1", 5, time.Minute, "node2"),
			"IPaddr::10.0.0.1 is not running: 5 restarts within 1m0s used up; node2 is not alive to take the group, keeping it"},
		{fmt.Sprintf(MsgReloadKeys, 2), "authkeys reloaded: signing with key 2"},
		{fmt.Sprintf(MsgReloadRestart, "udpport", "/etc/ha.d/ha.cf", 12), "ha.cf change of udpport (/etc/ha.d/ha.cf:12) takes effect at the next restart"},
		{fmt.Sprintf(MsgReloadApplied, "keepalive", "2000ms"), "ha.cf reloaded: keepalive 2000ms"},
		{fmt.Sprintf(MsgUcastStarted, 694, "eth1", "10.0.0.2"), "UDP unicast heartbeat started on port 694 interface eth1 to 10.0.0.2"},
		{fmt.Sprintf(MsgBcastStarted, 694, "eth0"), "UDP Broadcast heartbeat started on port 694 interface eth0"},
		{fmt.Sprintf(MsgMcastStarted, "225.0.0.1", 694, "eth0", 1, false), "UDP multicast heartbeat started for group 225.0.0.1 port 694 interface eth0 (ttl=1 loop=false)"},
		{fmt.Sprintf(MsgPingNoFailover, 2), "2 ping node(s): status reported in status and cl_status only; ping loss does not cause failover (ipfail is not enabled)"},
		{fmt.Sprintf(MsgWatchdogUsing, "/dev/watchdog"), "Using watchdog device: /dev/watchdog"},
		{fmt.Sprintf(MsgWatchdogCannot, "/dev/watchdog"), "Cannot open watchdog device: /dev/watchdog"},
		{MsgWatchdogFailed, "Watchdog write failure: closing watchdog device"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
