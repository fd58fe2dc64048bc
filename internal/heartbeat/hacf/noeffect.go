package hacf

// noEffect lists the directives hbd accepts (their values are still
// checked as Heartbeat 3.0.6 checks them) but that change nothing in hbd,
// with the reason. Each one is reported as a warning naming its line, so
// a directive is never silently ignored (issue 12); docs/migration.md's
// ha.cf table lists them as "warning".
var noEffect = map[string]string{
	"conn_logd_time": "hbd has no logd connection to retry (use_logd logs to syslog's daemon facility)",
	"coredumps":      "core dumps are left to the system (ulimit -c, kernel.core_pattern, systemd-coredump)",
	"coreroot":       "core dumps are left to the system (ulimit -c, kernel.core_pattern, systemd-coredump)",
	"compression":    "hbd never compresses: R1 messages stay far below compression_threshold, and Heartbeat 3.0.6 sends them uncompressed too",
	"compression_threshold": "hbd never compresses: R1 messages stay far below compression_threshold, " +
		"and Heartbeat 3.0.6 sends them uncompressed too",
	"traditional_compression": "hbd never compresses: R1 messages stay far below compression_threshold, " +
		"and Heartbeat 3.0.6 sends them uncompressed too",
	"memreserve":            "hbd locks its memory with mlockall (realtime) instead of preallocating memreserve KB",
	"cluster":               "the cluster name is used by Pacemaker and the client API only, which hbd does not provide",
	"use_apphbd":            "apphbd is not provided (use watchdog, or the systemd unit's WatchdogSec)",
	"crm_daemon_dir":        "Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6",
	"crmd_spawns_pengine":   "Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6",
	"record_config_changes": "Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6",
	"record_pengine_inputs": "Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6",
	"enable_config_writes":  "Pacemaker-only; no effect with crm off, as in Heartbeat 3.0.6",
}

// apiClients are Heartbeat API clients that respawn lines start (by the
// base name of their program) and that cannot work with hbd, which has no
// client API: ccm, DRBD's dopd, the SNMP agent hbagent, mgmtd, pingd and
// the Pacemaker daemons. ipfail is the one client hbd provides, built in.
var apiClients = map[string]bool{
	"ccm": true, "dopd": true, "hbagent": true, "mgmtd": true, "pingd": true, "attrd": true,
	"crmd": true, "cib": true, "stonithd": true, "lrmd": true, "tengine": true, "pengine": true, "quorumd": true,
}

// IPfailClient is the API client name (and program base name) of
// Heartbeat's ipfail, which hbd provides built in.
const IPfailClient = "ipfail"
