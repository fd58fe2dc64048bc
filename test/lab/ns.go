package lab

import (
	"net/netip"
	"testing"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// The lab's namespaces, timelines and address events are test/netlab's.
type (
	// NS is a network namespace of the lab (see netlab.NS).
	NS = netlab.NS
	// Events is a timeline that watchers add to and tests wait on (see
	// netlab.Events).
	Events[E any] = netlab.Events[E]
	// AddrEvent is one address change in a node (see netlab.AddrEvent).
	AddrEvent = netlab.AddrEvent
)

// NamePrefix starts the name of every namespace the lab creates (run.sh
// looks for leftovers by it).
const NamePrefix = "hbl-"

// NewNS creates a network namespace named NamePrefix+label+"-"+6 random hex
// digits, brings its loopback up, and deletes it in t.Cleanup (which also
// deletes every link inside it).
func NewNS(t testing.TB, label string) *NS {
	t.Helper()
	return netlab.New(t, netlab.RandomName(NamePrefix, label))
}

// Holders folds address events into the set of nodes holding addr at the
// end of evs.
func Holders(evs []AddrEvent, addr netip.Addr) map[string]bool { return netlab.Holders(evs, addr) }
