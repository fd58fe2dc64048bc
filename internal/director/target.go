package director

import (
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// CheckKey identifies one health check of one real server. It is comparable
// and is the key of the health table.
//
// Like ldirectord's get_real_id_str (anchors.md §2.4), the same check of the
// same real under several virtuals is one key, checked once and applied to
// every virtual. We leave out what cannot change a check's verdict (the
// real's weight and forwarding method, so a weight change on reload keeps
// the check state) and add what can (the timeout and failurecount). The
// virtual is part of the key only for external checks, whose command gets
// it as arguments.
type CheckKey struct {
	Target       check.Target
	FailureCount int
}

// CheckKeyFor returns the check identity of real r of virtual v.
func CheckKeyFor(v *ldcf.Virtual, r ldcf.Real) CheckKey {
	return CheckKey{Target: TargetFor(v, r), FailureCount: max(v.FailureCount, 1)}
}

// TargetFor returns what the check of real r of virtual v probes.
func TargetFor(v *ldcf.Virtual, r ldcf.Real) check.Target {
	t := check.Target{
		Type:        v.CheckType,
		Protocol:    v.Protocol,
		Real:        r.Addr,
		Port:        checkPort(v, r),
		Request:     v.Request,
		Receive:     v.Receive,
		HTTPMethod:  v.HTTPMethod,
		VirtualHost: v.VirtualHost,
		Login:       v.Login,
		Passwd:      v.Passwd,
		Database:    v.Database,
		Secret:      v.Secret,
		CheckCount:  v.CheckCount,
		Timeout:     v.CheckTimeout,
	}
	if r.Request != "" {
		t.Request = r.Request
	}
	if r.Receive != "" {
		t.Receive = r.Receive
	}
	if t.Timeout <= 0 {
		t.Timeout = ldcf.DefaultCheckTimeout
	}
	switch v.CheckType {
	case ldcf.CheckNegotiate, ldcf.CheckCombined:
		t.Service = v.Service
		t.Combined = v.CheckCombined
		t.CheckTimeout = t.Timeout // combined's connect half, ldap and radius use it
		t.Timeout = v.NegotiateTimeout
		if t.Timeout <= 0 {
			t.Timeout = ldcf.DefaultNegotiateTimeout
		}
	case ldcf.CheckExternal, ldcf.CheckExternalPerl:
		t.Command = v.CheckCommand
		t.Virtual, t.FWMark = v.Addr, v.FWMark
	}
	return t
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
