// Package ipvs holds the identity and value types of the kernel IPVS table
// (virtual services and their real servers), the Kernel interface the
// director reconciles against, and the adapters that talk to the real
// kernel:
//
//   - netlink.go: the service and real-server table over generic netlink,
//     through github.com/moby/ipvs (Netlink, OpenNetlink).
//   - syncnetlink.go: the connection-sync daemon (SyncNetlink: start, stop
//     and list the master and backup daemons) on a generic-netlink socket
//     of its own; moby/ipvs has no daemon commands.
//   - sysctl.go: the IPVS sysctls of a network namespace
//     (/proc/sys/net/ipv4/vs), read and set with the previous value kept.
//   - procnet.go: the connection table (/proc/thread-self/net/ip_vs_conn_sync).
//
// Every adapter works in the network namespace of the calling OS thread
// and reports a kernel without IPVS as ErrNoIPVS.
//
// The types here are plain comparable values, and the other files are
// pure: the director's desired state and diff use them without touching
// the kernel; syncdaemon.go validates a SyncDaemon and encodes and decodes
// the daemon messages, conntable.go parses the connection table text.
package ipvs
