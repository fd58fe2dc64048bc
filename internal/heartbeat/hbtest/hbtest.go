// Package hbtest is an in-memory network for heartbeat engine tests: every
// node gets an Endpoint (a heartbeat.Transport), links with the same name
// form one segment, and the test can cut, heal, drop, delay and duplicate
// traffic, or inject forged datagrams. It uses channels and timers only, so
// it runs inside testing/synctest bubbles with virtual time. It is for
// tests only.
package hbtest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

// inboxSize bounds the datagrams queued for one endpoint; more are dropped,
// as a full socket buffer drops them.
const inboxSize = 4096

// maxFrames bounds the frames Net remembers per sender.
const maxFrames = 2000

// Frame is one datagram as sent.
type Frame struct {
	From string // sending node
	Link string
	Buf  []byte
}

type dirKey struct{ from, to, link string }

type nodeLink struct{ node, link string }

// Net is the in-memory network. Its methods are safe for concurrent use.
type Net struct {
	mu      sync.Mutex
	eps     map[string]*Endpoint
	index   map[string]int // node -> stable number for addresses
	links   map[string]int // link -> stable number for addresses
	cut     map[nodeLink]bool
	drop    map[dirKey]bool
	delay   map[string]time.Duration
	dup     map[string]int
	frames  map[string][]Frame
	counter map[string]int // delivered datagrams per receiving node
}

// NewNet returns an empty network.
func NewNet() *Net {
	return &Net{eps: map[string]*Endpoint{}, index: map[string]int{}, links: map[string]int{},
		cut: map[nodeLink]bool{}, drop: map[dirKey]bool{}, delay: map[string]time.Duration{},
		dup: map[string]int{}, frames: map[string][]Frame{}, counter: map[string]int{}}
}

// Endpoint is one node's attachment to the network: a heartbeat.Transport.
type Endpoint struct {
	net   *Net
	node  string
	links []string
	inbox chan heartbeat.Packet
}

var _ heartbeat.Transport = (*Endpoint)(nil)

// Endpoint attaches node to the named links and returns its transport. A
// second call for the same node (a restarted process) replaces the first
// endpoint; the old one receives nothing more.
func (n *Net) Endpoint(node string, links ...string) *Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.index[node]; !ok {
		n.index[node] = len(n.index) + 1
	}
	for _, l := range links {
		if _, ok := n.links[l]; !ok {
			n.links[l] = len(n.links)
		}
	}
	ep := &Endpoint{net: n, node: node, links: slices.Clone(links), inbox: make(chan heartbeat.Packet, inboxSize)}
	n.eps[node] = ep
	return ep
}

// Addr is the address node has on link: 10.0.<link>.<node>:694.
func (n *Net) Addr(node, link string) netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.addr(node, link)
}

func (n *Net) addr(node, link string) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(n.links[link]), byte(n.index[node])}), 694)
}

// Cut disconnects node from link in both directions (a pulled cable).
func (n *Net) Cut(node, link string) { n.setCut(node, link, true) }

// Heal reconnects node to link.
func (n *Net) Heal(node, link string) { n.setCut(node, link, false) }

func (n *Net) setCut(node, link string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[nodeLink{node, link}] = on
}

// Drop drops (on) or passes (off) datagrams from one node to another on
// link: a one-way fault.
func (n *Net) Drop(from, to, link string, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.drop[dirKey{from, to, link}] = on
}

// Delay delays every datagram on link by d (0 = deliver at once).
func (n *Net) Delay(link string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.delay[link] = d
}

// Duplicate delivers every datagram on link copies extra times.
func (n *Net) Duplicate(link string, copies int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dup[link] = copies
}

// Frames returns the datagrams node has sent (the last 2000), in order.
func (n *Net) Frames(node string) []Frame {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.frames[node])
}

// Delivered returns how many datagrams node's endpoint has been given.
func (n *Net) Delivered(node string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.counter[node]
}

// Inject delivers buf to node on link as if from sender, bypassing cuts
// and drops (a forged or replayed datagram).
func (n *Net) Inject(sender, to, link string, buf []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	ep, ok := n.eps[to]
	if !ok {
		return fmt.Errorf("inject to %s: no such node", to)
	}
	n.deliver(ep, link, n.addr(sender, link), buf)
	return nil
}

// deliver queues one datagram; n.mu is held.
func (n *Net) deliver(ep *Endpoint, link string, from netip.AddrPort, buf []byte) {
	p := heartbeat.Packet{Link: link, From: from, Buf: slices.Clone(buf), At: time.Now()}
	select {
	case ep.inbox <- p:
		n.counter[ep.node]++
	default:
	}
}

// Links implements heartbeat.Transport.
func (e *Endpoint) Links() []string { return slices.Clone(e.links) }

// Send implements heartbeat.Transport: buf goes to every other node
// attached to link, unless cut or dropped, after the link's delay and as
// many times as its duplication says.
func (e *Endpoint) Send(link string, buf []byte) error {
	n := e.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(e.links, link) {
		return fmt.Errorf("sending on %s: %s has no such link", link, e.node)
	}
	fr := append(n.frames[e.node], Frame{From: e.node, Link: link, Buf: slices.Clone(buf)})
	if len(fr) > maxFrames {
		fr = fr[len(fr)-maxFrames:]
	}
	n.frames[e.node] = fr
	if n.eps[e.node] != e || n.cut[nodeLink{e.node, link}] {
		return nil
	}
	from := n.addr(e.node, link)
	for name, to := range n.eps {
		if name == e.node || !slices.Contains(to.links, link) ||
			n.cut[nodeLink{name, link}] || n.drop[dirKey{e.node, name, link}] {
			continue
		}
		for range 1 + n.dup[link] {
			if d := n.delay[link]; d > 0 {
				b := slices.Clone(buf)
				time.AfterFunc(d, func() {
					n.mu.Lock()
					defer n.mu.Unlock()
					if n.eps[name] == to && !n.cut[nodeLink{name, link}] {
						n.deliver(to, link, from, b)
					}
				})
				continue
			}
			n.deliver(to, link, from, buf)
		}
	}
	return nil
}

// Receive implements heartbeat.Transport.
func (e *Endpoint) Receive(ctx context.Context, out chan<- heartbeat.Packet) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-e.inbox:
			select {
			case out <- p:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
