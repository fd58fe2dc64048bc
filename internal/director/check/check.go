package check

import (
	"context"
	"net/netip"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Target is everything a check needs to probe one real server. It is a
// comparable value: the director uses it (with the virtual fields cleared
// where the check does not use them) as the identity of a check, so the same
// check of the same real under several virtuals runs once (ldirectord
// get_real_id_str, anchors.md §2.4).
type Target struct {
	Type     ldcf.CheckType
	Service  string // negotiate service: http, smtp, ... ("" for other types)
	Protocol string // "tcp", "udp" or "fwm": the virtual's protocol

	// Real is the real server as configured (port 0 when omitted).
	Real netip.AddrPort
	// Port is the port to probe: checkport=, else the real's port, else the
	// service's well-known port (ldirectord ld_checkport).
	Port uint16

	// Virtual and FWMark describe the virtual service; set only for checks
	// that use them (external: `cmd <vip|fwmark> <vport> <rip> <rport>`).
	Virtual netip.AddrPort
	FWMark  uint32

	Request     string
	Receive     string
	HTTPMethod  string
	VirtualHost string
	Command     string // checkcommand= for external checks
	Login       string
	Passwd      string
	Database    string
	Secret      string

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
}

// Addr returns the address and port the check probes.
func (t Target) Addr() netip.AddrPort { return netip.AddrPortFrom(t.Real.Addr(), t.Port) }

// Budget is the longest a check of t may take: Timeout, except for ping
// checks (checktype ping, and connect of a UDP virtual), which make
// CheckCount attempts of Timeout each (ldirectord check_ping). The caller
// should bound its context by Budget rather than by Timeout.
func (t Target) Budget() time.Duration {
	if t.Type == ldcf.CheckPing || t.Type == ldcf.CheckConnect && t.Protocol == "udp" {
		return t.Timeout * time.Duration(max(t.CheckCount, 1))
	}
	return t.Timeout
}

// checkTimeout is the effective checktimeout of t.
func (t Target) checkTimeout() time.Duration {
	if t.CheckTimeout > 0 {
		return t.CheckTimeout
	}
	return t.Timeout
}

// Result is the outcome of one check.
type Result struct {
	Up       bool
	Err      string        // why the server is down ("" when up)
	Duration time.Duration // how long the check took
}

// Checker runs one kind of check.
//
// Concurrency: Check is called from many goroutines at once, each with its
// own Target. It must return by ctx's deadline and leave no goroutine
// behind; a failure is a Result with Up false and Err set, never a panic.
type Checker interface {
	Check(ctx context.Context, t Target) Result
}

// Down returns a failed Result for err, measured from start.
func Down(err string, start time.Time) Result {
	return Result{Err: err, Duration: time.Since(start)}
}
