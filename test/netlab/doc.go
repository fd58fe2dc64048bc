// Package netlab is the one copy of the plumbing that the root-only
// network-namespace labs share: test/lab (hbd pair), test/interop (hbd
// beside Debian's Heartbeat), bench/failover (which drives test/interop),
// test/vm/vmnet (the director labs inside the IPVS VM) and test/e2e.
//
// It owns:
//   - NS (ns.go, netlink.go): a named network namespace, created on a
//     locked OS thread and deleted in t.Cleanup with every link in it;
//     running code (Do), sockets and programs in it; links (veth pairs,
//     bridges and their ports, dummies), addresses and routes.
//   - Pair (pair.go): the two-node heartbeat wiring and its
//     documentation-range addresses (RFC 5737): a switch namespace with
//     br0 (link 0, the LAN) and br1 (link 1, heartbeat only) and a
//     namespace per node plugged into both; Cut and Heal a node's port.
//   - Cluster, Auth, HaResources (hacf.go): the lab's ha.cf, authkeys and
//     haresources text.
//   - Events (events.go) and AddrEvent, WatchAddrs (addrs.go): append-only
//     timelines that watcher goroutines feed and tests wait on.
//   - ReadFiles, CountLines, WaitLines, Tail (logs.go): bounded waiting
//     for log lines.
//   - Proc, OpenOutput, RepoBinary (proc.go): a started program, its exit,
//     and signals to it.
//
// What it must not do: send traffic anywhere but inside the namespaces a
// test created, leave anything behind after a test (every namespace,
// watcher and process is registered with t.Cleanup, also on failure), or
// wait without a bound. Functions taking a testing.TB must be called from
// the test goroutine (they call t.Fatal); the methods of NS return errors
// and are safe from any goroutine.
//
// The name is netlab rather than netns so that it does not shadow
// github.com/vishvananda/netns, which this package and its callers import,
// and because it holds more than namespaces (timelines, log waits,
// processes).
package netlab
