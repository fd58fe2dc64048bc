package vmnet

import (
	"net/netip"
	"testing"
)

// Veth connects a and b with a veth pair: aName in a, bName in b, both up,
// with the given addresses (zero prefixes are skipped). The links go away
// with their namespaces. It fails the test on error.
func Veth(t testing.TB, a *NS, aName string, aAddr netip.Prefix, b *NS, bName string, bAddr netip.Prefix) {
	t.Helper()
	if err := a.AddVeth(aName, []netip.Prefix{aAddr}, b.NS, bName, []netip.Prefix{bAddr}); err != nil {
		t.Fatal(err)
	}
}

// Bridge creates bridge name in ns, up, with the given addresses.
func (ns *NS) Bridge(t testing.TB, name string, addrs ...netip.Prefix) {
	t.Helper()
	if err := ns.AddBridge(name, addrs...); err != nil {
		t.Fatal(err)
	}
}

// Dummy creates dummy interface name in ns (where a director keeps its
// VIPs), up, with the given addresses.
func (ns *NS) Dummy(t testing.TB, name string, addrs ...netip.Prefix) {
	t.Helper()
	if err := ns.AddDummy(name, addrs...); err != nil {
		t.Fatal(err)
	}
}

// VethToBridge plugs peer into bridge (a bridge in ns made with Bridge)
// through a veth pair: port on the bridge side in ns, peerName inside peer
// with peerAddrs. Both ends are up.
func (ns *NS) VethToBridge(t testing.TB, bridge, port string, peer *NS, peerName string, peerAddrs ...netip.Prefix) {
	t.Helper()
	if err := ns.Plug(bridge, port, peer.NS, peerName, peerAddrs...); err != nil {
		t.Fatal(err)
	}
}

// AddAddr adds address p to link in ns. IPv6 addresses are added with
// IFA_F_NODAD so they are usable at once (no duplicate-address-detection
// wait). The address goes away with the namespace.
func (ns *NS) AddAddr(t testing.TB, link string, p netip.Prefix) {
	t.Helper()
	if err := ns.NS.AddAddr(link, p); err != nil {
		t.Fatal(err)
	}
}

// AddRoute adds a route to dst via gateway gw in ns; an invalid dst (the
// zero netip.Prefix) means the default route of gw's family.
func (ns *NS) AddRoute(t testing.TB, dst netip.Prefix, gw netip.Addr) {
	t.Helper()
	if err := ns.NS.AddRoute(dst, gw); err != nil {
		t.Fatal(err)
	}
}
