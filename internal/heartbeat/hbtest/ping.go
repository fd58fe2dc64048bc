package hbtest

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

// Pinger is an in-memory heartbeat.Pinger: an address marked up answers
// every echo request with its data, as a host's kernel does; any other
// address never answers. Forged replies can be injected. Its methods are
// safe for concurrent use; create it inside the synctest bubble that uses
// it.
type Pinger struct {
	mu      sync.Mutex
	up      map[netip.Addr]bool
	replies chan heartbeat.Echo
	sent    map[netip.Addr]int
}

var _ heartbeat.Pinger = (*Pinger)(nil)

// NewPinger returns a Pinger with every address down.
func NewPinger() *Pinger {
	return &Pinger{up: map[netip.Addr]bool{}, replies: make(chan heartbeat.Echo, inboxSize), sent: map[netip.Addr]int{}}
}

// SetUp makes addr answer (true) or stay silent (false).
func (p *Pinger) SetUp(addr netip.Addr, up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up[addr] = up
}

// Sent returns how many echo requests went to addr.
func (p *Pinger) Sent(addr netip.Addr) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[addr]
}

// Inject delivers a reply that no request asked for (a forgery).
func (p *Pinger) Inject(e heartbeat.Echo) { p.deliver(e) }

// Ping implements heartbeat.Pinger.
func (p *Pinger) Ping(dst netip.Addr, payload []byte) error {
	p.mu.Lock()
	p.sent[dst]++
	up := p.up[dst]
	p.mu.Unlock()
	if up {
		p.deliver(heartbeat.Echo{From: dst, Payload: slices.Clone(payload), At: time.Now()})
	}
	return nil
}

// deliver queues a reply; a full queue drops it, as a socket buffer would.
func (p *Pinger) deliver(e heartbeat.Echo) {
	select {
	case p.replies <- e:
	default:
	}
}

// Receive implements heartbeat.Pinger.
func (p *Pinger) Receive(ctx context.Context, out chan<- heartbeat.Echo) error {
	for {
		select {
		case e := <-p.replies:
			select {
			case out <- e:
			case <-ctx.Done():
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}
