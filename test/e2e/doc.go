// Package e2e is the end-to-end scenario of the whole Ultra Monkey pair
// (issue 7): seeds.md S1, two directors each running the real bin/hbd,
// which starts the real bin/ldirectord through haresources, in front of
// real HTTP servers behind IPVS NAT, with a client sending requests all
// the time. The same scenario drives the vm-tagged end-to-end test
// (TestPair, make test-vm) and the narrated demo (demo/, make demo).
//
// The topology, every box a network namespace, documentation addresses
// only (S1's numbers moved into TEST-NET-3 and TEST-NET-1):
//
//	client 203.0.113.24 ─┐ LAN bridge (switch netns, br-lan)   VIP 203.0.113.10
//	                     ├── test1.com eth0 203.0.113.2   test2.com eth0 203.0.113.3
//	                     │   test1.com eth1 192.0.2.241   test2.com eth1 192.0.2.242
//	web1..web4 ──────────┘ inside bridge (br-in)           INSIDE VIP 192.0.2.240
//	  192.0.2.236..239, default gateway 192.0.2.240 (masq: replies return through the director)
//
// A director is a network namespace plus, per boot, a private mount and
// UTS namespace (held by a "holder" process): hostname test1.com, its own
// /etc/ha.d (bind-mounted from its directory), a fresh tmpfs on /run, its
// own /var/log and /var/lib/hbd. hbd therefore runs with every default
// (`hbd run`), as on a box onto which an operator copied /etc/ha.d, and
// the ldirectord that hbd starts finds /etc/ha.d/ldirectord.cf and keeps
// its pid file in its own /run. Commands are run in a director with
// nsenter into the holder's namespaces. "Power off" kills every process
// in the director's network namespace and takes its switch ports down;
// "power on" is a reboot: its VIPs and IPVS table are cleared (a reboot
// loses both), the ports come up, a new holder starts and hbd with it.
// A reboot is a fresh network namespace: the links move into it, and the
// old kernel state (VIPs, IPVS table and connections, sync daemons,
// sysctls) stays behind, unreachable.
//
// Modes (mode.go): ModeStock is S1 as above; ModeSync replaces ldirectord
// in haresources by LVSSyncDaemonSwap and starts ldirectord on both
// directors at boot (a warm standby); ModeColocatedDR is seed S2, the two
// directors also being the two real servers (DR). The web servers serve
// slow downloads of verifiable content (download.go, slowhttp.go) that a
// step runs through the VIP while a director crashes or the group moves.
//
// The package needs root, network namespaces, veth and bridge, and IPVS
// in the kernel (the test VM of test/vm); the pure parts (configuration
// text, client sample analysis) are tested everywhere.
//
// Size: about 3,800 lines, over the ~2,000 guide: one scenario's
// topology, boot and power cycle of the directors, web servers and
// downloads, client and samples, IPVS reading, and the narrated steps of
// three modes; it is test code, linked into no daemon.
package e2e
