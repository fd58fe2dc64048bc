package lab

import (
	"testing"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// ARPEvent is one ARP frame seen by the client (netlab's watcher).
type ARPEvent = netlab.ARPEvent

// watchARP records every ARP frame that reaches link in ns into ev until
// t's cleanup.
func watchARP(t testing.TB, ns *NS, link string, ev *Events[ARPEvent]) {
	t.Helper()
	netlab.WatchARP(t, ns, link, ev)
}
