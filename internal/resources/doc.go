// Package resources parses haresources, acquires and releases resource
// groups the way Heartbeat's ResourceManager does (left to right, right to
// left, rollback on a failed start, retried stops), and runs resources
// through Agents: the built-in IPaddr, IPaddr2, IPaddrDR, LVSSyncDaemonSwap
// and ldirectord agents, and resource.d and init.d scripts.
//
// Standby roles (hbd's own, docs/connection-sync.md): an agent that
// implements Preparer has something every node runs while it does not hold
// the group: LVSSyncDaemonSwap the backup sync daemon, IPaddrDR the VIP on
// lo. Manager.Prepare puts them in place at hbd's start, Start and Stop
// switch roles, Manager.Retire removes them when hbd stops. A HandOverer
// asks the engine to delay a planned move until the peer has been up long
// enough (Manager.HandOverDelay); a Describer adds status details.
//
// Monitoring (hbd's own; Heartbeat v1 never monitored resources): while a
// group runs, Manager.Monitor checks the Status of its built-in resources
// (IPaddr, IPaddr2: the address list; ldirectord: its pid file and /proc,
// no exec) and starts again those that stopped; the engine calls it every
// few seconds and decides when to give up. resource.d and init.d scripts
// are not monitored: their status output is unreliable (see Monitored).
//
// VIP effects have one owner, this package: the IPaddr, IPaddr2 and
// IPaddrDR agents add and remove the addresses, one VIPAnnouncer
// (announce.go) runs at most one gratuitous ARP burst per VIP with the
// burst of its agent kind, and Manager.Reannounce (a group kept after a
// split brain) and Manager.Sweep (a killed predecessor's VIPs at start)
// are the group-level effects hbd's engine asks for.
//
// Pure files: haresources.go (the parser), ipspec.go (IPaddr arguments,
// findif), lvssync_spec.go (LVSSyncDaemonSwap arguments). Group logic,
// which reaches resources only through the Agent interface but is not
// pure (it waits between stop retries and guards its agents with a
// mutex): plan.go, standby.go and monitor.go; announce.go is the
// VIPAnnouncer (a goroutine per burst) and the group-level Reannounce and
// Sweep.
// Effect files: netlink.go (addresses and routes), garp.go (gratuitous
// ARP), script.go (exec), sysctl.go (/proc/sys), ldirectord.go (the
// built-in ldirectord agent: exec to start and stop, a pid file read for
// status). ipaddr.go and ipaddrdr.go hold the VIP agents, which reach the
// kernel only through the Addrs and Sysctls interfaces and the network
// only through the VIPAnnouncer (announce.go, over the Announcer);
// lvssync.go the sync-daemon agent, through SyncDaemons
// (ipvs.SyncNetlink) and Sysctls. Nothing here exits, panics or reboots: a stop that
// cannot be completed is reported in Result.StuckRunning and the caller
// decides.
//
// Size: about 3,200 lines, over the ~2,000 guide: it holds every resource
// agent hbd runs (IPaddr, IPaddr2, IPaddrDR, LVSSyncDaemonSwap,
// ldirectord, scripts) beside the group logic they share, because an
// agent is resolved from a haresources entry and the Manager keeps it
// across start, monitor and stop; each agent is a file of 100-300 lines
// and its effects sit behind the Addrs, Announcer, Sysctls and
// SyncDaemons interfaces.
package resources
