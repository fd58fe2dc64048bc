package ldcf

import (
	"fmt"
	"strings"
)

// CheckOption is a set of the per-virtual directives that only some checks
// read (request=, receive=, login=, ...). CheckReads is the one table of
// which check reads which: the parser warns about a given directive that
// the virtual's check does not read, and the director builds each check's
// options from the directives its check reads and nothing else, so that,
// for example, a RADIUS secret never reaches an HTTP check.
type CheckOption uint16

// The check options, one per directive.
const (
	OptRequest CheckOption = 1 << iota
	OptReceive
	OptHTTPMethod
	OptVirtualHost
	OptLogin
	OptPasswd
	OptDatabase
	OptSecret
	OptCheckCommand
)

// checkOptionNames are the directives of the CheckOption bits, in bit order.
var checkOptionNames = []string{"request", "receive", "httpmethod", "virtualhost", "login", "passwd", "database", "secret", "checkcommand"}

// serviceReads is what each negotiate service's check reads, after
// ldirectord 4.12's check_* subs (check_http, check_ftp, check_sql, ...);
// smtp, submission, nntp, none and oracle read none of these directives.
var serviceReads = map[string]CheckOption{
	"http":       OptRequest | OptReceive | OptHTTPMethod | OptVirtualHost,
	"https":      OptRequest | OptReceive | OptHTTPMethod | OptVirtualHost,
	"http_proxy": OptRequest | OptReceive | OptHTTPMethod | OptVirtualHost,
	"ftp":        OptRequest | OptReceive | OptLogin | OptPasswd,
	"dns":        OptRequest | OptReceive,
	"ldap":       OptRequest | OptReceive | OptLogin | OptPasswd,
	"ldaps":      OptRequest | OptReceive | OptLogin | OptPasswd,
	"simpletcp":  OptRequest | OptReceive,
	"mysql":      OptRequest | OptLogin | OptPasswd | OptDatabase,
	"pgsql":      OptRequest | OptLogin | OptPasswd | OptDatabase,
	"imap":       OptLogin | OptPasswd,
	"imaps":      OptLogin | OptPasswd,
	"pop":        OptLogin | OptPasswd,
	"pops":       OptLogin | OptPasswd,
	"sip":        OptLogin,
	"radius":     OptLogin | OptPasswd | OptSecret,
}

// allCheckOptions is every CheckOption bit.
const allCheckOptions = OptCheckCommand<<1 - 1

// CheckReads returns the directives that checktype typ with negotiate
// service (negotiate and combined checks only) reads. A negotiate check
// without a service (one built outside Parse, which always sets it) may
// read any of them.
func CheckReads(typ CheckType, service string) CheckOption {
	switch typ {
	case CheckNegotiate, CheckCombined:
		if service == "" {
			return allCheckOptions &^ OptCheckCommand
		}
		return serviceReads[service]
	case CheckExternal, CheckExternalPerl:
		return OptCheckCommand
	}
	return 0
}

// Has reports whether o holds every option of x.
func (o CheckOption) Has(x CheckOption) bool { return o&x == x }

// checkWhat names v's check in messages: "checktype=negotiate
// service=http", "checktype=connect".
func checkWhat(v *Virtual) string {
	switch v.CheckType {
	case CheckNegotiate:
		return "checktype=negotiate service=" + v.Service
	case CheckCombined:
		return fmt.Sprintf("checktype=%d service=%s", v.CheckCombined, v.Service)
	}
	return "checktype=" + string(v.CheckType)
}

// checkCheckOptions validates the check options of the finished section v.
// ldirectord 4.12 accepts every combination, so every finding is a loud
// warning with the directive's line, never a refusal (Debian's sample
// ldirectord.cf itself has a mysql check without login=): a directive the
// check does not read, and a missing one without which the check fails at
// every run whatever the real answers.
func (p *parser) checkCheckOptions(v *Virtual) {
	reads := CheckReads(v.CheckType, v.Service)
	p.missingCheckOptions(v, reads)
	for i, name := range checkOptionNames {
		if line, given := v.Lines[name]; given && !reads.Has(1<<i) {
			p.warnf(line, "%s: not used by %s, which ignores it (as ldirectord 4.12 does)", name, checkWhat(v))
		}
	}
	for _, r := range v.Reals {
		var unused []string
		if r.Request != "" && !reads.Has(OptRequest) {
			unused = append(unused, "request")
		}
		if r.Request != "" && r.Receive != "" && !reads.Has(OptReceive) {
			unused = append(unused, "receive")
		}
		if len(unused) > 0 {
			p.warnf(r.Line, "real: the %s of %s not used by %s, which ignores it (as ldirectord 4.12 does)",
				strings.Join(unused, " and "), r.Text, checkWhat(v))
		}
	}
}

// missingCheckOptions warns about the combinations with which a check
// fails every time whatever the real answers: ldirectord 4.12's check_sql
// marks the real down without a login= or a query, and check_radius
// without the shared secret (Authen::Radius refuses to start).
func (p *parser) missingCheckOptions(v *Virtual, reads CheckOption) {
	line := v.Line
	if l, ok := v.Lines["service"]; ok {
		line = l
	}
	const down = "every check of its reals will fail"
	if reads.Has(OptDatabase) && v.Login == "" {
		p.warnf(line, "login: %s needs login=, %s (want login=\"user\" with passwd= and request=\"the query\")", checkWhat(v), down)
	}
	if reads.Has(OptDatabase) && realWithoutQuery(v) {
		p.warnf(line, "request: %s needs request=\"an SQL query\", %s (want e.g. request=\"SELECT 1\")", checkWhat(v), down)
	}
	if reads.Has(OptSecret) && v.Secret == "" {
		p.warnf(line, "secret: %s needs secret=, %s (want secret=\"the RADIUS shared secret\")", checkWhat(v), down)
	}
}

// realWithoutQuery reports whether a real of v would be checked without
// an SQL query: neither it nor the virtual has a request= beyond the "/"
// that ldirectord prefixes.
func realWithoutQuery(v *Virtual) bool {
	if strings.TrimPrefix(v.Request, "/") != "" {
		return false
	}
	for _, r := range v.Reals {
		if strings.TrimPrefix(r.Request, "/") == "" {
			return true
		}
	}
	return false
}
