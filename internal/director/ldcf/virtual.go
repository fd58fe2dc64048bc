package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// sectionFunc applies one directive inside a virtual section; it returns
// an error message (without file:line) or "".
type sectionFunc func(p *parser, s *section, line int, value string) string

// sectionDirectives is the table of per-virtual directives of ldirectord
// 4.12 (read_config, inner loop).
var sectionDirectives = map[string]sectionFunc{
	"real":             secReal,
	"real6":            secReal,
	"request":          secRequest,
	"receive":          secReceive,
	"login":            func(_ *parser, s *section, _ int, v string) string { return quotedInto(&s.v.Login, "login", v) },
	"passwd":           func(_ *parser, s *section, _ int, v string) string { return quotedInto(&s.v.Passwd, "passwd", v) },
	"database":         func(_ *parser, s *section, _ int, v string) string { return quotedInto(&s.v.Database, "database", v) },
	"secret":           func(_ *parser, s *section, _ int, v string) string { return quotedInto(&s.v.Secret, "secret", v) },
	"load":             secLoad,
	"checktype":        secCheckType,
	"checkcommand":     vset(func(s *section) *string { return &s.v.CheckCommand }, nonEmptyUnquoted("checkcommand")),
	"checktimeout":     vset(func(s *section) *time.Duration { return &s.o.checkTimeout }, seconds("checktimeout")),
	"negotiatetimeout": vset(func(s *section) *time.Duration { return &s.o.negotiateTimeout }, seconds("negotiatetimeout")),
	"checkinterval":    vset(func(s *section) *time.Duration { return &s.o.checkInterval }, seconds("checkinterval")),
	"failurecount":     vset(func(s *section) *int { return &s.o.failureCount }, count("failurecount")),
	"checkcount":       secCheckCount,
	"connecttimeout":   func(*parser, *section, int, string) string { return deprecatedConnectTimeout },
	"timeout":          func(*parser, *section, int, string) string { return deprecatedTimeout },
	"checkport":        secCheckPort,
	"scheduler":        secScheduler,
	"persistent":       secPersistent,
	"schedflags":       secSchedFlags,
	"netmask":          secNetmask,
	"protocol":         secProtocol,
	"ops":              secOPS,
	"service":          secService,
	"httpmethod":       secHTTPMethod,
	"virtualhost":      func(_ *parser, s *section, _ int, v string) string { s.v.VirtualHost = unquote(v); return "" },
	"fallback":         secFallback,
	"fallback6":        secFallback,
	"fallbackcommand":  override(func(o *overrides) **string { return &o.fallbackCommand }, nonEmptyUnquoted("fallbackcommand")),
	"quiescent":        override(func(o *overrides) **bool { return &o.quiescent }, yesNo("quiescent")),
	"cleanstop":        override(func(o *overrides) **bool { return &o.cleanStop }, yesNo("cleanstop")),
	"emailalert":       override(func(o *overrides) **string { return &o.emailAlert }, parseEmailAlert),
	"emailalertfreq":   override(func(o *overrides) **time.Duration { return &o.emailAlertFreq }, parseEmailAlertFreq),
	"emailalertstatus": override(func(o *overrides) **string { return &o.emailAlertStatus }, emailStatus("emailalertstatus")),
	"smtp":             override(func(o *overrides) **string { return &o.smtp }, parseSMTP),
	"monitorfile":      vset(func(s *section) *string { return &s.v.MonitorFile }, absPath("monitorfile")),
	"servicename":      func(_ *parser, s *section, _ int, v string) string { s.v.ServiceName = v; return "" },
	"comment":          func(_ *parser, s *section, _ int, v string) string { s.v.Comment = v; return "" },
}

// vset builds a sectionFunc that parses a value into a field of the
// section or of its Virtual.
func vset[T any](field func(*section) *T, parse func(string) (T, string)) sectionFunc {
	return func(_ *parser, s *section, _ int, v string) string {
		x, m := parse(v)
		if m == "" {
			*field(s) = x
		}
		return m
	}
}

// override builds a sectionFunc that records a per-virtual override of a
// global value.
func override[T any](field func(*overrides) **T, parse func(string) (T, string)) sectionFunc {
	return func(_ *parser, s *section, _ int, v string) string {
		x, m := parse(v)
		if m == "" {
			*field(&s.o) = &x
		}
		return m
	}
}

func secNetmask(_ *parser, s *section, _ int, v string) (m string) {
	s.v.NetmaskBits, m = parseNetmask(v, s.v.IPv6)
	return m
}

// quotedInto stores a "quoted", non-empty value.
func quotedInto(dst *string, directive, v string) string {
	s, m := parseQuoted(directive, v)
	if m == "" {
		s, m = nonEmpty(directive, s)
	}
	if m == "" {
		*dst = s
	}
	return m
}

// startSection parses virtual= / virtual6= and sets the per-virtual
// defaults of read_config.
func (p *parser) startSection(line int, key, value string, hasEq bool) (*section, *Error) {
	if !hasEq {
		return nil, p.noEq(line, key, key)
	}
	v := &Virtual{
		Line: line, Text: value, IPv6: key == "virtual6",
		Protocol: "tcp", CheckType: CheckNegotiate, Scheduler: "wrr", CheckCommand: "/bin/true",
		Request: "/", HTTPMethod: "GET", Lines: map[string]int{key: line},
	}
	s := &section{v: v, realSeen: map[netip.AddrPort]int{}}
	const want = "ip:port, host:port or a firewall mark number; virtual6=[ipv6]:port"
	switch {
	case value != "" && strings.TrimLeft(value, "0123456789") == "":
		n, m := parseUint(key, value, 1, 1<<32-1, "a firewall mark 1-4294967295")
		if m != "" {
			return nil, p.fail(line, m)
		}
		v.FWMark, v.Protocol, v.Service = uint32(n), "fwm", "none"
	case strings.HasPrefix(value, "["):
		if !v.IPv6 {
			return nil, p.errf(line, "virtual: cannot specify an IPv6 address here (want virtual6=%s)", value)
		}
		host, port, ok := splitHostPort(value, isPortChar)
		if !ok || port == "" {
			return nil, p.fail(line, badValue(key, value, want))
		}
		s.hostText, s.portText = host, port
	default:
		host, port, ok := strings.Cut(value, ":")
		if !ok || !allChars(host, isHostChar) || !allChars(port, isPortChar) {
			return nil, p.fail(line, badValue(key, value, want))
		}
		s.hostText, s.portText = host, port
	}
	if s.portText == "53" || s.portText == "domain" {
		v.Protocol = "udp"
	}
	if v.IPv6 {
		v.NetmaskBits = 128
	} else {
		v.NetmaskBits = 32
	}
	return s, nil
}

// sectionLine applies one indented line of a virtual section.
func (p *parser) sectionLine(s *section, line int, text, body string) *Error {
	key, value, hasEq := splitDirective(text)
	f, ok := sectionDirectives[key]
	if !ok {
		switch _, global := globals[key]; {
		case key == "virtual" || key == "virtual6":
			return p.errf(line, "%s: indented inside the section of line %d (want it in column 0 to start a new section)", key, s.v.Line)
		case global || key == "supervised":
			return p.errf(line, "%s: global directive inside the virtual section of line %d (want it in column 0, outside virtual sections)", key, s.v.Line)
		case key == "":
			return p.noEq(line, key, body)
		}
		return p.errf(line, "%s: unknown directive in a virtual section (want one such as real, service, checktype, request, receive, scheduler)", key)
	}
	if !hasEq {
		return p.noEq(line, key, body)
	}
	// real= only in virtual=, real6= only in virtual6= (same for fallback).
	if base, six := strings.CutSuffix(key, "6"); (base == "real" || base == "fallback") && six != s.v.IPv6 {
		want := base
		if s.v.IPv6 {
			want += "6"
		}
		return p.errf(line, "%s: not allowed in the %s section of line %d (want %s=)", key, keyOf(s.v), s.v.Line, want)
	}
	if n, warning := perlNumber(key, value); warning != "" {
		value = n
		p.warnf(line, "%s", warning)
	}
	if msg := f(p, s, line, value); msg != "" {
		return p.fail(line, msg)
	}
	s.v.Lines[key] = line
	return nil
}

func secReal(_ *parser, s *section, line int, v string) string {
	s.reals = append(s.reals, pendingLine{text: v, line: line})
	return ""
}

func secRequest(_ *parser, s *section, _ int, v string) string {
	if m := quotedInto(&s.v.Request, "request", v); m != "" {
		return m
	}
	if !strings.HasPrefix(s.v.Request, "/") {
		s.v.Request = "/" + s.v.Request
	}
	return ""
}

func secLoad(p *parser, _ *section, line int, v string) string {
	s, m := parseQuoted("load", v)
	if m == "" && !strings.ContainsFunc(s, isWordRune) {
		m = badValue("load", v, `a "quoted" word`)
	}
	if m == "" { // parsed but never used by ldirectord 4.12 either
		p.warnf(line, "load: ignored, as ldirectord 4.12 ignores it (it parses load= but never uses it)")
	}
	return m
}

// secReceive: a quoted regular expression that must compile, so that a
// typo is a config error at check and start, not a down real later.
func secReceive(_ *parser, s *section, _ int, v string) string {
	if m := quotedInto(&s.v.Receive, "receive", v); m != "" {
		return m
	}
	if _, err := CompileReceive(s.v.Receive); err != nil {
		return "receive: " + err.Error()
	}
	return ""
}

func secCheckType(_ *parser, s *section, _ int, v string) string {
	if v != "" && strings.TrimLeft(v, "0123456789") == "" {
		n, m := parseUint("checktype", v, 1, maxSeconds, "a positive number of connect checks")
		s.v.CheckType, s.v.CheckCombined = CheckCombined, int(n)
		return m
	}
	switch t := CheckType(v); t {
	case CheckNegotiate, CheckConnect, CheckPing, CheckExternal, CheckExternalPerl, CheckOff, CheckOn:
		s.v.CheckType, s.v.CheckCombined = t, 0
		return ""
	}
	return badValue("checktype", v, "connect, negotiate, on, off, ping, external, external-perl or a positive number")
}

func secCheckCount(p *parser, s *section, line int, v string) (m string) {
	s.o.checkCount, m = parseCount("checkcount", v)
	if m == "" {
		p.warnf(line, "checkcount: option is deprecated and slated for removal (want failurecount)")
	}
	return m
}

func secCheckPort(_ *parser, s *section, _ int, v string) string {
	n, m := parseUint("checkport", v, 1, 65535, "a port 1-65535")
	s.v.CheckPort = uint16(n)
	return m
}

func secScheduler(_ *parser, s *section, _ int, v string) string {
	if !oneOf(v, schedulers) {
		return badValue("scheduler", v, "one of "+strings.Join(schedulers, " "))
	}
	s.v.Scheduler = v
	return ""
}

// secPersistent: ipvsadm -p accepts 1..2678400 (31 days).
func secPersistent(_ *parser, s *section, _ int, v string) string {
	n, m := parseUint("persistent", v, 1, 2678400, "a persistence timeout of 1-2678400 seconds")
	s.v.Persistent = uint32(n)
	return m
}

func secSchedFlags(_ *parser, s *section, _ int, v string) string {
	for _, f := range strings.Split(v, ",") {
		if !oneOf(f, schedFlags) {
			return fmt.Sprintf("schedflags: unknown flag %q (want a comma list of %s)", f, strings.Join(schedFlags, ", "))
		}
	}
	s.v.SchedFlags = v
	return ""
}

func secProtocol(_ *parser, s *section, _ int, v string) string {
	if s.v.FWMark != 0 {
		if v != "fwm" {
			return badValue("protocol", v, "fwm, as the virtual service is a firewall mark")
		}
		return ""
	}
	if v != "tcp" && v != "udp" {
		return badValue("protocol", v, "tcp or udp, as the virtual service is an address and port")
	}
	s.v.Protocol = v
	return ""
}

func secOPS(_ *parser, s *section, line int, v string) (m string) {
	s.v.OPS, m = parseYesNo("ops", v)
	s.opsLine = line
	return m
}

// secService also sets ldirectord's ftp/sip login defaults, which depend on
// the order of the directives, as in read_config.
func secService(p *parser, s *section, _ int, v string) string {
	if !oneOf(v, Services) {
		return badValue("service", v, strings.Join(Services, ", "))
	}
	s.v.Service = v
	host := p.opt.Hostname
	if host == "" {
		host = "localhost"
	}
	switch {
	case v == "ftp" && s.v.Login == "":
		s.v.Login = "anonymous"
	case v == "sip" && s.v.Login == "":
		s.v.Login = "ldirectord@" + host
	}
	if v == "ftp" && s.v.Passwd == "" {
		s.v.Passwd = "ldirectord@" + host
	}
	return ""
}

func secHTTPMethod(_ *parser, s *section, _ int, v string) string {
	u := strings.ToUpper(v)
	if u != "GET" && u != "HEAD" {
		return badValue("httpmethod", v, "GET or HEAD")
	}
	s.v.HTTPMethod = u
	return ""
}

func secFallback(_ *parser, s *section, line int, v string) string {
	s.fallback = &pendingLine{text: v, line: line}
	return ""
}

// finishSection resolves what needs the final protocol (ports, names,
// reals, fallback) and checks for a duplicate virtual service, as
// read_config does once a section ends.
func (p *parser) finishSection(s *section) *Error {
	v := s.v
	if v.FWMark == 0 {
		port, m := p.resolvePort("virtual", s.portText, v.Protocol)
		if m != "" {
			return p.fail(v.Line, m)
		}
		if port == 0 && v.Persistent == 0 {
			return p.errf(v.Line, "virtual: port 0 needs persistent= (want a port 1-65535, or persistent with a zero-port service)")
		}
		addr, m := p.resolveHost(keyOf(v), s.hostText, v.IPv6)
		if m != "" {
			return p.fail(v.Line, m)
		}
		v.Addr = netip.AddrPortFrom(addr, port)
		if v.Service == "" {
			v.Service = ServiceForPort(port)
		}
	}
	if (v.CheckType == CheckNegotiate || v.CheckType == CheckCombined) && v.Service == "oracle" {
		line, how := v.Line, "from the port of the virtual service"
		if l, ok := v.Lines["service"]; ok {
			line, how = l, "service=oracle"
		}
		return p.errf(line, "service: oracle check (%s) is not supported: it needs Oracle's client libraries, which this build does not have "+
			"(want checktype=connect, or checktype=external with a checkcommand that runs an Oracle client)", how)
	}
	if v.OPS && v.Protocol != "udp" {
		return p.errf(s.opsLine, "ops: one-packet scheduling on a %s service (want protocol=udp, or ops=no)", v.Protocol)
	}
	if s.fallback != nil {
		name := "fallback"
		if v.IPv6 {
			name = "fallback6"
		}
		f, m := p.fallback(s.fallback.line, name, s.fallback.text, v.IPv6, s.portText, v.Protocol)
		if m != "" {
			return p.fail(s.fallback.line, m)
		}
		v.Fallback = f
	}
	for _, r := range s.reals {
		if err := p.addReals(s, r); err != nil {
			return err
		}
	}
	p.checkCheckOptions(v)
	k := virtualKey{proto: v.Protocol, addr: v.Addr, fwmark: v.FWMark, ipv6: v.IPv6}
	if first, dup := p.seen[k]; dup {
		return p.errf(v.Line, "%s: duplicate virtual service %s (want each protocol, address and port once; first defined at line %d)",
			keyOf(v), v.ID(), first)
	}
	p.seen[k] = v.Line
	p.cfg.Virtuals = append(p.cfg.Virtuals, v)
	p.secs = append(p.secs, s)
	return nil
}

// keyOf is the directive that opened v's section.
func keyOf(v *Virtual) string {
	if v.IPv6 {
		return "virtual6"
	}
	return "virtual"
}

// ID names a virtual service like ldirectord's get_virtual_id_str:
// "tcp:10.1.1.10:80", "udp:[2001:db8::5]:53", "fwm:1", "fwm6:1".
func (v *Virtual) ID() string {
	if v.FWMark != 0 {
		if v.IPv6 {
			return fmt.Sprintf("fwm6:%d", v.FWMark)
		}
		return fmt.Sprintf("fwm:%d", v.FWMark)
	}
	return v.Protocol + ":" + v.Addr.String()
}
