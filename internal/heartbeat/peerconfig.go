package heartbeat

// Comparing the two nodes' haresources (issue 12, seeds.md S5.5: a
// mismatch can prevent a failover). hbd first asks the peer, with
// Heartbeat's own client status query (what `cl_status clientstatus PEER
// hbd` sends), whether an "hbd" client runs there. A Heartbeat peer
// answers offline and nothing more is sent to it, so its wire stays
// Heartbeat's. An hbd peer answers online; each side then sends its
// haresources groups in a t=hbd-config message (from_id and to_id hbd, as
// an API client's message) and compares the peer's with its own: the
// result is logged and shown in the status. hbd also answers the query
// for its built-in ipfail, so cl_status clientstatus on a Heartbeat peer
// sees it online.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/ipfail"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// Wire words of the comparison.
const (
	hbdClient    = "hbd"        // the client name hbd answers online for, and its from_id/to_id
	tHbdConfig   = "hbd-config" // the groups: fGroups=N, then fGroup0..fGroupN-1
	fGroups      = "groups"
	fGroupPrefix = "group"
)

// haresourcesLines are the groups as normalized haresources lines: the
// preferred node and the resources as written, single-spaced.
func haresourcesLines(n *Node) []string {
	out := make([]string, 0, len(n.cfg.Groups))
	for _, g := range n.cfg.Groups {
		f := []string{g.Node}
		for _, r := range g.Resources {
			f = append(f, r.Raw)
		}
		out = append(out, strings.Join(f, " "))
	}
	return out
}

// CompareHaresources compares the peer's groups with ours (normalized
// lines, haresources order) and says how they differ. Pure.
func CompareHaresources(peer string, mine, theirs []string) (same bool, text string) {
	if slices.Equal(mine, theirs) {
		return true, fmt.Sprintf(MsgConfigSame, peer, len(mine))
	}
	var onlyMine, onlyTheirs []string
	for _, l := range mine {
		if !slices.Contains(theirs, l) {
			onlyMine = append(onlyMine, strconv.Quote(l))
		}
	}
	for _, l := range theirs {
		if !slices.Contains(mine, l) {
			onlyTheirs = append(onlyTheirs, strconv.Quote(l))
		}
	}
	if len(onlyMine)+len(onlyTheirs) == 0 {
		return false, fmt.Sprintf(MsgConfigOrder, peer)
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ", ")
	}
	return false, fmt.Sprintf(MsgConfigDiffer, peer, none(onlyMine), peer, none(onlyTheirs))
}

// askPeerClient asks the peer whether it runs hbd (on its becoming active).
func (n *Node) askPeerClient(now time.Time) {
	m := wire.NewMessage(wire.TQueryCStatus)
	m.Add(wire.FDest, n.peer)
	m.Add(wire.FClientName, hbdClient)
	m.Add(wire.FFromID, hbdClient)
	n.send(m, now)
}

// onClientStatusMessage handles query-cstatus, respond-cstatus and
// hbd-config; it reports whether m was one of them.
func (n *Node) onClientStatusMessage(m *wire.Message, now time.Time) bool {
	l := &n.l
	switch m.Type() {
	case wire.TQueryCStatus:
		cn, from := m.Value(wire.FClientName), m.Value(wire.FFromID)
		if cn == "" || from == "" {
			return true
		}
		cs := wire.ClientOffline
		if cn == hbdClient || cn == ipfail.ClientID && l.ipf != nil {
			cs = wire.ClientOnline
		}
		r := wire.NewMessage(wire.TRespondCStatus)
		r.Add(wire.FDest, n.peer)
		r.Add(wire.FAPIResult, "OK")
		r.Add(wire.FClientName, cn)
		r.Add(wire.FToID, from)
		r.Add(wire.FClientStatus, cs)
		n.send(r, now)
	case wire.TRespondCStatus:
		if m.Value(wire.FToID) != hbdClient || m.Value(wire.FClientName) != hbdClient {
			return true
		}
		if m.Value(wire.FClientStatus) != wire.ClientOnline {
			l.peerConfig = fmt.Sprintf(MsgConfigNotHbd, n.peer)
			n.log.Info(l.peerConfig)
			return true
		}
		c := wire.NewMessage(tHbdConfig)
		c.Add(wire.FDest, n.peer)
		c.Add(wire.FFromID, hbdClient)
		c.Add(wire.FToID, hbdClient)
		lines := haresourcesLines(n)
		c.Add(fGroups, strconv.Itoa(len(lines)))
		for i, line := range lines {
			c.Add(fGroupPrefix+strconv.Itoa(i), line)
		}
		n.send(c, now)
	case tHbdConfig:
		count, err := strconv.Atoi(m.Value(fGroups))
		if err != nil || count < 0 || count > 10000 {
			n.log.Warn("ignored malformed message", "type", m.Type(), "err", fmt.Sprintf("groups=%q", m.Value(fGroups)))
			return true
		}
		theirs := make([]string, 0, count)
		for i := range count {
			theirs = append(theirs, m.Value(fGroupPrefix+strconv.Itoa(i)))
		}
		same, text := CompareHaresources(n.peer, haresourcesLines(n), theirs)
		l.peerConfig = text
		if same {
			n.log.Info(text)
		} else {
			n.log.Warn(text)
		}
	default:
		return false
	}
	return true
}
