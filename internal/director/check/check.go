package check

import (
	"context"
	"net/netip"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Target is one real server to probe and the check to probe it with. It
// is small and comparable: Options is shared by every real of a virtual
// that is checked alike and, when it comes from Intern, compares equal
// exactly when the options do, so a Target can serve as the identity of a
// check (the director's CheckKey; Combined's counters).
type Target struct {
	// Real is the real server as configured (port 0 when omitted).
	Real netip.AddrPort
	// Port is the port to probe: checkport=, else the real's port, else the
	// service's well-known port (ldirectord ld_checkport).
	Port uint16
	// Options is the check; shared and read-only.
	*Options
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
