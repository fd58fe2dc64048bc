package heartbeat

// ipfail built in (package ipfail holds the decisions): enabled by ha.cf's
// ipfail respawn line, whatever its path, unless auto_failback is legacy
// (ipfail exits 100 there). The loop feeds the machine the liveness
// changes of every node and link (as Heartbeat's API gives them to its
// ipfail client), the peer's ipfail messages, and the peer's resource
// reports; it sends the machine's messages to the peer in the form
// Heartbeat's API gives an ipfail client's messages (from_id and to_id
// ipfail, client_gen), so that a Heartbeat 3.0.6 peer running the real
// ipfail takes part; and it carries out a give-up as hb_standby does.

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/ipfail"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// ipfailEnabled reports whether ha.cf asks for ipfail and it can act.
func ipfailEnabled(cf *hacf.Config) bool {
	_, ok := cf.IPfail()
	return ok && cf.AutoFailback != hacf.FailbackLegacy
}

// newIPfail returns the machine, or nil when ipfail is not enabled.
func (n *Node) newIPfail() *ipfail.Machine {
	cf := n.cfg.HaCf
	if !ipfailEnabled(cf) {
		return nil
	}
	return ipfail.New(ipfail.Config{Keepalive: cf.Keepalive, AutoFailback: cf.AutoFailback == hacf.FailbackOn,
		StableWait: n.cfg.IPfailStableWait})
}

// ipfailLog is the ipfail component's logger.
func (n *Node) ipfailLog() *slog.Logger {
	log := n.cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return log.With("component", "ipfail")
}

// livePingNodes counts the ping nodes of status ping (ping_node_status).
func (n *Node) livePingNodes() int {
	c := 0
	for _, p := range n.cfg.PingNodes {
		if st, _ := n.l.live.NodeStatus(p.Name); st == member.StatusPing {
			c++
		}
	}
	return c
}

// rscStable is Heartbeat's get_resources() not answering "transition":
// resource management has started and settled, no standby is under way
// and no group is starting or stopping.
func (n *Node) rscStable() bool {
	l := &n.l
	st := l.own.State()
	return l.started && !l.stopping && st.R == r1.RStable && st.Standby == r1.StandbyNot && len(l.ops) == 0
}

// ipfailStep feeds one event (with this node's count and stability) and
// carries out the actions.
func (n *Node) ipfailStep(ev ipfail.Event, now time.Time) {
	m := n.l.ipf
	if m == nil {
		return
	}
	ev.Count, ev.Stable = n.livePingNodes(), n.rscStable()
	res := m.Step(ev, now)
	log := n.ipfailLog()
	for _, line := range res.Lines {
		log.Info(line)
	}
	for _, a := range res.Actions {
		switch a.Kind {
		case ipfail.ActSend:
			n.send(n.ipfailMessage(a), now)
		case ipfail.ActGiveUp:
			n.ipfailGiveUp(a.Set, now, log)
		}
	}
}

// ipfailMessage builds num_ping_nodes, you_are_dead or abort_giveup for
// the peer (ipfail.c ask_ping_nodes, you_are_dead, send_abort_giveup).
func (n *Node) ipfailMessage(a ipfail.Action) *wire.Message {
	m := wire.NewMessage(a.Type)
	if a.Type != ipfail.TypeYouAreDead {
		m.Add(wire.FSrc, n.cfg.Local)
	}
	if a.Type == ipfail.TypeNumPing {
		m.Add(ipfail.FieldNumPing, strconv.Itoa(a.NumPing))
	}
	m.Add(wire.FDest, n.peer)
	return stampClient(m)
}

// stampClient adds what Heartbeat's API adds to an ipfail client's message.
func stampClient(m *wire.Message) *wire.Message {
	m.Add(wire.FFromID, ipfail.ClientID)
	m.Add(wire.FToID, ipfail.ClientID)
	m.Add(wire.FClientGen, "0")
	return m
}

// ipfailJoin announces our ipfail to the peer, as Heartbeat does when the
// ipfail client signs on (api_send_client_status): the peer's ipfail then
// asks for our ping node count.
func (n *Node) ipfailJoin(now time.Time) {
	if n.l.ipf == nil {
		return
	}
	m := wire.NewMessage(ipfail.TypeClientStat)
	m.Add(wire.FStatus, ipfail.StatusJoin)
	m.Add(wire.FFromID, ipfail.ClientID)
	m.Add(wire.FToID, ipfail.ClientID)
	m.Add(wire.FSrc, n.cfg.Local)
	m.Add(wire.FInfo, "signon")
	m.Add(wire.FClientGen, "0")
	n.send(m, now)
	n.ipfailLog().Info(fmt.Sprintf(MsgIPfailOn, n.livePingNodes(), len(n.cfg.PingNodes)))
}

// ipfailGiveUp hands set to the peer through hb_standby's handshake.
func (n *Node) ipfailGiveUp(set ipfail.Set, now time.Time, log *slog.Logger) {
	l := &n.l
	hold := r1.HoldAll
	if set == ipfail.Foreign {
		hold = r1.HoldForeign
	}
	if !n.holdsAny(hold) {
		log.Info(fmt.Sprintf(ipfail.MsgGiveUpNothing, set))
		return
	}
	if !l.started || l.stopping {
		return
	}
	res := n.step(r1.Event{Kind: r1.EvStandby, Hold: hold}, now)
	if l.own.State().Standby != r1.StandbyMe {
		log.Warn(fmt.Sprintf(MsgIPfailRefused, set, res.Reason))
		n.ipfailStep(ipfail.Event{Kind: ipfail.EvGiveUpRefused, Set: set}, now)
	}
}

// ipfailLive feeds the liveness changes: node status and link status of
// every node, the peer's and the ping nodes'.
func (n *Node) ipfailLive(e member.LiveEvent, now time.Time) {
	switch e.Kind {
	case member.NodeUp, member.NodeActive:
		n.ipfailStep(ipfail.Event{Kind: ipfail.EvNodeStatus, Node: e.Node, Status: e.Status}, now)
	case member.NodeDead:
		n.ipfailStep(ipfail.Event{Kind: ipfail.EvNodeStatus, Node: e.Node, Status: member.StatusDead}, now)
	case member.LinkUp:
		n.ipfailStep(ipfail.Event{Kind: ipfail.EvLinkStatus, Node: e.Node, Link: e.Link, Status: member.LinkStatusUp}, now)
	case member.LinkDead:
		n.ipfailStep(ipfail.Event{Kind: ipfail.EvLinkStatus, Node: e.Node, Link: e.Link, Status: member.LinkStatusDead}, now)
	}
}

// ipfailMessageIn handles the peer's ipfail messages; it reports whether
// m was one.
func (n *Node) ipfailMessageIn(m *wire.Message, now time.Time) bool {
	var ev ipfail.Event
	switch m.Type() {
	case ipfail.TypeNumPing:
		ev = ipfail.Event{Kind: ipfail.EvNumPing, NumPing: m.Value(ipfail.FieldNumPing)}
	case ipfail.TypeYouAreDead:
		ev = ipfail.Event{Kind: ipfail.EvYouAreDead}
	case ipfail.TypeAbort:
		ev = ipfail.Event{Kind: ipfail.EvAbortGiveup}
	case ipfail.TypeClientStat:
		// msg_ipfail_join: a join of the peer's ipfail.
		if m.Value(wire.FStatus) != ipfail.StatusJoin || m.Value(wire.FFromID) != ipfail.ClientID {
			return true
		}
		ev = ipfail.Event{Kind: ipfail.EvPeerJoin, PeerNodeName: m.Value(wire.FSrc)}
	default:
		return false
	}
	if n.l.ipf == nil {
		n.log.Debug("ipfail message ignored: ipfail is not enabled here", "type", m.Type())
		return true
	}
	n.ipfailStep(ev, now)
	return true
}

// ipfailResources feeds the peer's t=resource report (msg_resources).
func (n *Node) ipfailResources(msg r1.Message, now time.Time) {
	if msg.Type != r1.TypeResource {
		return
	}
	ev := ipfail.Event{Kind: ipfail.EvPeerResources, Info: msg.Info}
	switch msg.Stable {
	case r1.Stable:
		ev.IsStable = "1"
	case r1.Unstable:
		ev.IsStable = "0"
	default:
		return
	}
	n.ipfailStep(ev, now)
}

// ipfailStatus is the status section.
func (n *Node) ipfailStatus() *IPfailStatus {
	m := n.l.ipf
	if m == nil {
		return nil
	}
	st := m.State()
	s := &IPfailStatus{PingNodesUp: n.livePingNodes(), PingNodes: len(n.cfg.PingNodes), PeerStable: st.PeerStable,
		WaitingForStable: st.NeedStandby}
	if !st.GiveUpAt.IsZero() {
		s.GiveUp, s.GiveUpAt = st.GiveUpSet.String(), st.GiveUpAt
	}
	return s
}
