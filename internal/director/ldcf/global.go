package ldcf

import (
	"fmt"
	"strings"
	"time"
)

// globalFunc applies one global directive's value; it returns an error
// message (without file:line) or "".
type globalFunc func(p *parser, line int, value string) string

// globals is the table of top-level directives of ldirectord 4.12
// (read_config, outer loop).
var globals = map[string]globalFunc{
	"checktimeout":     gset(func(g *Global) *time.Duration { return &g.CheckTimeout }, seconds("checktimeout")),
	"negotiatetimeout": gset(func(g *Global) *time.Duration { return &g.NegotiateTimeout }, seconds("negotiatetimeout")),
	"checkinterval":    gset(func(g *Global) *time.Duration { return &g.CheckInterval }, seconds("checkinterval")),
	"failurecount":     gset(func(g *Global) *int { return &g.FailureCount }, count("failurecount")),
	"checkcount":       globalCheckCount,
	"connecttimeout":   func(*parser, int, string) string { return deprecatedConnectTimeout },
	"timeout":          func(*parser, int, string) string { return deprecatedTimeout },
	"fallback":         func(p *parser, l int, v string) string { return p.globalFallback(l, v, false) },
	"fallback6":        func(p *parser, l int, v string) string { return p.globalFallback(l, v, true) },
	"fallbackcommand":  gset(func(g *Global) *string { return &g.FallbackCommand }, nonEmptyUnquoted("fallbackcommand")),
	"autoreload":       gset(func(g *Global) *bool { return &g.AutoReload }, yesNo("autoreload")),
	"callback":         globalCallback,
	"logfile":          globalLogFile,
	"execute":          globalExecute,
	"fork":             gset(func(g *Global) *bool { return &g.Fork }, yesNo("fork")),
	"supervised":       gset(func(g *Global) *bool { return &g.Supervised }, yesNo("supervised")),
	"quiescent":        gset(func(g *Global) *bool { return &g.Quiescent }, yesNo("quiescent")),
	"readdquiescent":   gset(func(g *Global) *bool { return &g.ReaddQuiescent }, yesNo("readdquiescent")),
	"cleanstop":        gset(func(g *Global) *bool { return &g.CleanStop }, yesNo("cleanstop")),
	"emailalert":       gset(func(g *Global) *string { return &g.EmailAlert }, parseEmailAlert),
	"emailalertfreq":   gset(func(g *Global) *time.Duration { return &g.EmailAlertFreq }, parseEmailAlertFreq),
	"emailalertstatus": gset(func(g *Global) *string { return &g.EmailAlertStatus }, emailStatus("emailalertstatus")),
	"emailalertfrom":   gset(func(g *Global) *string { return &g.EmailAlertFrom }, nonEmptyRaw("emailalertfrom")),
	"smtp":             gset(func(g *Global) *string { return &g.SMTP }, parseSMTP),
	"maintenancedir":   gset(func(g *Global) *string { return &g.MaintenanceDir }, nonEmptyUnquoted("maintenancedir")),
}

// gset builds a globalFunc that parses a value and stores it in a field
// of Global unless parsing failed.
func gset[T any](field func(*Global) *T, parse func(string) (T, string)) globalFunc {
	return func(p *parser, _ int, v string) string {
		x, m := parse(v)
		if m == "" {
			*field(p.g()) = x
		}
		return m
	}
}

// Parsers bound to a directive name, for the tables.
func seconds(d string) func(string) (time.Duration, string) {
	return func(v string) (time.Duration, string) { return parseSeconds(d, v) }
}
func count(d string) func(string) (int, string) {
	return func(v string) (int, string) { return parseCount(d, v) }
}
func yesNo(d string) func(string) (bool, string) {
	return func(v string) (bool, string) { return parseYesNo(d, v) }
}
func nonEmptyRaw(d string) func(string) (string, string) {
	return func(v string) (string, string) { return nonEmpty(d, v) }
}
func nonEmptyUnquoted(d string) func(string) (string, string) {
	return func(v string) (string, string) { return nonEmpty(d, unquote(v)) }
}
func emailStatus(d string) func(string) (string, string) {
	return func(v string) (string, string) { return parseEmailAlertStatus(d, v) }
}

// Messages of ldirectord's deprecated directives.
const (
	deprecatedConnectTimeout = "connecttimeout: directive deprecated in favour of negotiatetimeout (want negotiatetimeout=N)"
	deprecatedTimeout        = "timeout: directive deprecated in favour of checktimeout and negotiatetimeout (want checktimeout=N and/or negotiatetimeout=N)"
)

func (p *parser) g() *Global { return &p.cfg.Global }

// global applies one top-level directive.
func (p *parser) global(line int, key, value string, hasEq bool, body string) *Error {
	if key == "supervised" && !hasEq && value == "" {
		// ldirectord: a bare "supervised" means yes, with a warning.
		p.g().Supervised = true
		p.g().Lines[key] = line
		p.warnf(line, "supervised: please update your config not to use a bare supervised directive")
		return nil
	}
	f, ok := globals[key]
	if !ok {
		if _, inSection := sectionDirectives[key]; inSection {
			return p.errf(line, "%s: only valid inside a virtual section (want it indented by at least 4 spaces or a tab under a virtual= line)", key)
		}
		if key == "" {
			return p.noEq(line, key, body)
		}
		return p.errf(line, "%s: unknown directive (want a global directive such as checktimeout, checkinterval, logfile, quiescent, or virtual=)", key)
	}
	if !hasEq {
		return p.noEq(line, key, body)
	}
	if n, warning := perlNumber(key, value); warning != "" {
		value = n
		p.warnf(line, "%s", warning)
	}
	if msg := f(p, line, value); msg != "" {
		return p.fail(line, msg)
	}
	p.g().Lines[key] = line
	return nil
}

func globalCheckCount(p *parser, line int, v string) (m string) {
	p.g().CheckCount, m = parseCount("checkcount", v)
	if m == "" {
		p.warnf(line, "checkcount: option is deprecated and slated for removal (want failurecount)")
	}
	return m
}

func globalCallback(p *parser, _ int, v string) string {
	s, m := parseQuoted("callback", v)
	if m == "" {
		s, m = nonEmpty("callback", s)
	}
	p.g().Callback = s
	return m
}

// globalLogFile: logfile must be quoted; a value without a leading "/" is a
// syslog facility. ldirectord opens the file here; that is left to the
// caller, which does the I/O.
func globalLogFile(p *parser, _ int, v string) string {
	s, m := parseQuoted("logfile", v)
	if m != "" {
		return m
	}
	if s == "" {
		return `logfile: empty value (want "/path/to/file" or a syslog facility such as "local0")`
	}
	if s[0] != '/' && !oneOf(s, syslogFacilities) {
		return fmt.Sprintf("logfile: %q is neither an absolute path nor a syslog facility (want \"/path\" or one of %s)",
			s, strings.Join(syslogFacilities, ", "))
	}
	p.g().LogFile = s
	return ""
}

func globalExecute(p *parser, _ int, v string) string {
	s, m := nonEmpty("execute", v)
	if m != "" {
		return m
	}
	if !oneOf(s, p.g().Execute) {
		p.g().Execute = append(p.g().Execute, s)
	}
	return ""
}

func (p *parser) globalFallback(line int, value string, ipv6 bool) string {
	name := "fallback"
	if ipv6 {
		name = "fallback6"
	}
	f, m := p.fallback(line, name, value, ipv6, "", "tcp")
	if m != "" {
		return m
	}
	if ipv6 {
		p.g().Fallback6 = f
	} else {
		p.g().Fallback = f
	}
	return ""
}

// nonEmpty rejects an empty value (ldirectord: $1 =~ /(.+)/ or error).
func nonEmpty(directive, v string) (string, string) {
	if v == "" {
		return "", fmt.Sprintf("%s: empty value (want %s=<value>)", directive, directive)
	}
	return v, ""
}

// parseEmailAlert is read_emailalert: enclosing quotes are stripped.
func parseEmailAlert(v string) (string, string) {
	return nonEmpty("emailalert", unquote(v))
}

// parseEmailAlertFreq: seconds between repeated alerts, 0 = no repeats.
func parseEmailAlertFreq(v string) (time.Duration, string) {
	n, m := parseUint("emailalertfreq", v, 0, maxSeconds, "a whole number of seconds, 0 for no repeats")
	return time.Duration(n) * time.Second, m
}

// parseSMTP: a host name or address ([0-9A-Za-z._+-]+).
func parseSMTP(v string) (string, string) {
	if !allChars(v, isHostChar) {
		return "", badValue("smtp", v, "a host name or IPv4 address of the SMTP relay")
	}
	return v, ""
}
