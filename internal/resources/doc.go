// Package resources parses haresources, acquires and releases resource
// groups the way Heartbeat's ResourceManager does (left to right, right to
// left, rollback on a failed start, retried stops), and runs resources
// through Agents: the built-in IPaddr, IPaddr2 and ldirectord agents, and
// resource.d and init.d scripts.
//
// Pure files: haresources.go (the parser), ipspec.go (IPaddr arguments,
// findif), plan.go (group logic over the Agent interface). Effect files:
// netlink.go (addresses and routes), garp.go (gratuitous ARP), script.go
// (exec). ipaddr.go holds the IPaddr agents, which reach the kernel only
// through the Addrs and Announcer interfaces. Nothing here exits, panics or
// reboots: a stop that cannot be completed is reported in Result.StuckRunning
// and the caller decides.
package resources
