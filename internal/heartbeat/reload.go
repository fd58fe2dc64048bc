package heartbeat

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// reload applies new authkeys and the ha.cf values that can change live
// (SIGHUP). Runs in the loop.
func (n *Node) reload(cf *hacf.Config, keys *hacf.AuthKeys) string {
	l := &n.l
	var out []string
	if keys != nil {
		if m, err := authMap(keys); err == nil {
			l.keys, l.active = m, m[keys.Active]
			line := fmt.Sprintf(MsgReloadKeys, keys.Active)
			n.log.Info(line)
			out = append(out, line)
		}
	}
	if cf != nil {
		out = append(out, n.applyLive(cf)...)
		for _, line := range restartOnly(n.cfg.HaCf, cf) {
			if l.restartLogged == nil {
				l.restartLogged = map[string]bool{}
			}
			if !l.restartLogged[line] {
				l.restartLogged[line] = true
				n.log.Warn(line)
			}
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return "configuration unchanged"
	}
	return strings.Join(out, "\n")
}

// liveDirective is an ha.cf value a running node applies at once: the
// timers here, and the log destinations and debug level, which the
// command applies to the logger it gave the node.
type liveDirective struct {
	name  string
	value func(*hacf.Config) string
	set   func(dst, src *hacf.Config)
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

var liveDirectives = []liveDirective{
	{"keepalive", func(c *hacf.Config) string { return ms(c.Keepalive) }, func(d, s *hacf.Config) { d.Keepalive = s.Keepalive }},
	{"deadtime", func(c *hacf.Config) string { return ms(c.Deadtime) }, func(d, s *hacf.Config) { d.Deadtime = s.Deadtime }},
	{"warntime", func(c *hacf.Config) string { return ms(c.Warntime) }, func(d, s *hacf.Config) { d.Warntime = s.Warntime }},
	{"initdead", func(c *hacf.Config) string { return ms(c.Initdead) }, func(d, s *hacf.Config) { d.Initdead = s.Initdead }},
	{"deadping", func(c *hacf.Config) string { return ms(c.Deadping) }, func(d, s *hacf.Config) { d.Deadping = s.Deadping }},
	{"debug", func(c *hacf.Config) string { return fmt.Sprint(c.Debug) }, func(d, s *hacf.Config) { d.Debug = s.Debug }},
	{"logfacility", func(c *hacf.Config) string { return c.LogFacility }, func(d, s *hacf.Config) { d.LogFacility = s.LogFacility }},
	{"logfile", func(c *hacf.Config) string { return c.LogFile }, func(d, s *hacf.Config) { d.LogFile = s.LogFile }},
	{"debugfile", func(c *hacf.Config) string { return c.DebugFile }, func(d, s *hacf.Config) { d.DebugFile = s.DebugFile }},
	{"use_logd", func(c *hacf.Config) string { return fmt.Sprint(c.UseLogd) }, func(d, s *hacf.Config) { d.UseLogd = s.UseLogd }},
	{"syslogmsgfmt", func(c *hacf.Config) string { return fmt.Sprint(c.SyslogMsgFmt) }, func(d, s *hacf.Config) { d.SyslogMsgFmt = s.SyslogMsgFmt }},
	{"logbadpack", func(c *hacf.Config) string { return fmt.Sprint(c.LogBadPack) }, func(d, s *hacf.Config) { d.LogBadPack = s.LogBadPack }},
}

// applyLive copies the live directives of cf into the running
// configuration and applies the timers: keepalive from the next heartbeat,
// dt= in our next status, deadtime, warntime, initdead and deadping to
// the next liveness check (not retroactively: member.Liveness.SetTimes).
func (n *Node) applyLive(cf *hacf.Config) []string {
	l := &n.l
	merged := *n.cfg.HaCf
	var out []string
	for _, d := range liveDirectives {
		if d.value(&merged) == d.value(cf) {
			continue
		}
		d.set(&merged, cf)
		line := fmt.Sprintf(MsgReloadApplied, d.name, d.value(cf))
		n.log.Info(line)
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil
	}
	if err := l.live.SetTimes(merged.Deadtime, merged.Warntime, merged.Initdead, merged.Deadping); err != nil {
		n.log.Error("ha.cf reload: keeping the running timers", "err", err)
		return nil
	}
	l.keepalive = merged.Keepalive
	n.cfg.HaCf = &merged
	return out
}

// restartOnly returns a line for each changed ha.cf directive a running
// node cannot apply, naming the directive and the file:line of the change
// (of the old file when the new one no longer has the directive).
func restartOnly(a, b *hacf.Config) []string {
	var out []string
	check := func(name string, changed bool) {
		if !changed {
			return
		}
		file, line := b.File, b.Lines[name]
		if line == 0 {
			file, line = a.File, a.Lines[name]
		}
		out = append(out, fmt.Sprintf(MsgReloadRestart, name, file, line))
	}
	check("auto_failback", a.AutoFailback != b.AutoFailback)
	check("udpport", a.UDPPort != b.UDPPort)
	check("node", !slices.EqualFunc(a.Nodes, b.Nodes, func(x, y hacf.Node) bool { return x.Name == y.Name }))
	check("ucast", !slices.EqualFunc(a.Ucast, b.Ucast, func(x, y hacf.Ucast) bool {
		return x.Iface == y.Iface && x.Peer == y.Peer && x.Port == y.Port
	}))
	check("bcast", !slices.EqualFunc(a.Bcast, b.Bcast, func(x, y hacf.Bcast) bool { return x.Iface == y.Iface && x.Port == y.Port }))
	check("mcast", !slices.EqualFunc(a.Mcast, b.Mcast, func(x, y hacf.Mcast) bool {
		return x.Iface == y.Iface && x.Group == y.Group && x.Port == y.Port && x.TTL == y.TTL && x.Loop == y.Loop
	}))
	check("ping", !slices.EqualFunc(a.Ping, b.Ping, func(x, y hacf.Ping) bool { return x.Host == y.Host }))
	check("ping_group", !slices.EqualFunc(a.PingGroups, b.PingGroups, func(x, y hacf.PingGroup) bool {
		return x.Name == y.Name && slices.Equal(x.Hosts, y.Hosts)
	}))
	check("hopfudge", a.HopFudge != b.HopFudge)
	check("max_rexmit_delay", a.MaxRexmitDelay != b.MaxRexmitDelay)
	return out
}
