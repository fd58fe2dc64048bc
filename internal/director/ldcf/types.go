package ldcf

import (
	"net/netip"
	"time"
)

// Config is a parsed ldirectord.cf. Every per-virtual value is the effective
// one: a per-virtual directive if present, else the global one, else
// ldirectord 4.12's code default (set_defaults / read_config).
type Config struct {
	File     string // path as given to Parse, used in error messages
	Global   Global
	Virtuals []*Virtual
	// Warnings are the non-fatal remarks ldirectord prints with
	// config_warn (deprecated checkcount, a bare supervised, a per-virtual
	// checkinterval with fork=no), plus a few of our own (a duplicate real).
	Warnings []Error
}

// Global holds the file's top-level directives with ldirectord 4.12's code
// defaults applied.
type Global struct {
	CheckTimeout     time.Duration // 0 = unset (falls back per anchors.md §2.2)
	NegotiateTimeout time.Duration // 0 = unset
	CheckInterval    time.Duration // default 10s
	CheckCount       int           // default 1 (deprecated, ping only)
	FailureCount     int           // default 1
	AutoReload       bool          // default no
	Callback         string        // run as `callback <config path>` when the file changes
	Fallback         *Fallback     // global fallback=, IPv4
	Fallback6        *Fallback     // global fallback6=
	FallbackCommand  string
	LogFile          string // default "/var/log/ldirectord.log"; no leading "/" = syslog facility
	EmailAlert       string
	EmailAlertFreq   time.Duration
	EmailAlertStatus string // default "all"
	EmailAlertFrom   string
	SMTP             string
	Execute          []string // other configs to start/stop/reload with this one
	Fork             bool     // default no
	Supervised       bool     // default no
	Quiescent        bool     // default no (the code's default, not the POD's)
	ReaddQuiescent   bool     // default no
	CleanStop        bool     // default yes
	MaintenanceDir   string
	BGP              BGP      // bgp_asn, bgp_router_id, bgp_peer (not in 4.12)
	IPVSSync         IPVSSync // ipvs_sync (not in 4.12)

	// Lines maps each global directive given in the file (by its name,
	// e.g. "checktimeout") to the line of its last occurrence.
	Lines map[string]int
}

// LogToSyslog reports whether logfile names a syslog facility rather than a
// path (ldirectord: a value without a leading "/").
func (g Global) LogToSyslog() bool { return g.LogFile != "" && g.LogFile[0] != '/' }

// CheckType is the kind of health check of a virtual's reals.
type CheckType string

// Check types of ldirectord 4.12. A number N ("combined") is CheckCombined
// with Virtual.CheckCombined = N.
const (
	CheckNegotiate    CheckType = "negotiate"
	CheckConnect      CheckType = "connect"
	CheckPing         CheckType = "ping"
	CheckExternal     CheckType = "external"
	CheckExternalPerl CheckType = "external-perl"
	CheckOff          CheckType = "off"
	CheckOn           CheckType = "on"
	CheckCombined     CheckType = "combined"
)

// Forward is a real's forwarding method as written in the file.
type Forward string

// Forwarding methods.
const (
	Gate Forward = "gate"
	Masq Forward = "masq"
	IPIP Forward = "ipip"
)

// Virtual is one virtual= or virtual6= section.
type Virtual struct {
	Line int    // line of the virtual= directive
	Text string // the value as written, e.g. "10.1.1.10:80", "www:http", "80"
	IPv6 bool   // virtual6=

	// Exactly one of Addr (address services) or FWMark (fwmark services) is set.
	Addr   netip.AddrPort
	FWMark uint32

	Protocol string // "tcp", "udp" or "fwm"
	Reals    []Real

	CheckType     CheckType
	CheckCombined int    // N of a numeric checktype
	Service       string // negotiate service; defaulted from the port
	Request       string // default "/"
	Receive       string
	HTTPMethod    string // GET (default) or HEAD
	VirtualHost   string
	CheckPort     uint16 // 0 = the real's port
	CheckCommand  string // default "/bin/true"
	Login         string
	Passwd        string
	Database      string
	Secret        string

	Scheduler   string // default "wrr"
	Persistent  uint32 // seconds, 0 = not persistent
	NetmaskBits uint8  // persistence netmask as a prefix length; 32 (v4) or 128 (v6) when not given
	SchedFlags  string // schedflags= as written, e.g. "sh-port"
	OPS         bool   // one-packet scheduling (UDP only)

	CheckTimeout     time.Duration // effective timeout for connect/external/ping checks
	NegotiateTimeout time.Duration // effective timeout for negotiate checks
	CheckInterval    time.Duration // effective
	CheckCount       int
	FailureCount     int

	Fallback        *Fallback // effective: per-virtual, else the global one of the same family
	FallbackCommand string
	Quiescent       bool
	CleanStop       bool

	EmailAlert       string
	EmailAlertFreq   time.Duration
	EmailAlertStatus string
	SMTP             string
	MonitorFile      string
	ServiceName      string
	Comment          string

	// Lines maps each directive given in this section (by its name, e.g.
	// "service", "real") to the line of its last occurrence, so that later
	// validators (the check package) can report file:line.
	Lines map[string]int
}

// Real is one real= or real6= line, after range expansion and name
// resolution (a range a->b yields one Real per address, all with the same
// Line).
type Real struct {
	Line    int
	Text    string         // the address as written
	Addr    netip.AddrPort // port 0 when omitted (fwmark virtuals)
	Forward Forward        // required on real= lines (ldirectord rejects a real without one)
	Weight  int            // default 1
	Request string         // per-real request, "" = the virtual's
	Receive string         // per-real receive; applies (even when "") iff Request != ""
	Lower   uint32         // l:N, ipvsadm -y
	Upper   uint32         // u:N, ipvsadm -x
}

// Fallback is a fallback= server: a sorry server added when no real is up.
type Fallback struct {
	Line    int
	Addr    netip.AddrPort // port 0 = the virtual's port
	Forward Forward        // default gate
}

// Options supplies the lookups the parser needs, so that it performs no I/O
// itself. A nil func means "names are not resolvable" and yields a clear error.
type Options struct {
	// LookupHost resolves a host name to its addresses (ldirectord uses
	// gethostbyname, so the first IPv4 address is used for virtual= and real=).
	LookupHost func(host string) ([]netip.Addr, error)
	// LookupPort resolves a service name such as "http" for protocol "tcp"
	// or "udp" (ldirectord uses getservbyname). When nil, a built-in table
	// of the well-known names is used.
	LookupPort func(proto, service string) (uint16, error)
	// Hostname is this machine's name, used for ldirectord's ftp/sip
	// defaults (passwd "ldirectord@<host>").
	Hostname string
}
