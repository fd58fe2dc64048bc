package check

import (
	"context"
	"fmt"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Kind selects a Checker: the check type and, for negotiate and combined
// checks, the service ("" matches any service of that type).
type Kind struct {
	Type    ldcf.CheckType
	Service string
}

// Registry maps check kinds to checkers. It is built by Default, one explicit
// table (no init-time registration). Read-only once built: safe for
// concurrent lookups.
type Registry map[Kind]Checker

// Default returns the table of every implemented check: the check types,
// then one negotiate entry per ldirectord service (ldirectord _check_real).
//
// service=oracle has no entry: it needs Oracle's client libraries, and
// Lookup reports it as not implemented rather than faking it up.
func Default() Registry {
	neg := func(service string) Kind { return Kind{Type: ldcf.CheckNegotiate, Service: service} }
	return Registry{
		{Type: ldcf.CheckOn}:           On{},
		{Type: ldcf.CheckOff}:          Off{},
		{Type: ldcf.CheckConnect}:      Connect{},
		{Type: ldcf.CheckPing}:         Ping{},
		{Type: ldcf.CheckExternal}:     External{},
		{Type: ldcf.CheckExternalPerl}: External{Interpreter: "perl"},

		neg("http"):       HTTP{},
		neg("https"):      HTTP{},
		neg("http_proxy"): HTTP{},
		neg("smtp"):       SMTP{},
		neg("submission"): SMTP{},
		neg("pop"):        POP{},
		neg("pops"):       POP{TLS: true},
		neg("imap"):       IMAP{},
		neg("imaps"):      IMAP{TLS: true},
		neg("nntp"):       NNTP{},
		neg("ftp"):        FTP{},
		neg("dns"):        DNS{},
		neg("ldap"):       LDAP{},
		neg("ldaps"):      LDAP{TLS: true},
		neg("sip"):        SIP{},
		neg("radius"):     RADIUS{},
		neg("mysql"):      MySQL{},
		neg("pgsql"):      PgSQL{},
		neg("simpletcp"):  SimpleTCP{},
		neg("none"):       None{},
	}
}

// Lookup returns the checker for the given type and service: an exact
// {type, service} entry first, then {type, ""}. A negotiate check without a
// service infers it from the port, as ldirectord does (ld_port_to_service).
// A combined check without an entry of its own gets a new Combined (it
// keeps state, so call Lookup once per check loop) around the negotiate
// checker of its service. A kind that has no entry gets a checker that
// always reports "not implemented".
func (r Registry) Lookup(typ ldcf.CheckType, service string) Checker {
	if c, ok := r[Kind{Type: typ, Service: service}]; ok {
		return c
	}
	switch {
	case typ == ldcf.CheckNegotiate && service == "":
		return byPort{r}
	case typ == ldcf.CheckCombined && r[Kind{Type: typ}] == nil:
		return &Combined{Negotiate: r.Lookup(ldcf.CheckNegotiate, service)}
	}
	if c, ok := r[Kind{Type: typ}]; ok {
		return c
	}
	return Unimplemented{Kind: Kind{Type: typ, Service: service}}
}

// byPort is a negotiate check whose service was left out: it picks the
// service from the real's port (else the check port), as ldirectord picks
// it from the virtual's.
type byPort struct{ r Registry }

// Check runs the negotiate check of the service t's port implies.
func (b byPort) Check(ctx context.Context, t Target) Result {
	port := t.Real.Port()
	if port == 0 {
		port = t.Port
	}
	o := *t.Options // shared: change a copy
	o.Service = ldcf.ServiceForPort(port)
	t.Options = &o
	if c, ok := b.r[Kind{Type: ldcf.CheckNegotiate, Service: t.Service}]; ok {
		return c.Check(ctx, t)
	}
	return Unimplemented{Kind: Kind{Type: ldcf.CheckNegotiate, Service: t.Service}}.Check(ctx, t)
}

// Unimplemented is the checker of a kind this build cannot check. It
// reports the real down, with an error saying so.
type Unimplemented struct{ Kind Kind }

// Check reports t down with a "not implemented" error.
func (u Unimplemented) Check(_ context.Context, _ Target) Result {
	what := string(u.Kind.Type)
	if u.Kind.Service != "" {
		what += " (service " + u.Kind.Service + ")"
	}
	return Result{Err: fmt.Sprintf("check %s: not implemented", what)}
}
