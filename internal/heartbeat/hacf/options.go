package hacf

import (
	"net/netip"
	"strings"
	"time"
)

// optionTable maps each option directive of Heartbeat 3.0.6 to its
// handler. Scalars: the last value wins, as in add_option.
func optionTable() map[string]optionHandler {
	t := map[string]optionHandler{
		"node":          (*parser).node,
		"bcast":         (*parser).bcast,
		"ping":          (*parser).ping,
		"udpport":       (*parser).udpport,
		"auto_failback": (*parser).autoFailback,
		"nice_failback": (*parser).niceFailback,
		"logfacility":   (*parser).logFacility,
		"crm":           (*parser).pacemaker,
		"pacemaker":     (*parser).pacemaker,
		"watchdog":      (*parser).watchdog,
		"env":           (*parser).env,
		"quorum_server": (*parser).quorumServer,
		"autojoin":      (*parser).autojoin,
		"compression":   (*parser).compression,
		"crm_daemon_dir": func(p *parser, line int, dir, val string) {
			p.beforePacemaker(line, dir)
		},
		"crmd_spawns_pengine": func(p *parser, line int, dir, val string) {
			if p.beforePacemaker(line, dir) {
				p.boolValue(line, dir, val, nil)
			}
		},
		"logfile":   stringOpt(func(c *Config) *string { return &c.LogFile }),
		"debugfile": stringOpt(func(c *Config) *string { return &c.DebugFile }),
		"coreroot":  stringOpt(func(c *Config) *string { return &c.CoreRoot }),
		"cluster":   stringOpt(func(c *Config) *string { return &c.Cluster }),
	}
	addTimeOptions(t)
	addBoolOptions(t)
	addIntOptions(t)
	addEnumOptions(t)
	return t
}

// addTimeOptions adds the directives in cl_get_msec syntax.
func addTimeOptions(t map[string]optionHandler) {
	times := map[string]struct {
		field  func(*Config) *time.Duration
		zeroOK bool
	}{
		"keepalive":      {func(c *Config) *time.Duration { return &c.Keepalive }, false},
		"deadtime":       {func(c *Config) *time.Duration { return &c.Deadtime }, true},
		"deadping":       {func(c *Config) *time.Duration { return &c.Deadping }, true},
		"initdead":       {func(c *Config) *time.Duration { return &c.Initdead }, true},
		"warntime":       {func(c *Config) *time.Duration { return &c.Warntime }, false},
		"conn_logd_time": {func(c *Config) *time.Duration { return &c.ConnLogdTime }, false},
	}
	for name, f := range times {
		t[name] = func(p *parser, line int, dir, val string) { p.timeValue(line, dir, val, f.zeroOK, f.field(p.cfg)) }
	}
}

// addBoolOptions adds the cl_str_to_boolean directives.
func addBoolOptions(t map[string]optionHandler) {
	bools := map[string]func(*Config) *bool{
		"realtime":                func(c *Config) *bool { return &c.Realtime },
		"coredumps":               func(c *Config) *bool { return &c.Coredumps },
		"syslogmsgfmt":            func(c *Config) *bool { return &c.SyslogMsgFmt },
		"log_badpack":             func(c *Config) *bool { return &c.LogBadPack },
		"traditional_compression": func(c *Config) *bool { return &c.TraditionalCompression },
		"use_apphbd":              func(c *Config) *bool { return &c.UseAppHBD },
		"use_logd":                func(c *Config) *bool { return &c.UseLogd },
		// Pacemaker-only switches: validated as booleans, otherwise unused.
		"record_config_changes": nil,
		"record_pengine_inputs": nil,
		"enable_config_writes":  nil,
	}
	for name, f := range bools {
		t[name] = func(p *parser, line int, dir, val string) {
			var dst *bool
			if f != nil {
				dst = f(p.cfg)
			}
			if p.boolValue(line, dir, val, dst) && dir == "use_logd" {
				v := *dst
				p.useLogd = &v
			}
		}
	}
}

// addIntOptions adds the atoi directives.
func addIntOptions(t map[string]optionHandler) {
	ints := map[string]struct {
		field    func(*Config) *int
		min, max int64
		want     string
	}{
		"hopfudge":              {func(c *Config) *int { return &c.HopFudge }, 0, 255, "0-255"},
		"debug":                 {func(c *Config) *int { return &c.Debug }, 0, 255, "0-255"},
		"rtprio":                {func(c *Config) *int { return &c.RTPrio }, 1, 99, "a SCHED_RR priority 1-99"},
		"compression_threshold": {func(c *Config) *int { return &c.CompressionThreshold }, 1, 1 << 30, "a number of KB > 0"},
		"memreserve":            {func(c *Config) *int { return &c.MemReserve }, 1, 1 << 30, "a number of KB > 0"},
	}
	for name, f := range ints {
		t[name] = func(p *parser, line int, dir, val string) {
			if n, ok := p.intValue(line, dir, val, f.min, f.max, f.want); ok {
				*f.field(p.cfg) = int(n)
			}
		}
	}
	t["max_rexmit_delay"] = func(p *parser, line int, dir, val string) {
		if n, ok := p.intValue(line, dir, val, 1, maxMsec, "a number of ms > 0"); ok {
			p.cfg.MaxRexmitDelay = time.Duration(n) * time.Millisecond
		}
	}
}

// addEnumOptions adds the directives with a fixed, case-sensitive set of
// values (strcmp in heartbeat/config.c).
func addEnumOptions(t map[string]optionHandler) {
	enums := map[string]struct {
		values map[string]int
		fold   bool
		set    func(*Config, int)
	}{
		"hbgenmethod": {map[string]int{"file": int(GenFile), "time": int(GenTime)}, false,
			func(c *Config, v int) { c.GenMethod = GenMethod(v) }},
		"uuidfrom": {map[string]int{"file": int(UUIDFromFile), "nodename": int(UUIDFromNodename)}, false,
			func(c *Config, v int) { c.UUIDFrom = UUIDFrom(v) }},
		"msgfmt": {map[string]int{"classic": int(MsgFmtClassic), "netstring": int(MsgFmtNetstring)}, false,
			func(c *Config, v int) { c.MsgFmt = MsgFmt(v) }},
	}
	for name, e := range enums {
		t[name] = func(p *parser, line int, dir, val string) {
			v, ok := e.values[val]
			if !ok {
				p.errorf(line, "%s: bad value %q (want %s)", dir, val, enumWant(e.values))
				return
			}
			e.set(p.cfg, v)
		}
	}
}

func enumWant(values map[string]int) string {
	names := make([]string, len(values))
	for k, v := range values {
		names[v] = k
	}
	return strings.Join(names, " or ")
}

func stringOpt(field func(*Config) *string) optionHandler {
	return func(p *parser, line int, dir, val string) { *field(p.cfg) = val }
}

// timeValue sets a time directive (cl_get_msec). keepalive, warntime and
// conn_logd_time must be > 0; deadtime, deadping and initdead >= 0
// (heartbeat/config.c set_*_ms).
func (p *parser) timeValue(line int, dir, val string, zeroOK bool, dst *time.Duration) {
	d, extra, err := parseTime(val)
	if err != nil {
		p.errorf(line, "%s: %s %q (%s)", dir, err, val, timeWant)
		return
	}
	if d == 0 && !zeroOK {
		p.errorf(line, "%s: %q is 0 ms (want more than 0 after rounding to ms)", dir, val)
		return
	}
	if extra != "" {
		p.warnf(line, "%s: %q: characters %q after the unit ignored", dir, val, extra)
	}
	*dst = d
	p.set[dir] = true
}

// boolValue checks a boolean (cl_str_to_boolean) and stores it in dst
// when dst is not nil.
func (p *parser) boolValue(line int, dir, val string, dst *bool) bool {
	v, ok := parseBool(val)
	if !ok {
		p.errorf(line, "%s: bad boolean %q (want on/off, yes/no, true/false, y/n or 1/0)", dir, val)
		return false
	}
	if dst != nil {
		*dst = v
	}
	return true
}

// intValue reads an integer as C's atoi does and checks its range.
// Heartbeat ignores characters after the digits (and reads a value
// without digits as 0); hbd accepts the same but warns.
func (p *parser) intValue(line int, dir, val string, min, max int64, want string) (int64, bool) {
	n, clean, ok := atoi(val)
	if !ok || n < min || n > max {
		p.errorf(line, "%s: bad value %q (want %s)", dir, val, want)
		return 0, false
	}
	if !clean {
		p.warnf(line, "%s: %q read as %d (characters after the number ignored)", dir, val, n)
	}
	return n, true
}

func (p *parser) node(line int, dir, val string) {
	name := strings.ToLower(val)
	if p.nodeNames[name] {
		p.warnf(line, "node: %q listed more than once; later listing ignored", name)
		return
	}
	if !p.addNodeName(line, dir, name) {
		return
	}
	p.nodeNames[name] = true
	p.cfg.Nodes = append(p.cfg.Nodes, Node{Line: line, Name: name})
}

func (p *parser) bcast(line int, dir, val string) {
	if !p.addMedium(line, dir) {
		return
	}
	if p.bcastPort == 0 {
		p.bcastPort = p.cfg.UDPPort
	}
	p.cfg.Bcast = append(p.cfg.Bcast, Bcast{Line: line, Iface: val, Port: p.bcastPort})
}

func (p *parser) ping(line int, dir, val string) {
	host := strings.ToLower(val)
	addr, err := netip.ParseAddr(val)
	if err == nil && !addr.Is4() {
		p.errorf(line, "ping: %q is not an IPv4 address (IPv6 ping nodes are not provided by hbd)", val)
		return
	}
	if !p.addNodeName(line, dir, host) || !p.addMedium(line, dir) {
		return
	}
	p.pingNodes++
	p.cfg.Ping = append(p.cfg.Ping, Ping{Line: line, Host: host, Addr: addr})
}

// udpport: set_udpport accepts atoi(value) > 0. hbd also refuses values
// above 65535, which Heartbeat silently truncated.
func (p *parser) udpport(line int, dir, val string) {
	n, ok := p.intValue(line, dir, val, 1, 65535, "a port 1-65535")
	if !ok {
		return
	}
	p.cfg.UDPPort = uint16(n)
	if p.mediaSeen && (p.bcastPort != 0 || p.ucastPort != 0) {
		p.warnf(line, "udpport: udpport setting must precede media statements; "+
			"bcast and ucast media declared earlier keep port %d, as in Heartbeat 3.0.6", p.firstPort())
	}
}

func (p *parser) firstPort() uint16 {
	if p.bcastPort != 0 {
		return p.bcastPort
	}
	return p.ucastPort
}

// autoFailback is set_auto_failback: any boolean, or "legacy"
// (case-insensitive).
func (p *parser) autoFailback(line int, dir, val string) {
	if v, ok := parseBool(val); ok {
		p.boolFailback = true
		p.cfg.AutoFailback = FailbackOff
		if v {
			p.cfg.AutoFailback = FailbackOn
		}
		p.set[dir] = true
		return
	}
	if strings.EqualFold(val, "legacy") {
		p.boolFailback = false
		p.cfg.AutoFailback = FailbackLegacy
		p.set[dir] = true
		return
	}
	p.errorf(line, "auto_failback: bad value %q (want on, off or legacy)", val)
}

// niceFailback is set_nice_failback: obsolete and logged as an error, but
// accepted. Whatever the value, it becomes "auto_failback off" if a boolean
// auto_failback was read before it, else "auto_failback legacy" (the code
// tests the nice_failback global, not the value).
func (p *parser) niceFailback(line int, dir, val string) {
	if _, ok := parseBool(val); !ok {
		p.errorf(line, "nice_failback: bad boolean %q (nice_failback is obsolete: use auto_failback on, off or legacy)", val)
		return
	}
	mode := "legacy"
	if p.boolFailback {
		mode = "off"
		p.cfg.AutoFailback = FailbackOff
	} else {
		p.cfg.AutoFailback = FailbackLegacy
	}
	p.set["auto_failback"] = true
	p.warnf(line, "nice_failback flag is obsolete; 'nice_failback %s' has been interpreted as 'auto_failback %s'", val, mode)
}

func (p *parser) logFacility(line int, dir, val string) {
	if !facilities[val] {
		p.errorf(line, "logfacility: unknown syslog facility %q (want e.g. daemon, local0-local7 or none)", val)
		return
	}
	p.cfg.LogFacility = val
}

// pacemaker handles crm and pacemaker (set_pcmk_support): hbd only runs
// Heartbeat's R1 haresources mode, so only a false boolean is accepted.
func (p *parser) pacemaker(line int, dir, val string) {
	if p.pacemakerSeen {
		p.errorf(line, "%s: pacemaker/crm directive used multiple times", dir)
		return
	}
	p.pacemakerSeen = true
	if v, ok := parseBool(val); ok && !v {
		return
	}
	switch strings.ToLower(val) {
	case "true", "on", "yes", "y", "1", "respawn", "minimal", "manual", "ccm-only", "valgrind":
		p.errorf(line, "%s: %q: Pacemaker mode is not provided by hbd (want %s off; resources come from haresources)", dir, val, dir)
	default:
		p.errorf(line, "%s: bad value %q (want off; Pacemaker mode is not provided by hbd)", dir, val)
	}
}

func (p *parser) beforePacemaker(line int, dir string) bool {
	if p.pacemakerSeen {
		p.errorf(line, "%s: must come before the crm/pacemaker directive", dir)
		return false
	}
	return true
}

// watchdog is the watchdog directive: one device path (Heartbeat opens it
// with open(2), so a relative path would depend on the working directory;
// hbd wants it absolute).
func (p *parser) watchdog(line int, dir, val string) {
	if p.cfg.Watchdog != "" {
		p.errorf(line, "watchdog: watchdog device multiply specified")
		return
	}
	if !strings.HasPrefix(val, "/") {
		p.errorf(line, "watchdog: device %q is not an absolute path (want watchdog <device path>, e.g. watchdog /dev/watchdog)", val)
		return
	}
	p.cfg.Watchdog = val
	p.cfg.Lines["watchdog"] = line
}

// env is set_env: NAME=value, exported as HA_NAME.
func (p *parser) env(line int, dir, val string) {
	name, value, ok := strings.Cut(val, "=")
	if !ok || name == "" {
		p.errorf(line, "env: bad value %q (want NAME=value)", val)
		return
	}
	p.cfg.Env = append(p.cfg.Env, Env{Line: line, Name: "HA_" + name, Value: value})
}

// quorumServer is set_quorum_server, which also overwrites the cluster
// name (a Heartbeat bug that hbd reproduces).
func (p *parser) quorumServer(line int, dir, val string) {
	p.cfg.QuorumServer = val
	p.cfg.Cluster = val
	p.warnf(line, "quorum_server: also sets the cluster name to %q, as in Heartbeat 3.0.6", val)
}

func (p *parser) autojoin(line int, dir, val string) {
	switch strings.ToLower(val) {
	case "none":
		p.cfg.Autojoin = AutojoinNone
	case "other":
		p.cfg.Autojoin = AutojoinOther
	case "any":
		p.cfg.Autojoin = AutojoinAny
	default:
		p.errorf(line, "autojoin: bad value %q (want none, other or any)", val)
	}
}

// compression names a compression plugin; Debian ships zlib and bz2.
func (p *parser) compression(line int, dir, val string) {
	if val != "zlib" && val != "bz2" {
		p.errorf(line, "compression: unknown compression %q (want zlib or bz2)", val)
		return
	}
	p.cfg.Compression = val
}
