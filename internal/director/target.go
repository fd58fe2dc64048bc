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

// Default timeouts when the configuration leaves them unset (ldirectord
// set_defaults: checktimeout 5 s, negotiatetimeout 30 s).
const (
	defaultCheckTimeout     = 5 * time.Second
	defaultNegotiateTimeout = 30 * time.Second
	defaultCheckInterval    = 10 * time.Second
)

// servicePorts is ldirectord's ld_service_to_port: the well-known port of a
// negotiate service, used when neither checkport= nor the real gives one.
var servicePorts = map[string]uint16{
	"ftp": 21, "smtp": 25, "dns": 53, "http": 80, "pop": 110, "nntp": 119, "imap": 143,
	"ldap": 389, "https": 443, "submission": 587, "ldaps": 636, "imaps": 993, "pops": 995,
	"oracle": 1521, "radius": 1812, "http_proxy": 3128, "mysql": 3306, "sip": 5060, "pgsql": 5432,
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
		t.Timeout = defaultCheckTimeout
	}
	switch v.CheckType {
	case ldcf.CheckNegotiate, ldcf.CheckCombined:
		t.Service = v.Service
		t.Combined = v.CheckCombined
		t.CheckTimeout = t.Timeout // combined's connect half, ldap and radius use it
		t.Timeout = v.NegotiateTimeout
		if t.Timeout <= 0 {
			t.Timeout = defaultNegotiateTimeout
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
	case servicePorts[v.Service] != 0:
		return servicePorts[v.Service]
	}
	return v.Addr.Port()
}

// checkInterval is the effective checkinterval of v.
func checkInterval(v *ldcf.Virtual) time.Duration {
	if v.CheckInterval > 0 {
		return v.CheckInterval
	}
	return defaultCheckInterval
}
