//go:build lab

package lab

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// The hostile-network tools of hostile_test.go (issue 17 §2): a third
// namespace on both links that captures, floods and replays, a lossy relay,
// a one-way cut, an owner watcher and hbd's CPU time.

// Addresses of the extra namespaces, on the LAN and on the heartbeat link.
var (
	attackerAddrs = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.66/24"), netip.MustParsePrefix("198.51.100.66/24")}
	relayAddrs    = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.9/24"), netip.MustParsePrefix("198.51.100.9/24")}
)

// plugBoth creates a namespace labelled label, plugged into both bridges
// with addrs (LAN, heartbeat link).
func plugBoth(t testing.TB, l *Lab, label string, addrs [2]netip.Prefix) *NS {
	t.Helper()
	ns := NewNS(t, label)
	for k, link := range netlab.Links {
		if err := l.Switch.Plug(netlab.Bridges[k], label+"-"+link, ns, link, addrs[k]); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

// udpPayload parses an IPv4 packet and returns the addresses and payload
// of a UDP datagram to HeartbeatPort (first fragment only).
func udpPayload(b []byte) (src, dst netip.Addr, payload []byte, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != unix.IPPROTO_UDP {
		return src, dst, nil, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 || binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 ||
		binary.BigEndian.Uint16(b[ihl+2:ihl+4]) != HeartbeatPort {
		return src, dst, nil, false
	}
	total := min(int(binary.BigEndian.Uint16(b[2:4])), len(b))
	return netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20])), b[ihl+8 : total], true
}

// capture records, for d, the heartbeat datagrams that n's link receives
// from its peer: what anyone on that LAN segment could have recorded.
func capture(t testing.TB, l *Lab, n *Node, link string, d time.Duration) [][]byte {
	t.Helper()
	peer := l.Peer(n)
	srcs := []netip.Addr{peer.LAN.Addr(), peer.HB.Addr()}
	var c *packet.Conn
	err := n.NS.Do(func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, packet.Datagram, unix.ETH_P_IP, nil)
		return err
	})
	if err != nil {
		t.Fatalf("capture on %s %s: %v", n.Name, link, err)
	}
	defer c.Close()
	var out [][]byte
	buf := make([]byte, 65536)
	end := time.Now().Add(d)
	c.SetReadDeadline(end)
	for time.Now().Before(end) {
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		if src, _, p, ok := udpPayload(buf[:k]); ok && slices.Contains(srcs, src) {
			out = append(out, bytes.Clone(p))
		}
	}
	return out
}

// typesOf counts the message types (t=) of captured datagrams.
func typesOf(frames [][]byte) map[string]int {
	out := map[string]int{}
	for _, f := range frames {
		if m, err := wire.Decode(f); err == nil {
			out[m.Type()]++
		}
	}
	return out
}

// Packet kinds of the flood.
const (
	kindJunk      = iota // random bytes
	kindTruncated        // a captured datagram cut short
	kindBitFlip          // a captured datagram with one bit flipped
	kindForged           // a well-formed status from a node, signed with a wrong key
	kindReplay           // a captured datagram as it was
	numKinds
)

var kindNames = [numKinds]string{"junk", "truncated", "bit-flipped", "forged", "replayed"}

// flood sends hostile datagrams from ns to every target as fast as one
// goroutine per target link can, until stop is called; the returned
// counts are per kind.
type flood struct {
	sent    [numKinds]atomic.Uint64
	errs    atomic.Uint64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started time.Time
	stopped time.Time
}

// floodTarget is one link's destinations and the captured packets to
// replay on it.
type floodTarget struct {
	link    string
	dsts    []netip.AddrPort
	capture [][]byte
}

// forgedStatus is a status from node signed with a key nobody uses.
func forgedStatus(node string, seq uint64) []byte {
	m := wire.Status{Status: "active", Deadtime: 500 * time.Millisecond, Protocol: 1}.Message()
	wire.Control{Node: node, Seq: seq, Generation: uint64(time.Now().Unix()), Now: time.Now(), TTL: 3}.Stamp(m)
	buf, err := wire.Sign(m, wire.Auth{Index: 1, Method: wire.SHA1, Key: []byte("not-the-lab-secret")})
	if err != nil {
		panic(err) // a fixed, valid message: cannot fail
	}
	return buf
}

// Kind sets of a flood.
var (
	allKinds   = []int{kindJunk, kindTruncated, kindBitFlip, kindForged, kindReplay}
	replayOnly = []int{kindReplay}
)

// startFlood opens one UDP socket per target in ns and sends from each in
// a tight loop, cycling through kinds and the destinations.
func startFlood(t testing.TB, ns *NS, targets []floodTarget, kinds []int) *flood {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &flood{cancel: cancel, started: time.Now()}
	for i, tg := range targets {
		var conn *net.UDPConn
		err := ns.Do(func() error {
			c, err := net.ListenUDP("udp4", nil)
			conn = c
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		forged := [][]byte{forgedStatus(NodeNames[0], 1), forgedStatus(NodeNames[1], 1)}
		f.wg.Go(func() {
			defer conn.Close()
			rng := rand.New(rand.NewPCG(uint64(i), 17))
			junk := make([]byte, 1500)
			for n := 0; ctx.Err() == nil; n++ {
				kind := kinds[n%len(kinds)]
				var p []byte
				src := tg.capture[rng.IntN(len(tg.capture))]
				switch kind {
				case kindJunk:
					p = junk[:1+rng.IntN(len(junk)-1)]
					for j := range p {
						p[j] = byte(rng.Uint32())
					}
				case kindTruncated:
					p = src[:rng.IntN(len(src))]
				case kindBitFlip:
					p = bytes.Clone(src)
					p[rng.IntN(len(p))] ^= 1 << rng.IntN(8)
				case kindForged:
					p = forged[rng.IntN(len(forged))]
				case kindReplay:
					p = src
				}
				if _, err := conn.WriteToUDPAddrPort(p, tg.dsts[n/len(kinds)%len(tg.dsts)]); err != nil {
					f.errs.Add(1)
					continue
				}
				f.sent[kind].Add(1)
			}
		})
	}
	t.Cleanup(f.stop)
	return f
}

// stop ends the flood and waits for the senders.
func (f *flood) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.wg.Wait()
	f.cancel = nil
	f.stopped = time.Now()
}

// total is the number of datagrams sent.
func (f *flood) total() uint64 {
	var n uint64
	for i := range f.sent {
		n += f.sent[i].Load()
	}
	return n
}

// String renders the counts and the rate.
func (f *flood) String() string {
	end := f.stopped
	if end.IsZero() {
		end = time.Now()
	}
	d := end.Sub(f.started)
	var parts []string
	for i, name := range kindNames {
		parts = append(parts, fmt.Sprintf("%s %d", name, f.sent[i].Load()))
	}
	return fmt.Sprintf("%d datagrams in %.1f s = %.0f/s (%s; send errors %d)",
		f.total(), d.Seconds(), float64(f.total())/d.Seconds(), strings.Join(parts, ", "), f.errs.Load())
}

// cpuTime is a process's user+system CPU time.
func cpuTime(t testing.TB, pid int) time.Duration {
	t.Helper()
	c, err := netlab.ReadCPU(pid)
	if err != nil {
		t.Fatalf("reading hbd's CPU time: %v", err)
	}
	return c.Total()
}

// ownerSample is one look at which nodes hold the VIP.
type ownerSample struct {
	At      time.Time
	Holders []string
}

// ownerWatch samples the VIP's holders (netlink, in each node) every
// Every, from start until stop.
type ownerWatch struct {
	lab     *Lab
	mark    int // the lab's address events before the watch
	mu      sync.Mutex
	samples []ownerSample
	errs    []error
	cancel  context.CancelFunc
	done    chan struct{}
}

// WatchEvery is the owner watcher's sampling period (issue 17 §2).
const WatchEvery = 20 * time.Millisecond

func watchOwners(t testing.TB, l *Lab) *ownerWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &ownerWatch{lab: l, mark: l.Addrs.Len(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(WatchEvery)
		defer tick.Stop()
		for {
			s := ownerSample{At: time.Now(), Holders: []string{}}
			for _, n := range l.Nodes {
				addrs, err := n.NS.Addrs()
				if err != nil {
					w.mu.Lock()
					w.errs = append(w.errs, err)
					w.mu.Unlock()
					continue
				}
				if slices.Contains(addrs[LANLink], VIP) {
					s.Holders = append(s.Holders, n.Name)
				}
			}
			w.mu.Lock()
			w.samples = append(w.samples, s)
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *ownerWatch) stop() {
	w.cancel()
	<-w.done
}

// stableFrom returns the first sample at or after from from which on every
// sample shows exactly one holder; false when the last sample does not.
func (w *ownerWatch) stableFrom(from time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var at time.Time
	for _, s := range w.samples {
		switch {
		case s.At.Before(from):
		case len(s.Holders) != 1:
			at = time.Time{}
		case at.IsZero():
			at = s.At
		}
	}
	return at, !at.IsZero()
}

// window is a stated interval in which the watcher's rule may not hold.
type window struct {
	why      string
	from, to time.Time
}

// check stops the watcher and fails the test for every sample outside
// the windows that does not show exactly one holder. The samples can miss
// a short interval when the host stalls the test binary, so the lab's
// address events (a netlink subscription per node, no gaps) are checked
// by the same rule: each interval between two VIP changes without exactly
// one holder must lie inside a window. It fails when the samples are more
// than maxWatchGap apart (the watcher starved beyond what the events
// cover by themselves).
func (w *ownerWatch) check(t testing.TB, windows ...window) {
	t.Helper()
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, err := range w.errs {
		t.Errorf("owner watcher: %v", err)
	}
	inWindow := func(from, to time.Time) bool {
		return slices.ContainsFunc(windows, func(win window) bool { return !from.Before(win.from) && !to.After(win.to) })
	}
	bad, maxGap := 0, time.Duration(0)
	for i, s := range w.samples {
		if i > 0 {
			maxGap = max(maxGap, s.At.Sub(w.samples[i-1].At))
		}
		if len(s.Holders) == 1 || inWindow(s.At, s.At) {
			continue
		}
		if bad++; bad <= 5 {
			t.Errorf("owner watcher at %s: VIP held by %v, want exactly one owner", s.At.Format("15:04:05.000"), s.Holders)
		}
	}
	if bad > 5 {
		t.Errorf("owner watcher: %d more samples without exactly one owner", bad-5)
	}
	if len(w.samples) < 2 {
		t.Errorf("owner watcher took %d samples", len(w.samples))
		return
	}
	first, end := w.samples[0].At, w.samples[len(w.samples)-1].At
	all := w.lab.Addrs.Since(0)
	holders := Holders(all[:w.mark], VIP.Addr())
	var vipEvs []AddrEvent
	for _, e := range all[w.mark:] {
		if e.Prefix.Addr() == VIP.Addr() && !e.At.After(end) {
			vipEvs = append(vipEvs, e)
		}
	}
	badEvs := 0
	from := first
	for i := 0; i <= len(vipEvs); i++ {
		to := end
		if i < len(vipEvs) {
			to = vipEvs[i].At
		}
		if len(holders) != 1 && to.After(from) && !inWindow(from, to) {
			badEvs++
			t.Errorf("address events: VIP held by %v from %s to %s (%s), want exactly one owner",
				slices.Sorted(maps.Keys(holders)), from.Format("15:04:05.000"), to.Format("15:04:05.000"), ms(to.Sub(from)))
		}
		if i < len(vipEvs) {
			if vipEvs[i].Added {
				holders[vipEvs[i].Node] = true
			} else {
				delete(holders, vipEvs[i].Node)
			}
			from = vipEvs[i].At
		}
	}
	t.Logf("owner watcher: %d samples over %.1f s (every %v, largest gap %s), %d outside windows without exactly one owner; %d VIP changes, %d intervals outside windows without exactly one owner",
		len(w.samples), end.Sub(first).Seconds(), WatchEvery, ms(maxGap), bad, len(vipEvs), badEvs)
	if maxGap > maxWatchGap {
		t.Errorf("owner watcher: samples %s apart, want <= %v", ms(maxGap), maxWatchGap)
	}
}

// maxWatchGap bounds the owner watcher's largest gap: one deadtime of the
// lab's timing. The host (2 vCPUs shared with other work) stalls the test
// binary for up to a few hundred ms; the address events cover the gaps.
const maxWatchGap = 500 * time.Millisecond

// relay forwards the heartbeats between the two nodes through the relay
// namespace, on both links, dropping Loss of them and delaying each by a
// uniform [0, 2*Jitter] (a lossy, jittery network where the host has no
// sch_netem). Each node's ha.cf sends ucast to the relay's address.
//
// Each link is forwarded by one OS thread at SCHED_RR priority 1 (hbd's
// own priority) on blocking sockets, the delayed datagrams in a queue of
// that thread: on a loaded host a Go scheduler stall of the test binary
// would otherwise be a network outage of half a second, and a correct
// failover would count as a false one.
type relay struct {
	Loss   float64
	Jitter time.Duration

	mu      sync.Mutex
	rng     *rand.Rand
	fwd     map[string]uint64 // per direction: forwarded
	lost    map[string]uint64 // per direction: dropped
	seen    map[seqKey]int    // (src node, link, seq) -> times it passed the relay
	rexmits map[string]uint64 // NS_rexmit requests by requesting node
	naks    uint64
	maxGap  time.Duration // the longest the relay went without reading, while running
	notRT   error         // why a relay thread could not run realtime
	stop    atomic.Bool
	wg      sync.WaitGroup
}

type seqKey struct {
	node, link string
	seq        uint64
}

// relayTick bounds how long a relay thread blocks in a read: its timer
// resolution for delayed datagrams is the kernel's, its stop latency this.
const relayTick = 20 * time.Millisecond

// startRelay opens the relay's sockets in ns and forwards until cleanup.
func startRelay(t testing.TB, l *Lab, ns *NS, loss float64, jitter time.Duration) *relay {
	t.Helper()
	r := &relay{Loss: loss, Jitter: jitter, rng: rand.New(rand.NewPCG(1, 7)),
		fwd: map[string]uint64{}, lost: map[string]uint64{}, seen: map[seqKey]int{}, rexmits: map[string]uint64{}}
	n1, n2 := l.Nodes[0], l.Nodes[1]
	for k, link := range netlab.Links {
		var fd int
		err := ns.Do(func() error {
			var err error
			fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrInet4{Port: HeartbeatPort, Addr: relayAddrs[k].Addr().As4()}); err != nil {
				unix.Close(fd)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatalf("relay socket on %s: %v", link, err)
		}
		addr := map[string]netip.Addr{n1.Name: []netip.Prefix{n1.LAN, n1.HB}[k].Addr(), n2.Name: []netip.Prefix{n2.LAN, n2.HB}[k].Addr()}
		r.wg.Go(func() { r.forward(fd, link, addr) })
	}
	t.Cleanup(func() {
		r.stop.Store(true)
		r.wg.Wait()
	})
	return r
}

// delayed is a datagram waiting in the relay for its send time.
type delayed struct {
	due time.Time
	to  unix.SockaddrInet4
	buf []byte
}

// forward relays one link until stop; it owns fd and closes it.
func (r *relay) forward(fd int, link string, addr map[string]netip.Addr) {
	defer unix.Close(fd)
	runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_RR, Priority: 1}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		r.mu.Lock()
		r.notRT = fmt.Errorf("relay on %s: SCHED_RR: %w", link, err)
		r.mu.Unlock()
	}
	var queue []delayed
	buf := make([]byte, 65536)
	last := time.Now()
	for !r.stop.Load() {
		now := time.Now()
		for len(queue) > 0 && !queue[0].due.After(now) {
			unix.Sendto(fd, queue[0].buf, 0, &queue[0].to)
			queue = queue[1:]
		}
		wait := relayTick
		if len(queue) > 0 {
			wait = min(wait, max(queue[0].due.Sub(now), 100*time.Microsecond))
		}
		tv := unix.NsecToTimeval(wait.Nanoseconds())
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		k, from, err := unix.Recvfrom(fd, buf, 0)
		now = time.Now()
		r.mu.Lock()
		r.maxGap = max(r.maxGap, now.Sub(last)-wait)
		r.mu.Unlock()
		last = now
		if err != nil {
			continue // EAGAIN: the timer; EINTR
		}
		sa, ok := from.(*unix.SockaddrInet4)
		if !ok {
			continue
		}
		var src, dst string
		for name, a := range addr {
			if a == netip.AddrFrom4(sa.Addr) {
				src = name
			} else {
				dst = name
			}
		}
		if src == "" {
			continue
		}
		p := bytes.Clone(buf[:k])
		r.mu.Lock()
		dir := src + "->" + dst
		r.note(src, link, p)
		if r.rng.Float64() < r.Loss {
			r.lost[dir]++
			r.mu.Unlock()
			continue
		}
		r.fwd[dir]++
		delay := time.Duration(r.rng.Int64N(int64(2*r.Jitter) + 1))
		r.mu.Unlock()
		d := delayed{due: now.Add(delay), to: unix.SockaddrInet4{Port: HeartbeatPort, Addr: addr[dst].As4()}, buf: p}
		i, _ := slices.BinarySearchFunc(queue, d.due, func(e delayed, due time.Time) int { return e.due.Compare(due) })
		queue = slices.Insert(queue, i, d)
	}
}

// note counts what the relay saw of the sequence protocol: how often each
// seq passed (a second pass on one link is a retransmission), the
// NS_rexmit requests and NS_nak_rexmit answers. r.mu is held.
func (r *relay) note(src, link string, p []byte) {
	m, err := wire.Decode(p)
	if err != nil {
		return
	}
	h, err := wire.ReadHeader(m)
	if err != nil {
		return
	}
	switch {
	case h.HasSeq:
		r.seen[seqKey{src, link, h.Seq}]++
	case h.Type == wire.TRexmit:
		r.rexmits[src]++
	case h.Type == wire.TNakRexmit:
		r.naks++
	}
}

// stats returns, per direction, forwarded and lost datagrams, the
// retransmissions seen (a seq passing one link again) per sender, the
// NS_rexmit requests per requester and the NAKs.
func (r *relay) stats() (fwd, lost, resent, rexmits map[string]uint64, naks uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	resent = map[string]uint64{}
	for k, n := range r.seen {
		if n > 1 {
			resent[k.node] += uint64(n - 1)
		}
	}
	clone := func(m map[string]uint64) map[string]uint64 {
		out := make(map[string]uint64, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return clone(r.fwd), clone(r.lost), resent, clone(r.rexmits), r.naks
}

// stalled is the longest the relay went without reading beyond its
// timer (a scheduling stall of the relay itself), and why it could not
// run realtime, if it could not.
func (r *relay) stalled() (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxGap, r.notRT
}

// configureVia writes n's configuration with its ucast heartbeats sent to
// the relay's addresses instead of the peer's.
func configureVia(t testing.TB, n *Node, c Cluster) {
	t.Helper()
	n.Configure(t, c, labSecret)
	text := netlab.Cluster(c).HaCf(netlab.HaCfNode{
		Comment: "hbd lab: " + n.Name + " through the lossy relay", LogFile: n.LogFile(), DebugFile: n.DebugFile(),
		PeerLAN: relayAddrs[0].Addr(), PeerHB: relayAddrs[1].Addr(),
	})
	if err := netlab.WriteFile(filepath.Join(n.ConfDir(), "ha.cf"), text, 0o644); err != nil {
		t.Fatal(err)
	}
}

// blackhole makes n's packets to its peer go nowhere on both links: a
// one-way partition, the peer still reaches n. The peer's addresses get a
// permanent neighbour entry with an unused MAC, so n's frames reach no
// host (the peer's kernel drops frames for another MAC); a blackhole route
// would not do, since hbd's sockets are bound to their device
// (SO_BINDTODEVICE) and skip a route without one. on=false deletes the
// entries (ARP resolves the peer again).
func blackhole(t testing.TB, l *Lab, n *Node, on bool) time.Time {
	t.Helper()
	peer := l.Peer(n)
	at := time.Now()
	for k, p := range []netip.Prefix{peer.LAN, peer.HB} {
		args := []string{"neigh", "del", p.Addr().String(), "dev", netlab.Links[k]}
		if on {
			args = []string{"neigh", "replace", p.Addr().String(), "lladdr", "02:00:5e:00:17:02", "dev", netlab.Links[k], "nud", "permanent"}
		}
		if out, err := n.NS.Run(l.Context(), "ip", args...); err != nil {
			t.Fatalf("%s: %v: %s", n.Name, err, out)
		}
	}
	return at
}
