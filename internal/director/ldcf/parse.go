package ldcf

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Code defaults of ldirectord 4.12 (set_defaults, ld_setup).
const (
	DefaultCheckTimeout     = 5 * time.Second  // $DEFAULT_CHECKTIMEOUT
	DefaultNegotiateTimeout = 30 * time.Second // $DEFAULT_NEGOTIATETIMEOUT
	DefaultCheckInterval    = 10 * time.Second
	DefaultLogFile          = "/var/log/ldirectord.log"
)

// Limits that keep a hostile or mistyped file from exhausting memory.
const (
	maxRange = 4096  // addresses in one a->b range
	maxReals = 65536 // reals in one file after range expansion
)

// parser holds the state of one Parse call.
type parser struct {
	file  string
	opt   Options
	cfg   *Config
	secs  []*section
	seen  map[virtualKey]int // duplicate detection → line of the first
	reals int
}

// section is a virtual= block while it is read: what the directives set,
// before the resolution that needs the final protocol and the globals.
type section struct {
	v        *Virtual
	hostText string // "" for a fwmark service
	portText string
	reals    []pendingLine
	fallback *pendingLine
	opsLine  int
	realSeen map[netip.AddrPort]int // real address → line of its first real=
	o        overrides
}

// pendingLine is a directive value kept for resolution at the section's end.
type pendingLine struct {
	text string
	line int
}

// overrides are the per-virtual values that fall back to the globals, which
// may appear anywhere in the file, so they are resolved after the whole
// file is read (ldirectord resolves them in ld_setup and at run time).
type overrides struct {
	checkTimeout, negotiateTimeout, checkInterval time.Duration
	checkCount, failureCount                      int
	quiescent, cleanStop                          *bool
	emailAlert, emailAlertStatus, smtp            *string
	fallbackCommand                               *string
	emailAlertFreq                                *time.Duration
}

// virtualKey identifies a virtual service like ldirectord's
// get_virtual_id_str: protocol plus address:port, or fwmark plus family.
type virtualKey struct {
	proto  string
	addr   netip.AddrPort
	fwmark uint32
	ipv6   bool
}

// Parse parses the text of an ldirectord.cf. file is used only in error
// messages and Config.File. It performs no I/O: names are resolved through
// opt. The first error is returned as an *Error naming file:line.
func Parse(file string, src []byte, opt Options) (*Config, error) {
	p := &parser{
		file: file,
		opt:  opt,
		seen: map[virtualKey]int{},
		cfg: &Config{File: file, Global: Global{
			CheckInterval:    DefaultCheckInterval,
			CheckCount:       1,
			FailureCount:     1,
			LogFile:          DefaultLogFile,
			EmailAlertStatus: "all",
			CleanStop:        true,
			Lines:            map[string]int{},
		}},
	}
	if err := p.run(string(src)); err != nil {
		return nil, err
	}
	p.resolveEffective()
	if err := p.finishBGP(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

func (p *parser) errf(line int, format string, args ...any) *Error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) fail(line int, msg string) *Error {
	return &Error{File: p.file, Line: line, Msg: msg}
}

func (p *parser) warnf(line int, format string, args ...any) {
	p.cfg.Warnings = append(p.cfg.Warnings, Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// run reads the file line by line (ldirectord read_config). A line in
// column 0 is a global directive or starts a virtual section; a line
// indented by at least 4 columns (a tab counts 4) belongs to the current
// section. Blank and comment lines are skipped everywhere; unlike
// ldirectord, a blank line does not end a section (ldirectord would then
// reject the indented lines after it as unknown commands).
func (p *parser) run(src string) *Error {
	var sec *section
	for i, raw := range strings.Split(src, "\n") {
		n := i + 1
		indent, body := splitIndent(strings.TrimSuffix(raw, "\r"))
		if strings.TrimSpace(body) == "" || body[0] == '#' {
			continue
		}
		var err *Error
		switch {
		case indent == 0:
			if sec != nil {
				if err = p.finishSection(sec); err != nil {
					return err
				}
				sec = nil
			}
			key, val, hasEq := splitDirective(stripComment(body, false))
			if key == "virtual" || key == "virtual6" {
				sec, err = p.startSection(n, key, val, hasEq)
			} else {
				err = p.global(n, key, val, hasEq, body)
			}
		case indent < 4:
			err = p.errf(n, "%s: indented by %d columns (want at least 4 spaces or a tab inside a virtual section, none for a global directive)",
				directiveName(body), indent)
		case sec == nil:
			err = p.errf(n, "%s: indented line outside a virtual section (want it under a virtual= line, or in column 0 if it is global)",
				directiveName(body))
		default:
			err = p.sectionLine(sec, n, stripComment(body, true), body)
		}
		if err != nil {
			return err
		}
	}
	if sec != nil {
		return p.finishSection(sec)
	}
	return nil
}

// splitIndent returns the indentation width (tab = 4 spaces, as
// ldirectord's s/\t/    /g) and the rest of the line.
func splitIndent(s string) (int, string) {
	w := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			w++
		case '\t':
			w += 4
		default:
			return w, s[i:]
		}
	}
	return w, ""
}

// stripComment removes a trailing "# comment" outside double quotes and
// trailing blanks. In a section ldirectord strips from any '#'
// (s/#.*//); at top level it strips nothing, so there a '#' starts a
// comment only after a blank, which keeps values such as
// emailalert=a#b@example.com intact.
func stripComment(s string, anywhere bool) string {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case '#':
			if !inQuote && (anywhere || i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
				s = s[:i]
				return strings.TrimRight(s, " \t")
			}
		}
	}
	return strings.TrimRight(s, " \t\r\v\f")
}

// splitDirective splits "key = value" into its parts.
func splitDirective(s string) (key, value string, hasEq bool) {
	i := 0
	for i < len(s) && isPortChar(s[i]) {
		i++
	}
	key = s[:i]
	rest := strings.TrimLeft(s[i:], " \t")
	if strings.HasPrefix(rest, "=") {
		return key, strings.TrimSpace(rest[1:]), true
	}
	return key, rest, false
}

// directiveName returns a printable name for the directive of a line.
func directiveName(body string) string {
	key, _, _ := splitDirective(body)
	if key == "" {
		return fmt.Sprintf("line %q", truncate(body))
	}
	return key
}

func truncate(s string) string {
	const max = 40
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// noEq is the error for a directive written without "=".
func (p *parser) noEq(line int, key, body string) *Error {
	if key == "" {
		return p.errf(line, "line %q: not a directive (want directive=value)", truncate(body))
	}
	return p.errf(line, "%s: missing \"=\" (want %s=value)", key, key)
}

// resolveEffective fills in every per-virtual value that falls back to a
// global one (ld_setup's timeout chains, fallback_find, and the
// `defined $v->{x} ? $v->{x} : $X` lookups done at run time).
func (p *parser) resolveEffective() {
	g := &p.cfg.Global
	for _, s := range p.secs {
		v, o := s.v, &s.o
		v.CheckTimeout = firstSet(o.checkTimeout, o.negotiateTimeout, g.CheckTimeout, g.NegotiateTimeout, DefaultCheckTimeout)
		v.NegotiateTimeout = firstSet(o.negotiateTimeout, o.checkTimeout, g.NegotiateTimeout, g.CheckTimeout, DefaultNegotiateTimeout)
		v.CheckInterval = g.CheckInterval
		if o.checkInterval > 0 {
			if g.Fork {
				v.CheckInterval = o.checkInterval
			} else {
				p.warnf(v.Lines["checkinterval"], "checkinterval: in virtual service %s ignored when fork=no", v.Text)
			}
		}
		v.CheckCount = pick(o.checkCount, g.CheckCount)
		v.FailureCount = pick(o.failureCount, g.FailureCount)
		v.Quiescent = deref(o.quiescent, g.Quiescent)
		v.CleanStop = deref(o.cleanStop, g.CleanStop)
		v.EmailAlert = deref(o.emailAlert, g.EmailAlert)
		v.EmailAlertStatus = deref(o.emailAlertStatus, g.EmailAlertStatus)
		v.EmailAlertFreq = deref(o.emailAlertFreq, g.EmailAlertFreq)
		v.SMTP = deref(o.smtp, g.SMTP)
		v.FallbackCommand = deref(o.fallbackCommand, g.FallbackCommand)
		if v.Fallback == nil {
			v.Fallback = globalFallback(g, v)
		}
	}
}

// globalFallback is fallback_find: the global fallback of the virtual's
// family, with the virtual's port when it has none. ldirectord dies at run
// time for a fwmark virtual with a global fallback; we use it with port 0.
func globalFallback(g *Global, v *Virtual) *Fallback {
	f := g.Fallback
	if v.IPv6 {
		f = g.Fallback6
	}
	if f == nil {
		return nil
	}
	c := *f
	if c.Addr.Port() == 0 && v.FWMark == 0 {
		c.Addr = netip.AddrPortFrom(c.Addr.Addr(), v.Addr.Port())
	}
	return &c
}

func firstSet(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}

func pick(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func deref[T any](p *T, def T) T {
	if p != nil {
		return *p
	}
	return def
}
