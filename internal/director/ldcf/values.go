package ldcf

import (
	"fmt"
	"math/bits"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
)

// maxSeconds bounds every duration directive so that the value fits a
// time.Duration with room to spare (about 68 years).
const maxSeconds = 1<<31 - 1

// badValue is the common shape of a value error: `directive: bad value "x"
// (want ...)`.
func badValue(directive, value, want string) string {
	return fmt.Sprintf("%s: bad value %q (want %s)", directive, value, want)
}

// parseUint parses a plain decimal number in [lo, hi]. ldirectord matches
// /(\d+)/ anywhere in the value, so "-5" and "10s" pass as 5 and 10; we
// require the whole value to be the number.
func parseUint(directive, value string, lo, hi uint64, want string) (uint64, string) {
	if value == "" || strings.TrimLeft(value, "0123456789") != "" {
		return 0, badValue(directive, value, want)
	}
	n, err := strconv.ParseUint(value, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badValue(directive, value, want)
	}
	return n, ""
}

// perlNumbers are the directives ldirectord reads with `$1 =~ /(\d+)/ && $1`
// (read_config): the first run of digits anywhere in the value is the
// number, so "10s" is 10 and "-5" is 5.
var perlNumbers = map[string]bool{
	"checktimeout": true, "negotiatetimeout": true, "checkinterval": true,
	"checkcount": true, "failurecount": true,
}

// perlNumber returns the value ldirectord would read for directive key: for
// the directives in perlNumbers whose value is not a plain number, the first
// run of digits, with a warning saying so. ldirectord accepts such files, so
// we must too (issue: "a file that ldirectord 4.12 accepts must be
// accepted"); the warning tells the operator to write the plain number.
// Any other value is returned unchanged.
func perlNumber(key, value string) (number, warning string) {
	if !perlNumbers[key] || value == "" || strings.TrimLeft(value, "0123456789") == "" {
		return value, ""
	}
	i := strings.IndexAny(value, "0123456789")
	if i < 0 {
		return value, ""
	}
	j := i + len(value[i:]) - len(strings.TrimLeft(value[i:], "0123456789"))
	n := value[i:j]
	return n, fmt.Sprintf("%s: %q read as %s, as ldirectord does (want a plain number)", key, value, n)
}

// parseSeconds parses a positive number of seconds (ldirectord: /(\d+)/ && $1).
func parseSeconds(directive, value string) (time.Duration, string) {
	n, msg := parseUint(directive, value, 1, maxSeconds, "a whole number of seconds, 1 or more")
	return time.Duration(n) * time.Second, msg
}

// parseCount parses a positive count (checkcount, failurecount).
func parseCount(directive, value string) (int, string) {
	n, msg := parseUint(directive, value, 1, maxSeconds, "a whole number, 1 or more")
	return int(n), msg
}

// parseYesNo parses ldirectord's strict 'yes' | 'no'.
func parseYesNo(directive, value string) (bool, string) {
	switch value {
	case "yes":
		return true, ""
	case "no":
		return false, ""
	}
	return false, badValue(directive, value, "yes or no")
}

// parseQuoted returns the text between the first and the last double quote
// of a value that must be "quoted" (ldirectord: /^key\s*=\s*"(.*)"/).
func parseQuoted(directive, value string) (string, string) {
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return "", fmt.Sprintf("%s: value %s is not quoted (want %s=\"...\")", directive, quoteForMsg(value), directive)
	}
	return value[1 : len(value)-1], ""
}

// unquote strips one pair of enclosing double quotes, if present (used for
// directives that may be quoted or not).
func unquote(value string) string {
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		return value[1 : len(value)-1]
	}
	return value
}

// quoteForMsg renders a value for an error message.
func quoteForMsg(value string) string {
	if value == "" {
		return `""`
	}
	return value
}

// schedulers are the IPVS schedulers of Linux (net/netfilter/ipvs/ip_vs_*.c).
// ldirectord accepts any [a-z]+ and leaves the rejection to ipvsadm at run
// time; we reject an unknown name at parse time.
var schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// schedFlags are the names ipvsadm -b accepts (ipvsadm.c parse_sched_flags).
var schedFlags = []string{"flag-1", "flag-2", "flag-3", "sh-fallback", "sh-port", "mh-fallback", "mh-port"}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// parseNetmask turns a persistence netmask into a prefix length: a dotted
// quad for IPv4 (ldirectord: /^\d+\.\d+\.\d+\.\d+$/), a prefix length 1..128
// for IPv6.
func parseNetmask(value string, ipv6 bool) (uint8, string) {
	if ipv6 {
		n, msg := parseUint("netmask", value, 1, 128, "a prefix length 1-128 for virtual6")
		return uint8(n), msg
	}
	const want = "a contiguous dotted-quad netmask such as 255.255.255.0"
	a, err := netip.ParseAddr(value)
	if err != nil || !a.Is4() {
		return 0, badValue("netmask", value, want)
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := bits.LeadingZeros32(^m)
	if bits.TrailingZeros32(m) != 32-ones {
		return 0, badValue("netmask", value, want)
	}
	return uint8(ones), ""
}

// emailStatusOrder is the canonical order of emailalertstatus states.
var emailStatusOrder = []string{"starting", "running", "stopping", "reloading"}

// parseEmailAlertStatus validates and normalises emailalertstatus
// (ldirectord parse_emailalertstatus): "all", "none", or a comma list of
// starting, running, stopping, reloading; "none" must stand alone. The
// result is "all", "none" or the states in canonical order.
func parseEmailAlertStatus(directive, value string) (string, string) {
	const want = `all, none, or a comma list of starting, running, stopping, reloading`
	items := strings.Split(value, ",")
	set := map[string]bool{}
	none, all := false, false
	for _, it := range items {
		it = strings.TrimSpace(it)
		switch {
		case it == "" && len(items) == 1:
		case it == "none":
			none = true
		case it == "all":
			all = true
		case oneOf(it, emailStatusOrder):
			set[it] = true
		default:
			return "", fmt.Sprintf("%s: bad status %q (want %s)", directive, it, want)
		}
	}
	if none && (all || len(set) > 0) {
		return "", fmt.Sprintf("%s: %q combines none with other states (want none alone)", directive, value)
	}
	if all || len(set) == len(emailStatusOrder) {
		return "all", ""
	}
	var out []string
	for _, s := range emailStatusOrder {
		if set[s] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "none", ""
	}
	return strings.Join(out, ","), ""
}

// syslogFacilities are the facility names Sys::Syslog knows.
var syslogFacilities = []string{"auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news",
	"syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// isHostChar reports whether c may appear in a host name of virtual= or
// smtp= (ldirectord: [0-9A-Za-z._+-]).
func isHostChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '+' || c == '-'
}

// isPortChar reports whether c may appear in a port or service name
// (ldirectord: [0-9A-Za-z-_]).
func isPortChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

func allChars(s string, ok func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// isWordRune is Perl's \w for ASCII.
func isWordRune(r rune) bool {
	return r < 128 && (isPortChar(byte(r)) && r != '-')
}

// CompileReceive compiles a receive= pattern. ldirectord's patterns are Perl
// regular expressions; Go's RE2 covers the common subset (no
// backreferences, no lookaround). The check package matches with the same
// function, so what the parser accepts is what the checks run.
func CompileReceive(receive string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(receive)
	if err != nil {
		why := err.Error()
		if se, ok := err.(*syntax.Error); ok {
			why = fmt.Sprintf("%s `%s`", se.Code, se.Expr)
		}
		return nil, fmt.Errorf("bad regular expression %q: %s (want an RE2 regular expression: Perl syntax without backreferences or lookaround)",
			receive, why)
	}
	return re, nil
}
