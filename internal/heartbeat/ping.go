package heartbeat

// Ping nodes (ha.cf ping and ping_group, anchors §1.11): with every status
// heartbeat the engine sends each ping node address an ICMP echo request
// whose data is a signed t=NS_st st=ping message from the ping node
// (lib/plugins/HBcomm/ping.c ping_write); a reply counts when its payload
// verifies with our keys, names the ping node and comes from one of its
// addresses. The ping node is then a node of status "ping" in the
// membership layer, dead after deadping. A ping_group is one such node that
// any member's reply keeps up (ping_group.c). Ping nodes are reported in
// the status and by cl_status; with ha.cf's ipfail respawn line they drive
// failover through the built-in ipfail (ipfailrun.go, package ipfail).

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// Drop reasons of ping replies.
const (
	dropPingAuth    = "bad ping reply"
	dropPingUnknown = "ping reply from an unknown address"
)

// PingNode is one ping node: a ping directive (one address) or a
// ping_group (its members).
type PingNode struct {
	Name  string       // the host as written in ha.cf, or the group's name
	Addrs []netip.Addr // where the echo requests go
	Group bool         // a ping_group
}

// PingNodes lists ha.cf's ping nodes in file order. lookup resolves a host
// that is not an IPv4 literal to its first IPv4 address; nil refuses such
// hosts. Errors name the ha.cf line.
func PingNodes(ctx context.Context, cf *hacf.Config, lookup func(ctx context.Context, host string) (netip.Addr, error)) ([]PingNode, error) {
	resolve := func(line int, host string) (netip.Addr, error) {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap(), nil
		}
		if lookup == nil {
			return netip.Addr{}, fmt.Errorf("%s:%d: ping node %q: not an IPv4 address", cf.File, line, host)
		}
		a, err := lookup(ctx, host)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%s:%d: ping node %q: %w", cf.File, line, host, err)
		}
		return a, nil
	}
	type entry struct {
		line int
		node PingNode
	}
	var all []entry
	for _, p := range cf.Ping {
		a := p.Addr
		if !a.IsValid() {
			var err error
			if a, err = resolve(p.Line, p.Host); err != nil {
				return nil, err
			}
		}
		all = append(all, entry{p.Line, PingNode{Name: p.Host, Addrs: []netip.Addr{a}}})
	}
	for _, g := range cf.PingGroups {
		pn := PingNode{Name: g.Name, Group: true}
		for _, h := range g.Hosts {
			a, err := resolve(g.Line, h)
			if err != nil {
				return nil, err
			}
			pn.Addrs = append(pn.Addrs, a)
		}
		all = append(all, entry{g.Line, pn})
	}
	slices.SortStableFunc(all, func(a, b entry) int { return a.line - b.line })
	out := make([]PingNode, len(all))
	for i, e := range all {
		out[i] = e.node
	}
	return out, nil
}

// watched returns the ping nodes as membership nodes: one link each, named
// for the node, as Heartbeat names a ping medium's link.
func watchedPingNodes(nodes []PingNode) []member.WatchedNode {
	out := make([]member.WatchedNode, 0, len(nodes))
	for _, p := range nodes {
		out = append(out, member.WatchedNode{Name: p.Name, Links: []string{p.Name}, Ping: true})
	}
	return out
}

// sendPings sends one echo request to every ping node address.
func (n *Node) sendPings(now time.Time) {
	if n.cfg.Pinger == nil {
		return
	}
	l := &n.l
	for _, p := range n.cfg.PingNodes {
		buf, err := wire.Sign(wire.PingStatus{Src: p.Name, Now: now}.Message(), l.active)
		if err != nil {
			n.log.Error("signing ping message", "node", p.Name, "err", err)
			continue
		}
		for _, a := range p.Addrs {
			if err := n.cfg.Pinger.Ping(a, buf); err != nil {
				n.rateLimited(l.sendErrs, a.String(), now, func(more uint64) {
					n.log.Warn("sending ping", "node", p.Name, "addr", a.String(), "err", err, "suppressed", more)
				})
			}
		}
	}
}

// onEcho handles one echo reply: accepted when its payload verifies and
// names the ping node the replying address belongs to.
func (n *Node) onEcho(e Echo, now time.Time) {
	l := &n.l
	p := Packet{Link: "icmp", From: netip.AddrPortFrom(e.From, 0), Buf: e.Payload, At: e.At}
	m, err := wire.Verify(e.Payload, l.keys)
	if err != nil {
		n.dropErr(dropPingAuth, p, now, "err", err)
		return
	}
	ps, err := wire.ReadPingStatus(m)
	if err != nil {
		n.dropErr(dropPingAuth, p, now, "err", err)
		return
	}
	i := slices.IndexFunc(n.cfg.PingNodes, func(pn PingNode) bool {
		return pn.Name == ps.Src && slices.Contains(pn.Addrs, e.From)
	})
	if i < 0 {
		n.dropErr(dropPingUnknown, p, now, "src", ps.Src)
		return
	}
	name := n.cfg.PingNodes[i].Name
	l.heard[name] = now
	n.onLive(l.live.Heard(member.Heard{Node: name, Link: name, Status: member.StatusPing}, now), now)
}

// pingStatus lists the ping nodes for the status.
func (n *Node) pingStatus() []NodeStatus {
	l := &n.l
	var out []NodeStatus
	for _, p := range n.cfg.PingNodes {
		ns := NodeStatus{Name: p.Name, Type: NodeTypePing, DeadtimeMs: l.live.Deadtime(p.Name).Milliseconds()}
		ns.Status, _ = l.live.NodeStatus(p.Name)
		ls := LinkStatus{Name: p.Name, LastHeard: l.heard[p.Name]}
		ls.Status, _ = l.live.LinkStatus(p.Name, p.Name)
		ns.Links = []LinkStatus{ls}
		for _, a := range p.Addrs {
			ns.Addrs = append(ns.Addrs, a.String())
		}
		out = append(out, ns)
	}
	return out
}
