package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
)

// formatStatus renders `hbd status` after its first line:
//
//	node node1 (local): active, generation 1795505611
//	  link eth0: up
//	node node2: active, generation 1795505620, deadtime 3000ms
//	  link eth0: up, last heard 0.4s ago
//	  link eth1: dead, last heard 12.0s ago
//	resources held here: local
//	group IPaddr::10.0.0.100/24/eth0: owner node1 (preferred node1, here: running) [IPaddr::10.0.0.100/24/eth0 httpd]
//	dropped packets: bad auth 3
func formatStatus(st heartbeat.Status, now time.Time) string {
	var b strings.Builder
	for _, n := range st.Nodes {
		fmt.Fprintf(&b, "node %s", n.Name)
		if n.Local {
			b.WriteString(" (local)")
		}
		fmt.Fprintf(&b, ": %s", n.Status)
		if n.Generation != 0 {
			fmt.Fprintf(&b, ", generation %d", n.Generation)
		}
		if n.DeadtimeMs != 0 {
			fmt.Fprintf(&b, ", deadtime %dms", n.DeadtimeMs)
		}
		b.WriteByte('\n')
		for _, l := range n.Links {
			fmt.Fprintf(&b, "  link %s: %s", l.Name, l.Status)
			if !l.LastHeard.IsZero() {
				fmt.Fprintf(&b, ", last heard %.1fs ago", now.Sub(l.LastHeard).Seconds())
			}
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "resources held here: %s\n", st.Resources)
	if f := st.IPfail; f != nil {
		fmt.Fprintf(&b, "ipfail: on, %d of %d ping node(s) up", f.PingNodesUp, f.PingNodes)
		if f.GiveUp != "" {
			fmt.Fprintf(&b, ", giving %s resources up in %.1fs", f.GiveUp, f.GiveUpAt.Sub(now).Seconds())
		}
		if f.WaitingForStable {
			b.WriteString(", a give-up waits for the peer to be stable")
		}
		b.WriteByte('\n')
	}
	if st.PeerConfig != "" {
		fmt.Fprintf(&b, "peer configuration: %s\n", st.PeerConfig)
	}
	if st.Standby != "" {
		fmt.Fprintf(&b, "standby in progress: %s\n", st.Standby)
	}
	for _, g := range st.Groups {
		owner := g.Owner
		if owner == "" {
			owner = "none"
		}
		fmt.Fprintf(&b, "group %s: owner %s (preferred %s, here: %s", g.Key, owner, g.Preferred, g.Phase)
		if g.Failed {
			b.WriteString(", last start failed")
		}
		if g.StopFailed {
			b.WriteString(", stop failed: held, retrying")
		}
		fmt.Fprintf(&b, ") [%s]\n", strings.Join(g.Resources, " "))
		keys := make([]string, 0, len(g.Details))
		for k := range g.Details {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\n", k, g.Details[k])
		}
	}
	if len(st.Drops) > 0 {
		keys := make([]string, 0, len(st.Drops))
		for k := range st.Drops {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, st.Drops[k])
		}
		fmt.Fprintf(&b, "dropped packets: %s\n", strings.Join(parts, ", "))
	}
	return b.String()
}
