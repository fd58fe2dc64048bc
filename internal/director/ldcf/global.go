package ldcf

import (
	"fmt"
	"net"
	"net/mail"
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
	"emailalertfrom":   gset(func(g *Global) *string { return &g.EmailAlertFrom }, parseEmailAlertFrom),
	"smtp":             gset(func(g *Global) *string { return &g.SMTP }, parseSMTP),
	"maintenancedir":   gset(func(g *Global) *string { return &g.MaintenanceDir }, absPath("maintenancedir")),
	"bgp_asn":          globalBGPASN,
	"bgp_router_id":    globalBGPRouterID,
	"bgp_peer":         globalBGPPeer,
	"ipvs_sync":        globalIPVSSync,
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
func absPath(d string) func(string) (string, string) {
	return func(v string) (string, string) { return parseAbsPath(d, unquote(v)) }
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

// globalExecute: ldirectord runs `ldirectord <value> start|stop|reload`
// through the shell, so a quoted name works there and blanks split it; we
// strip the quotes and refuse blanks.
func globalExecute(p *parser, _ int, v string) string {
	s, m := nonEmpty("execute", unquote(v))
	if m != "" {
		return m
	}
	if strings.ContainsAny(s, " \t\"'") {
		return badValue("execute", v, "one config file name or path, without blanks or quotes inside")
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

// parseEmailAlert is read_emailalert: enclosing quotes are stripped. Each
// comma-separated recipient must be an address (RFC 5322, "Name <a@b>"
// allowed) or a bare local user such as root, which the local sendmail
// delivers; ldirectord hands anything to its mailer and only fails there.
func parseEmailAlert(v string) (string, string) {
	s, m := nonEmpty("emailalert", unquote(v))
	if m != "" {
		return "", m
	}
	if _, err := Recipients(s); err != nil {
		return "", fmt.Sprintf("emailalert: %v (want a comma list of addresses such as \"ops@example.com, noc@example.com\")", err)
	}
	return s, ""
}

// parseEmailAlertFrom: one address for the From header, written as it will
// appear (ldirectord: "do not quote this string unless you want the quotes
// passed in"), e.g. `"ldirectord Alerts" <alerts@example.com>`.
func parseEmailAlertFrom(v string) (string, string) {
	s, m := nonEmpty("emailalertfrom", v)
	if m != "" {
		return "", m
	}
	if _, err := mail.ParseAddress(s); err != nil && !isLocalUser(s) {
		return "", badValue("emailalertfrom", v, `one address such as alerts@example.com or "ldirectord Alerts" <alerts@example.com>`)
	}
	return s, ""
}

// Recipients splits an emailalert value into the bare addresses to send
// to (the SMTP envelope): "Ops <ops@x.y>, root" gives ops@x.y and root.
func Recipients(list string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if isLocalUser(item) {
			out = append(out, item)
			continue
		}
		a, err := mail.ParseAddress(item)
		if err != nil {
			return nil, fmt.Errorf("bad address %q", item)
		}
		out = append(out, a.Address)
	}
	return out, nil
}

// isLocalUser reports whether s is a bare local user name (root, ops-team).
func isLocalUser(s string) bool { return allChars(s, isPortChar) }

// parseAbsPath: an absolute path (ldirectord takes any string, relative to
// its working directory "/", which is what an absolute path says).
func parseAbsPath(directive, v string) (string, string) {
	s, m := nonEmpty(directive, v)
	if m != "" {
		return "", m
	}
	if !strings.HasPrefix(s, "/") {
		return "", badValue(directive, v, "an absolute path such as /etc/ha.d/maintenance")
	}
	return s, ""
}

// parseEmailAlertFreq: seconds between repeated alerts, 0 = no repeats.
func parseEmailAlertFreq(v string) (time.Duration, string) {
	n, m := parseUint("emailalertfreq", v, 0, maxSeconds, "a whole number of seconds, 0 for no repeats")
	return time.Duration(n) * time.Second, m
}

// parseSMTP: a host name or address ([0-9A-Za-z._+-]+), as ldirectord
// takes it (port 25), or, our extension, host:port or [ipv6]:port.
// ldirectord cut the value at the first character outside that set, so
// "mail:2525" silently meant port 25 there; here the port is used.
func parseSMTP(v string) (string, string) {
	const want = "a host name or address of the SMTP relay, optionally with :port ([ipv6]:port)"
	host, port, ok := splitHostPort(unquote(v), func(c byte) bool { return c >= '0' && c <= '9' })
	if !ok || host == "" {
		return "", badValue("smtp", v, want)
	}
	if port != "" {
		if _, m := parseUint("smtp", port, 1, 65535, ""); m != "" {
			return "", badValue("smtp", v, want)
		}
	}
	return unquote(v), ""
}

// SMTPAddress returns the host:port to dial for an smtp= value accepted by
// parseSMTP: port 25 unless one is given (Net::SMTP's default).
func SMTPAddress(value string) string {
	host, port, _ := splitHostPort(value, func(c byte) bool { return c >= '0' && c <= '9' })
	if port == "" {
		port = "25"
	}
	return net.JoinHostPort(host, port)
}
