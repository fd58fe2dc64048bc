package director

import (
	"time"
	"unique"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// CheckKey identifies one health check of one real server: the real, the
// port probed, the check's options and the failure count. It is one
// pointer-sized handle of an interned identity (unique.Make), so the maps
// of the health table, the scheduler and the indexes hold one word per
// check, and equal identities are equal keys.
//
// Like ldirectord's get_real_id_str (anchors.md §2.4), the same check of the
// same real under several virtuals is one key, checked once and applied to
// every virtual: the options are interned too (check.Intern), so equal
// checks share one copy. We leave out what cannot change a check's verdict
// (the real's weight and forwarding method, so a weight change on reload
// keeps the check state, and the directives the check does not read) and
// add what can (the timeout and failurecount). The virtual is part of the
// key only for external checks, whose command gets it as arguments.
type CheckKey struct{ h unique.Handle[checkIdentity] }

// checkIdentity is what a CheckKey stands for.
type checkIdentity struct {
	target       check.Target
	failureCount int
}

// newCheckKey returns the key of the check t with failurecount n.
func newCheckKey(t check.Target, n int) CheckKey {
	return CheckKey{unique.Make(checkIdentity{target: t, failureCount: n})}
}

// Target returns what the check of k probes (the zero Target for the zero
// key).
func (k CheckKey) Target() check.Target { return k.identity().target }

// FailureCount returns the consecutive failures that bring k's real down.
func (k CheckKey) FailureCount() int { return k.identity().failureCount }

func (k CheckKey) identity() checkIdentity {
	if k == (CheckKey{}) {
		return checkIdentity{}
	}
	return k.h.Value()
}

// CheckKeyFor returns the check identity of real r of virtual v.
func CheckKeyFor(v *ldcf.Virtual, r ldcf.Real) CheckKey {
	return newCheckKey(TargetFor(v, r), max(v.FailureCount, 1))
}

// TargetFor returns what the check of real r of virtual v probes, with the
// options interned.
func TargetFor(v *ldcf.Virtual, r ldcf.Real) check.Target {
	return check.Target{Real: r.Addr, Port: checkPort(v, r), Options: check.Intern(checkOptions(v, r))}
}

// checkOptions are the options of the check of real r of virtual v: the
// directives that v's check reads (ldcf.CheckReads) and nothing else.
func checkOptions(v *ldcf.Virtual, r ldcf.Real) check.Options {
	o := check.Options{Type: v.CheckType, Protocol: v.Protocol, CheckCount: v.CheckCount, Timeout: v.CheckTimeout}
	if o.Timeout <= 0 {
		o.Timeout = ldcf.DefaultCheckTimeout
	}
	switch v.CheckType {
	case ldcf.CheckNegotiate, ldcf.CheckCombined:
		o.Service = v.Service
		o.Combined = v.CheckCombined
		o.CheckTimeout = o.Timeout // combined's connect half, ldap and radius use it
		o.Timeout = v.NegotiateTimeout
		if o.Timeout <= 0 {
			o.Timeout = ldcf.DefaultNegotiateTimeout
		}
	}
	reads := ldcf.CheckReads(v.CheckType, v.Service)
	if reads.Has(ldcf.OptRequest) {
		o.Request = v.Request
		if r.Request != "" {
			o.Request = r.Request
		}
	}
	if reads.Has(ldcf.OptReceive) {
		o.Receive = v.Receive
		if r.Receive != "" {
			o.Receive = r.Receive
		}
	}
	if reads.Has(ldcf.OptHTTPMethod) {
		o.HTTP.Method = v.HTTPMethod
	}
	if reads.Has(ldcf.OptVirtualHost) {
		o.HTTP.VirtualHost = v.VirtualHost
	}
	if reads.Has(ldcf.OptLogin) {
		o.Auth.Login = v.Login
	}
	if reads.Has(ldcf.OptPasswd) {
		o.Auth.Passwd = v.Passwd
	}
	if reads.Has(ldcf.OptDatabase) {
		o.Database = v.Database
	}
	if reads.Has(ldcf.OptSecret) {
		o.Secret = v.Secret
	}
	if reads.Has(ldcf.OptCheckCommand) {
		o.External = check.ExternalOptions{Command: v.CheckCommand, Virtual: v.Addr, FWMark: v.FWMark}
	}
	return o
}

// checkPort is ldirectord's ld_checkport: checkport=, else the real's port,
// else the service's well-known port; we add a last resort, the virtual's
// port, where ldirectord would connect to port 0.
func checkPort(v *ldcf.Virtual, r ldcf.Real) uint16 {
	switch {
	case v.CheckPort != 0:
		return v.CheckPort
	case r.Addr.Port() != 0:
		return r.Addr.Port()
	}
	if p, ok := ldcf.PortForService(v.Service); ok {
		return p
	}
	return v.Addr.Port()
}

// checkInterval is the effective checkinterval of v.
func checkInterval(v *ldcf.Virtual) time.Duration {
	if v.CheckInterval > 0 {
		return v.CheckInterval
	}
	return ldcf.DefaultCheckInterval
}
