// Package lab is the two-node network-namespace lab for hbd (make test-lab,
// build tag lab, root only). It builds, per test, a throwaway network out of
// namespaces, runs the real bin/hbd in each node and observes what a client
// on the LAN would see:
//
//	        switch netns: br0 (link0, LAN)            br1 (link1, heartbeat only)
//	          |node1-eth0  |node2-eth0  |client-eth0    |node1-eth1  |node2-eth1
//	node1 netns eth0 192.0.2.1/24   eth1 198.51.100.1/24
//	node2 netns eth0 192.0.2.2/24   eth1 198.51.100.2/24
//	client netns eth0 192.0.2.50/24                 VIP 192.0.2.100/24 on eth0
//
// Every address is a documentation range (RFC 5737) that exists only inside
// the lab's own namespaces. Namespace names are a prefix plus a random
// suffix, so runs never collide. Everything a test creates (namespaces with
// every link in them, hbd processes, watchers) is removed in t.Cleanup, also
// when the test fails; every wait is bounded by a deadline.
//
// The pieces (the namespace, wiring, timeline, log and process plumbing
// is test/netlab's, shared with test/interop):
//   - NS, NewNS (ns.go): a netlab.NS named with the lab's prefix "hbl-".
//   - Lab, Node (topo.go): the topology above (a netlab.Pair plus the
//     client); Cut and Heal take a node's switch port down and up (carrier
//     loss on the node's interface).
//   - Node.Start, Node.Kill9, Node.Stop, Node.HBD (proc.go): bin/hbd run in
//     the node's netns and in a UTS namespace whose hostname is the node
//     name, with its own confdir, rundir and statedir under t.TempDir().
//     Its output and log file are dumped when the test fails.
//   - Cluster (config.go): ha.cf, authkeys and haresources text.
//   - Events and AddrEvent (netlab), ARPEvent (netlab arp.go), WireEvent
//     (wire.go): the timeline. Address changes of every node come from a netlink
//     subscription per node; ARP frames come from an AF_PACKET socket in
//     the client. Both are stamped on receipt.
//
// The scenarios are lab_test.go; harness_test.go tests the harness itself
// without hbd.
package lab
