package netlab

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// AddrEvent is one address change in a node, as the kernel announced it.
type AddrEvent struct {
	At     time.Time    // when the watcher received it
	Node   string       // node name
	Link   string       // interface name ("eth0")
	Prefix netip.Prefix // address and prefix length
	Added  bool         // false: deleted
}

// String renders the event for logs: "node2 +192.0.2.100/24 eth0 @15:04:05.000".
func (e AddrEvent) String() string {
	sign := "-"
	if e.Added {
		sign = "+"
	}
	return fmt.Sprintf("%s %s%s %s @%s", e.Node, sign, e.Prefix, e.Link, e.At.Format("15:04:05.000"))
}

// WatchAddrs subscribes to the address changes in ns and adds them, named
// for node, to ev until t's cleanup. The IPv4 addresses present when it
// returns have been added to ev as additions first. A netlink error of
// the subscription fails the test in the cleanup.
func WatchAddrs(t testing.TB, ns *NS, node string, ev *Events[AddrEvent]) {
	t.Helper()
	idx, err := ns.LinkIndexes()
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan netlink.AddrUpdate, 64)
	done := make(chan struct{})
	var closing atomic.Bool
	errs := make(chan error, 1)
	opts := netlink.AddrSubscribeOptions{
		Namespace: &ns.h,
		ErrorCallback: func(err error) {
			if closing.Load() {
				return // the receive error of the socket closed by done
			}
			select {
			case errs <- err:
			default:
			}
		},
	}
	if err := netlink.AddrSubscribeWithOptions(ch, done, opts); err != nil {
		t.Fatalf("subscribe to addresses in %s: %v", ns.Name, err)
	}
	// Listing after subscribing misses nothing; a change in between may
	// appear twice, which Holders tolerates.
	present, err := ns.Addrs()
	if err != nil {
		close(done)
		t.Fatal(err)
	}
	now := time.Now()
	for link, ps := range present {
		for _, p := range ps {
			ev.Add(AddrEvent{At: now, Node: node, Link: link, Prefix: p, Added: true})
		}
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for u := range ch { // closed by netlink after done
			p, ok := PrefixOf(u.LinkAddress)
			if !ok {
				continue
			}
			ev.Add(AddrEvent{At: time.Now(), Node: node, Link: idx[u.LinkIndex], Prefix: p, Added: u.NewAddr})
		}
	}()
	t.Cleanup(func() {
		closing.Store(true)
		close(done)
		<-finished
		select {
		case err := <-errs:
			t.Errorf("address watch in %s: %v", ns.Name, err)
		default:
		}
	})
}

// Holders folds address events into the set of nodes holding addr at the
// end of evs.
func Holders(evs []AddrEvent, addr netip.Addr) map[string]bool {
	h := map[string]bool{}
	for _, e := range evs {
		if e.Prefix.Addr() != addr {
			continue
		}
		if e.Added {
			h[e.Node] = true
		} else {
			delete(h, e.Node)
		}
	}
	return h
}
