//go:build interop

// Package interop is the mixed-cluster lab (build tag interop, root only,
// test/interop/run.sh): one node runs Debian's real Heartbeat 3.0.6
// (package heartbeat 1:3.0.6-13+b2), the other our bin/hbd, in one cluster.
//
//	        switch netns: br0 (eth0, LAN, VIP)        br1 (eth1, heartbeat only; tcpdump here)
//	node1 netns  eth0 192.0.2.1/24   eth1 198.51.100.1/24   preferred node of the VIP group
//	node2 netns  eth0 192.0.2.2/24   eth1 198.51.100.2/24
//	haresources: node1 IPaddr::192.0.2.100/24/eth0/192.0.2.255
//
// Each node runs in a sandbox (sandbox.go): "ip netns exec NODE unshare
// --mount --uts --ipc --pid --fork --kill-child --mount-proc" with private
// propagation. Its init, a shell, sets the hostname (uname -n is the node
// name), mounts a tmpfs over /run, bind-mounts a logging stub over every
// reboot/shutdown/halt/poweroff/init target (inside that mount namespace
// only) and refuses to start unless each of those paths now is the stub;
// a Heartbeat node also gets its own /etc/ha.d and /var/lib/heartbeat
// (bind mounts of the node's directory). The init runs the daemon and waits
// for it and its children. Kill9 sends SIGKILL to the init, which ends the
// whole pid namespace at once; if the test binary dies, Pdeathsig and
// --kill-child do the same, so no heartbeat process survives a test.
// Commands (cl_status, hb_standby, hbd status|standby, heartbeat -k) run
// inside the sandbox with nsenter.
//
// Observations: address changes of both nodes (netlink, stamped on
// receipt), each side's view of the other (cl_status on Heartbeat, hbd
// status --json on hbd), log files, and the heartbeat link's traffic
// decoded from the netstring wire format (capture.go), which is also how
// a test waits for "t=resource isstable=1" before a standby.
//
// harness_test.go proves the harness with two real Heartbeat nodes (and
// makes Heartbeat call /sbin/reboot -nf after a failed stop, which only
// the stub sees); interop_test.go holds the mixed scenarios with both role
// assignments; upgrade_test.go the rolling upgrade and rollback of
// docs/migration.md.
package interop
