package hacf

import (
	"bytes"
	"strings"
)

// Character sets of include/heartbeat.h.
const (
	whitespace = " \t\n\r\f"
	delims     = ", \t\n\r\f" // option values are split on commas too
)

// parser holds the state of one ParseHaCf call. Fields mirror the globals
// that Heartbeat's config.c consults while it reads the file.
type parser struct {
	collector
	cfg *Config

	set           map[string]bool // scalar directives given in the file
	mediaSeen     bool            // any_media_statements_yet
	nmedia        int
	bcastPort     uint16 // fixed when the first bcast medium is created
	ucastPort     uint16 // fixed when the first ucast medium is created
	pacemakerSeen bool
	boolFailback  bool // Heartbeat's nice_failback global: a boolean auto_failback was read
	useLogd       *bool
	apiClients    map[string]bool
	nodeNames     map[string]bool
	pingNodes     int
}

// optionHandler handles one value of an option directive (the rest of the
// line split on DELIMS; add_option is called once per value).
type optionHandler func(p *parser, line int, dir, val string)

// lineHandler handles a whole-line directive (heartbeat/config.c
// WLdirectives and the media plugins with a parse() entry point).
type lineHandler func(p *parser, line int, dir, rest string)

// optionDirectives are the option directives of Heartbeat 3.0.6
// (Directives[] plus the per-token media plugins bcast and ping).
var optionDirectives map[string]optionHandler

// lineDirectives are the whole-line directives hbd accepts.
var lineDirectives map[string]lineHandler

// rejected are directives Heartbeat 3.0.6 accepts but hbd cannot honour.
// Accepting them silently would drop a safety or connectivity feature the
// administrator configured, so each is an error that says why.
var rejected = map[string]string{
	// lib/plugins/HBcomm/serial.c: hbd speaks UDP only.
	"serial": "serial media are not provided by hbd (use ucast, bcast or mcast)",
	"baud":   "serial media are not provided by hbd (use ucast, bcast or mcast)",
	// heartbeat/config.c set_stonith_info: STONITH plugins are not
	// implemented; ignoring the line would remove fencing.
	"stonith":      "STONITH is not provided by hbd",
	"stonith_host": "STONITH is not provided by hbd",
	// add_failfast_child: rebooting the machine when a child dies is not
	// implemented; respawn without the reboot would weaken the setup.
	"failfast": "rebooting the machine when a child exits is not provided by hbd (use respawn)",
	// lib/plugins/HBcomm/{ucast6,mcast6,ping6}.c: hbd's links are IPv4.
	"ucast6": "IPv6 media are not provided by hbd (use ucast, bcast or mcast)",
	"mcast6": "IPv6 media are not provided by hbd (use ucast, bcast or mcast)",
	"ping6":  "IPv6 ping nodes are not provided by hbd (use ping)",
}

func init() {
	optionDirectives = optionTable()
	lineDirectives = map[string]lineHandler{
		"ucast":      (*parser).ucast,
		"mcast":      (*parser).mcast,
		"ping_group": (*parser).pingGroup,
		"respawn":    (*parser).respawn,
		"apiauth":    (*parser).apiauth,
	}
}

// ParseHaCf parses the contents of an ha.cf file. file names it in errors
// and warnings. It applies Heartbeat 3.0.6's defaults and consistency
// rules; on any error it returns a nil Config and an *Error or ErrorList.
// Warnings are returned in both cases.
func ParseHaCf(file string, src []byte) (*Config, []Warning, error) {
	p := &parser{
		collector:  collector{file: file},
		cfg:        newConfig(file),
		set:        map[string]bool{},
		apiClients: map[string]bool{},
		nodeNames:  map[string]bool{},
	}
	for i, raw := range bytes.Split(src, []byte("\n")) {
		p.line(i+1, string(raw))
	}
	// init_config stops after a failed parse_config: the defaults and
	// cross-directive checks only run on a file whose lines all parsed.
	if len(p.errs) == 0 {
		p.finish()
	}
	if err := p.err(); err != nil {
		return nil, p.warnings, err
	}
	return p.cfg, p.warnings, nil
}

func newConfig(file string) *Config {
	return &Config{
		File:                 file,
		Lines:                map[string]int{},
		Keepalive:            DefaultKeepalive,
		Deadtime:             DefaultDeadtime,
		UDPPort:              DefaultUDPPort,
		AutoFailback:         FailbackLegacy,
		SyslogMsgFmt:         true,
		LogBadPack:           true,
		HopFudge:             DefaultHopFudge,
		Realtime:             true,
		Coredumps:            true,
		Compression:          DefaultCompression,
		CompressionThreshold: DefaultCompressionThreshold,
		MaxRexmitDelay:       DefaultMaxRexmitDelay,
		ConnLogdTime:         DefaultConnLogdTime,
		MemReserve:           DefaultMemReserve,
		Cluster:              DefaultCluster,
	}
}

// line handles one line the way parse_config does: skip leading white
// space, cut at '#', cut at the first CR or LF, take the directive up to
// white space, then hand the rest to the directive.
func (p *parser) line(n int, s string) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // C string
	}
	s = strings.TrimLeft(s, whitespace)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return
	}
	end := strings.IndexAny(s, whitespace)
	if end < 0 {
		end = len(s)
	}
	dir, rest := s[:end], strings.TrimLeft(s[end:], delims)
	p.cfg.Lines[dir] = n
	if dir == "udp" {
		p.warnf(n, "directive 'udp' replaced by 'bcast'")
		dir = "bcast"
	}
	if msg, ok := rejected[dir]; ok {
		p.errorf(n, "%s: %s", dir, msg)
		return
	}
	if h, ok := lineDirectives[dir]; ok {
		h(p, n, dir, rest)
		return
	}
	h, ok := optionDirectives[dir]
	if !ok {
		delete(p.cfg.Lines, dir)
		p.errorf(n, "illegal directive %q (not a Heartbeat 3.0.6 ha.cf directive)", dir)
		return
	}
	vals := strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if len(vals) == 0 {
		if want, ok := valueRequired[dir]; ok {
			p.errorf(n, "%s: no value given (%s)", dir, want)
			return
		}
		p.warnf(n, "%s: no value given; directive ignored", dir)
		return
	}
	nerrs := len(p.errs)
	for _, v := range vals {
		h(p, n, dir, v)
	}
	if why, ok := noEffect[dir]; ok && len(p.errs) == nerrs {
		p.warnf(n, "%s: accepted but has no effect in hbd: %s", dir, why)
	}
}

// valueRequired are the option directives whose empty form is an error
// rather than the usual "no value given" warning: the ones whose absence
// of a value would silently drop a protection the line asks for.
var valueRequired = map[string]string{
	"watchdog": "want watchdog <device path>, e.g. watchdog /dev/watchdog",
}

// addMedium counts a medium against MAXMEDIA.
func (p *parser) addMedium(line int, dir string) bool {
	if p.nmedia >= MaxMedia {
		p.errorf(line, "%s: too many media (max %d)", dir, MaxMedia)
		return false
	}
	p.nmedia++
	p.mediaSeen = true
	return true
}

// addNodeName counts a node or ping node against MAXNODE and checks the
// length of its name (HOSTLENG).
func (p *parser) addNodeName(line int, dir, name string) bool {
	if len(name) >= maxHostLeng {
		p.errorf(line, "%s: name %q too long (max %d characters)", dir, name, maxHostLeng-1)
		return false
	}
	if len(p.cfg.Nodes)+p.pingNodes >= MaxNodes {
		p.errorf(line, "%s: too many nodes (max %d, ping nodes included)", dir, MaxNodes)
		return false
	}
	return true
}
