package hacf

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Defaults of Heartbeat 3.0.6 (heartbeat/config.c Directives[] and
// init_config, confirmed with `heartbeat -D`; anchors.md §1.3).
const (
	DefaultKeepalive            = 1000 * time.Millisecond
	DefaultDeadtime             = 30000 * time.Millisecond
	DefaultUDPPort              = 694 // include/heartbeat.h UDPPORT; Heartbeat first asks getservbyname("ha-cluster")
	DefaultHopFudge             = 1
	DefaultConnLogdTime         = 60 * time.Second
	DefaultMaxRexmitDelay       = 250 * time.Millisecond
	DefaultCompression          = "zlib"
	DefaultCompressionThreshold = 2    // KB
	DefaultMemReserve           = 6500 // KB
	DefaultCluster              = "linux-ha"
)

// Limits of Heartbeat 3.0.6 (include/heartbeat.h).
const (
	MaxNodes    = 100 // MAXNODE, normal and ping nodes together
	MaxMedia    = 64  // MAXMEDIA
	MaxAuth     = 16  // MAXAUTH: authkeys indices 0..15
	maxHostLeng = 100 // HOSTLENG, including the terminating NUL
)

// Config is a parsed ha.cf with Heartbeat 3.0.6's defaults applied and its
// derived values (warntime, initdead, deadping, udpport) computed.
type Config struct {
	File string // the name given to ParseHaCf, used in messages

	// Lines maps a directive name as written ("keepalive", "udp", "crm")
	// to the line of its last occurrence. Directives that can appear
	// several times (node, ucast, respawn, ...) also carry a Line each.
	Lines map[string]int

	Nodes []Node // normal cluster members, in file order, lowercased, no duplicates

	Keepalive time.Duration // default 1 s
	Deadtime  time.Duration // default 30 s; must be > 2×Keepalive
	Warntime  time.Duration // default Deadtime/2
	Initdead  time.Duration // default derived from Deadtime; must be >= Deadtime
	Deadping  time.Duration // default Deadtime; must be > 2×Keepalive

	UDPPort    uint16 // last udpport value, default 694
	Ucast      []Ucast
	Bcast      []Bcast
	Mcast      []Mcast
	Ping       []Ping
	PingGroups []PingGroup

	AutoFailback AutoFailback // default legacy
	Respawn      []Respawn

	LogFacility  string // syslog facility name, "none", or "" (unset)
	LogFile      string // "" when unset; /dev/null when logfacility is set and logfile is not
	DebugFile    string // as LogFile
	UseLogd      bool   // effective: implied true when no logfile, debugfile or logfacility is set
	SyslogMsgFmt bool   // default true
	LogBadPack   bool   // default true
	Debug        int    // 0..255, default 0

	HopFudge               int // 0..255, default 1
	Autojoin               Autojoin
	Realtime               bool // default true
	RTPrio                 int  // 1..99; 0 = unset (SCHED_RR priority 1, as 3.0.6 runs)
	Coredumps              bool // default true
	CoreRoot               string
	UUIDFrom               UUIDFrom
	GenMethod              GenMethod // hbgenmethod
	MsgFmt                 MsgFmt
	Compression            string        // "zlib" or "bz2"
	CompressionThreshold   int           // KB, default 2
	TraditionalCompression bool          // default false
	MaxRexmitDelay         time.Duration // default 250 ms
	ConnLogdTime           time.Duration // default 60 s
	MemReserve             int           // KB, default 6500
	Cluster                string        // default "linux-ha"
	QuorumServer           string
	Watchdog               string // device path, "" = none
	UseAppHBD              bool
	Env                    []Env
	APIAuth                []APIAuth // only the ones written in the file; Heartbeat's built-ins are not listed
}

// Node is one name of a node directive.
type Node struct {
	Line int
	Name string // lowercased, as Heartbeat stores it
}

// Ucast is a "ucast dev peer" medium.
type Ucast struct {
	Line  int
	Iface string
	Peer  string     // as written: an IPv4 address or a host name
	Addr  netip.Addr // Peer parsed when it is an IPv4 literal, else invalid (resolve Peer)
	Port  uint16     // the port this medium uses (see Bcast.Port)
}

// Bcast is one interface of a bcast (or legacy udp) directive.
type Bcast struct {
	Line  int
	Iface string
	// Port is the UDP port this medium uses. Heartbeat's bcast and ucast
	// plugins each read udpport once, when their first medium is created,
	// so a udpport line after the first bcast (ucast) line does not change
	// the port of any bcast (ucast) medium (lib/plugins/HBcomm/bcast.c,
	// ucast.c: static localudpport).
	Port uint16
}

// Mcast is a "mcast dev group port ttl loop" medium.
type Mcast struct {
	Line  int
	Iface string
	Group netip.Addr // IPv4 multicast address
	Port  uint16
	TTL   uint8 // 0..4 (lib/plugins/HBcomm/mcast.c mcast_parse)
	Loop  bool
}

// Ping is one ping node of a ping directive.
type Ping struct {
	Line int
	Host string     // as written, lowercased like a node name
	Addr netip.Addr // Host parsed when it is an IPv4 literal, else invalid
}

// PingGroup is a ping_group directive: one pseudo-node that is up while
// any of its hosts answers.
type PingGroup struct {
	Line  int
	Name  string   // lowercased
	Hosts []string // as written
}

// Respawn is a respawn directive. Heartbeat runs it as
// `/bin/sh -c "exec <Command>"` with the user's uid and gid, and restarts
// it when it exits, unless it exits 100 (heartbeat/heartbeat.c).
type Respawn struct {
	Line    int
	User    string
	Command string // the rest of the line: path and arguments
	Path    string // the first word of Command, an absolute path
}

// Env is an env directive: NAME=value exported as HA_NAME=value to
// respawned children.
type Env struct {
	Line  int
	Name  string // with the HA_ prefix
	Value string
}

// APIAuth is an apiauth directive.
type APIAuth struct {
	Line   int
	Client string
	UIDs   []string // names or numbers, as written
	GIDs   []string
}

// AutoFailback is the auto_failback mode.
type AutoFailback int

// auto_failback modes. Legacy is Heartbeat 3.0.6's default.
const (
	FailbackLegacy AutoFailback = iota
	FailbackOn
	FailbackOff
)

// String returns the directive value: "on", "off" or "legacy".
func (a AutoFailback) String() string {
	switch a {
	case FailbackOn:
		return "on"
	case FailbackOff:
		return "off"
	default:
		return "legacy"
	}
}

// Autojoin is the autojoin mode.
type Autojoin int

// autojoin modes; hbd (R1 resource management) accepts only AutojoinNone.
const (
	AutojoinNone Autojoin = iota
	AutojoinOther
	AutojoinAny
)

// String returns the directive value.
func (a Autojoin) String() string {
	return enumString("Autojoin", int(a), "none", "other", "any")
}

// UUIDFrom is where a node's UUID comes from.
type UUIDFrom int

// uuidfrom values.
const (
	UUIDFromFile     UUIDFrom = iota // /var/lib/heartbeat/hb_uuid
	UUIDFromNodename                 // derived from the node name
)

// String returns the directive value.
func (u UUIDFrom) String() string { return enumString("UUIDFrom", int(u), "file", "nodename") }

// GenMethod is how the generation number is computed (hbgenmethod).
type GenMethod int

// hbgenmethod values.
const (
	GenFile GenMethod = iota // /var/lib/heartbeat/hb_generation, +1 on every start
	GenTime                  // time(NULL)
)

// String returns the directive value.
func (g GenMethod) String() string { return enumString("GenMethod", int(g), "file", "time") }

// MsgFmt is the msgfmt directive. Since glue 1.0.10 the wire format is
// netstring either way (anchors.md §1.9); the value is kept for status.
type MsgFmt int

// msgfmt values.
const (
	MsgFmtClassic MsgFmt = iota
	MsgFmtNetstring
)

// String returns the directive value.
func (m MsgFmt) String() string { return enumString("MsgFmt", int(m), "classic", "netstring") }

// Warning is something Heartbeat accepts but reports, or a hbd note about
// a value that is accepted but probably not what was meant.
type Warning struct {
	File string
	Line int // 0 when the warning concerns the file as a whole
	Msg  string
}

// String returns "file:line: message".
func (w Warning) String() string { return position(w.File, w.Line) + w.Msg }

// Error is a configuration error at file:line. Its text is
// "file:line: directive: what is wrong (what was expected)".
type Error struct {
	File string
	Line int // 0 when the error concerns the file as a whole
	Msg  string
}

// Error returns "file:line: message" (or "file: message" without a line).
func (e *Error) Error() string { return position(e.File, e.Line) + e.Msg }

// ErrorList holds every error of one file, in line order. Parsers return a
// single *Error when there is one and an ErrorList when there are several;
// errors.As(err, &e) with e *Error finds the first one in both cases.
type ErrorList []*Error

// Error returns every error, one a line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the errors for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func enumString(typ string, i int, names ...string) string {
	if i < 0 || i >= len(names) {
		return fmt.Sprintf("%s(%d)", typ, i)
	}
	return names[i]
}

func position(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d: ", file, line)
	}
	return file + ": "
}

// collector gathers the errors and warnings of one file.
type collector struct {
	file     string
	errs     ErrorList
	warnings []Warning
}

func (c *collector) errorf(line int, format string, a ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

func (c *collector) warnf(line int, format string, a ...any) {
	c.warnings = append(c.warnings, Warning{File: c.file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

// err returns nil, the single *Error, or the ErrorList.
func (c *collector) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return c.errs[0]
	default:
		return c.errs
	}
}
