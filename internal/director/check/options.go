package check

import (
	"net/netip"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Options is the check of a virtual's reals, typed by what each service
// reads (ldcf.CheckReads): a field a check does not read stays zero, so
// that, for example, a RADIUS secret never reaches an HTTP check nor makes
// two otherwise equal checks of one real differ. It is comparable and
// read-only once built; Intern shares one copy of every distinct value.
type Options struct {
	Type     ldcf.CheckType
	Service  string // negotiate service: http, smtp, ... ("" for other types)
	Protocol string // "tcp", "udp" or "fwm": the virtual's protocol

	// Timeout bounds one check: checktimeout for connect/ping/external,
	// negotiatetimeout for negotiate. The caller also puts it on the context.
	Timeout time.Duration
	// CheckTimeout is checktimeout, for the parts of negotiate checks that
	// ldirectord bounds by it rather than by negotiatetimeout: the connect
	// half of a combined check and the alarm around check_ldap and
	// check_radius. 0 means Timeout.
	CheckTimeout time.Duration
	// CheckCount is the ping attempt count; Combined is N of checktype=N.
	CheckCount int
	Combined   int

	// Request is what to ask: the HTTP path or URL, the FTP file, the DNS
	// name, the LDAP base DN, the SQL query or the simpletcp line. Receive
	// is the regular expression the answer must match.
	Request string
	Receive string

	HTTP     HTTPOptions     // http, https, http_proxy
	Auth     Credentials     // ftp, imap(s), pop(s), ldap(s), sip (login only), radius, mysql, pgsql
	Database string          // mysql, pgsql
	Secret   string          // radius: the shared secret
	External ExternalOptions // external, external-perl
}

// HTTPOptions are httpmethod= and virtualhost=.
type HTTPOptions struct {
	Method      string // GET (default) or HEAD
	VirtualHost string // the Host header; "" = the real's address
}

// Credentials are login= and passwd=.
type Credentials struct {
	Login  string
	Passwd string
}

// ExternalOptions is an external check: checkcommand= and the virtual
// service the command gets as its first arguments
// (`cmd <vip|fwmark> <vport> <rip> <rport>`).
type ExternalOptions struct {
	Command string
	Virtual netip.AddrPort
	FWMark  uint32
}

// interned is the table of Intern: each distinct Options value to its
// shared copy, held weakly, so that a copy no check refers to any more
// (after a reload changed the options) is collected with its entry.
var interned = struct {
	sync.Mutex
	m map[Options]weak.Pointer[Options]
}{m: map[Options]weak.Pointer[Options]{}}

// Intern returns the shared copy of o: equal values give the same pointer,
// so Targets built from interned options compare equal exactly when their
// reals, ports and options are equal, and ten thousand reals checked alike
// share one Options. Safe for concurrent use.
func Intern(o Options) *Options {
	interned.Lock()
	defer interned.Unlock()
	if p := interned.m[o].Value(); p != nil {
		return p
	}
	p := new(Options)
	*p = o
	wp := weak.Make(p)
	interned.m[o] = wp
	runtime.AddCleanup(p, forget, o)
	return p
}

// forget drops the entry of o once its copy is collected, unless Intern
// has made a new copy of the same value since.
func forget(o Options) {
	interned.Lock()
	defer interned.Unlock()
	if interned.m[o].Value() == nil {
		delete(interned.m, o)
	}
}
