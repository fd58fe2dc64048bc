// Package vmnet builds throwaway network labs out of network namespaces for
// the tests that run inside the IPVS test VM (test/vm/run.sh, build tag vm),
// where the kernel has IPVS, veth, dummy and bridge.
//
// Everything a test creates here is registered with t.Cleanup and removed
// even when the test fails: namespaces (with every link inside), servers and
// started processes. Tests only ever talk to addresses inside namespaces they
// created (TEST-NET ranges, see Lab).
//
// The building blocks (the namespace and link plumbing is test/netlab's,
// shared with the host labs test/lab and test/interop):
//
//   - NS: a named network namespace (NewNS), a netlab.NS. NS.Do runs a
//     function on a locked OS thread switched into the namespace: sockets
//     created there stay in it for good, which is how Listen, DialContext,
//     ServeHTTP and HTTPClient work, and how an IPVS handle
//     (ipvs.OpenNetlink) is opened in it. NS.Start and NS.Run start
//     programs in it.
//   - Links and addresses: Veth, NS.Bridge, NS.VethToBridge, NS.Dummy,
//     NS.AddAddr, NS.AddRoute, NS.Sysctl.
//   - Lab (NewLab): the standard client / director / real servers topology.
//
// The package itself does not need the VM; on a host without veth or dummy
// (the development host) the link helpers fail the test with the kernel's
// error. Functions taking a testing.TB must be called from the test
// goroutine (they call t.Fatal); NS methods without one return errors and
// are safe from any goroutine.
package vmnet

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// NS is a network namespace created by a test with NewNS. It is a
// netlab.NS (Name, Path, Handle, Do, Start, Run, Sysctl, Listen,
// ListenPacket, DialContext and the error-returning link methods) plus the
// test-failing link helpers of links.go. Its AddAddr and AddRoute take a
// testing.TB and fail the test; they shadow netlab.NS's error-returning
// methods of the same names, which stay reachable as ns.NS.AddAddr.
type NS struct {
	*netlab.NS
}

var nsSeq atomic.Uint32

// NewNS creates a fresh network namespace named after label (plus the pid
// and a sequence number, so parallel tests never collide), brings its
// loopback up, turns IPv6 duplicate address detection off in it, and
// deletes it in t.Cleanup. It fails the test on error.
func NewNS(t testing.TB, label string) *NS {
	t.Helper()
	ns := &NS{netlab.New(t, fmt.Sprintf("%s-%d-%d", label, os.Getpid(), nsSeq.Add(1)))}
	// No IPv6 duplicate address detection: addresses (link-local ones
	// included) are usable at once instead of after about 2 s.
	for _, k := range []string{"net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"} {
		if err := ns.Sysctl(k, "0"); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}
