package hacf

import (
	"fmt"
	"strings"
	"time"
)

// finish applies the derived defaults and the checks of init_config
// (heartbeat/config.c), in its order. hbd always manages resources from
// haresources (DoManageResources), so the R1 rules apply.
func (p *parser) finish() {
	c := p.cfg
	if p.nmedia < 1 {
		p.errorf(0, "no heartbeat media defined (want ucast, bcast, mcast, ping or ping_group)")
	}
	if !p.set["warntime"] {
		c.Warntime = c.Deadtime / 2
	}
	if len(c.Nodes) < 1 && c.Autojoin != AutojoinAny {
		p.errorf(0, "no nodes defined (want at least one node line naming each cluster member as `uname -n` prints it)")
	}
	p.checkTimes()
	if c.AutoFailback == FailbackLegacy {
		p.warnf(c.Lines["auto_failback"], "Deprecated 'legacy' auto_failback option selected. "+
			"Please convert to 'auto_failback on' (hb_standby and ipfail need it)")
	}
	p.checkLogging()
	p.checkIPfail()
	if c.Autojoin != AutojoinNone {
		p.errorf(c.Lines["autojoin"], "autojoin: %s: R1 style resource management conflicts with autojoin (want autojoin none)", c.Autojoin)
	}
}

// checkTimes derives initdead and deadping and checks the timing rules.
func (p *parser) checkTimes() {
	c := p.cfg
	line := func(names ...string) int {
		for _, n := range names {
			if l := c.Lines[n]; l > 0 {
				return l
			}
		}
		return 0
	}
	if c.Deadtime <= 2*c.Keepalive {
		p.errorf(line("deadtime", "keepalive"), "deadtime: dead time %s is too small compared to keepalive %s (want deadtime > 2 × keepalive)",
			fmtMs(c.Deadtime), fmtMs(c.Keepalive))
	}
	if !p.set["initdead"] {
		switch {
		case c.Deadtime > 10*time.Second:
			c.Initdead = c.Deadtime
		case c.Deadtime < 6*time.Second:
			c.Initdead = 12 * time.Second
		default:
			c.Initdead = 2 * c.Deadtime
		}
	}
	if c.Initdead < c.Deadtime {
		p.errorf(line("initdead", "deadtime"), "initdead: initial dead time %s is smaller than deadtime %s (want initdead >= deadtime)",
			fmtMs(c.Initdead), fmtMs(c.Deadtime))
	} else if c.Initdead < 10*time.Second {
		p.warnf(line("initdead", "deadtime"), "initdead: initial dead time %s may be too small! "+
			"It accounts for slow network startup time and should be >= deadtime and >= 10 seconds", fmtMs(c.Initdead))
	}
	if !p.set["deadping"] {
		c.Deadping = c.Deadtime
	} else if c.Deadping <= 2*c.Keepalive {
		p.errorf(line("deadping"), "deadping: ping dead time %s is too small compared to keepalive %s (want deadping > 2 × keepalive)",
			fmtMs(c.Deadping), fmtMs(c.Keepalive))
	}
	// Not a Heartbeat check: a warntime at or above deadtime means the
	// "Late heartbeat" warning can never be logged before the node is dead.
	if p.set["warntime"] && c.Warntime >= c.Deadtime {
		p.warnf(line("warntime"), "warntime: %s is not less than deadtime %s; no \"Late heartbeat\" warning will be logged before a node is declared dead",
			fmtMs(c.Warntime), fmtMs(c.Deadtime))
	}
}

// checkLogging is check_logd_usage plus the /dev/null defaults of
// init_config. Heartbeat's log_facility is 0 for "none" and for "kern",
// and such a facility counts as not set.
func (p *parser) checkLogging() {
	c := p.cfg
	facility := c.LogFacility != "" && c.LogFacility != "none" && c.LogFacility != "kern"
	switch {
	case c.LogFile == "" && c.DebugFile == "" && !facility:
		if p.useLogd == nil {
			c.UseLogd = true
		} else if !*p.useLogd {
			p.errorf(c.Lines["use_logd"], "use_logd: no log entry found in ha.cf and use_logd is set to off "+
				"(want logfile, debugfile or logfacility)")
		}
	case p.useLogd != nil && *p.useLogd:
		var set []string
		for _, s := range []struct {
			on   bool
			name string
		}{{c.LogFile != "", "logfile"}, {c.DebugFile != "", "debugfile"}, {facility, "logfacility"}} {
			if s.on {
				set = append(set, s.name)
			}
		}
		p.warnf(c.Lines["use_logd"], "use_logd: logd is enabled but %s is still configured in ha.cf", strings.Join(set, "/"))
	}
	if facility {
		if c.LogFile == "" {
			c.LogFile = "/dev/null"
		}
		if c.DebugFile == "" {
			c.DebugFile = "/dev/null"
		}
	}
}

// fmtMs prints a duration as Heartbeat's messages do, in ms.
func fmtMs(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// LocalNode returns the node name of this machine: uname (from `uname -n`,
// or LocalName's result) lowercased, which must be one of the node lines
// (Heartbeat lowercases both and compares them exactly). With autojoin any
// an unlisted name is accepted, as Heartbeat adds it.
func (c *Config) LocalNode(uname string) (string, error) {
	name := strings.ToLower(uname)
	for _, n := range c.Nodes {
		if n.Name == name {
			return name, nil
		}
	}
	if c.Autojoin == AutojoinAny {
		return name, nil
	}
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	return "", &Error{File: c.File, Msg: fmt.Sprintf(
		"Current node [%s] not in configuration! (node lines name %s; cluster nodes are named by `uname -n` and must be declared with a node directive)",
		name, strings.Join(names, ", "))}
}

// LocalName returns the name this node uses: the first line of
// /etc/ha.d/nodeinfo when that file exists and its first line is complete
// (ends in a newline), else uname (heartbeat/heartbeat.c
// get_localnodeinfo). Pass nil when the file does not exist.
func LocalName(uname string, nodeinfo []byte) string {
	first, _, complete := strings.Cut(string(nodeinfo), "\n")
	if complete && first != "" {
		return first
	}
	return uname
}

// checkIPfail warns about an ipfail respawn line that cannot act: ipfail
// exits 100 (and is not respawned) with auto_failback legacy
// (contrib/ipfail/ipfail.c main), and without ping or ping_group nodes it
// has nothing to compare (seeds.md X12).
func (p *parser) checkIPfail() {
	c := p.cfg
	r, ok := c.IPfail()
	if !ok {
		return
	}
	if c.AutoFailback == FailbackLegacy {
		p.warnf(r.Line, "respawn: ipfail: auto_failback set to incompatible legacy option; ipfail is off, "+
			"as Heartbeat's ipfail exits (want auto_failback on or off)")
	}
	if len(c.Ping)+len(c.PingGroups) == 0 {
		p.warnf(r.Line, "respawn: ipfail: no ping or ping_group nodes: ipfail has nothing to compare and never moves resources")
	}
}
