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

// Default returns the table of every implemented check.
//
// The negotiate services, ping, external, external-perl and the connect
// check of UDP virtuals are not implemented yet: Lookup returns a checker
// that reports them down with an explicit error rather than faking them up.
func Default() Registry {
	return Registry{
		{Type: ldcf.CheckOn}:      On{},
		{Type: ldcf.CheckOff}:     Off{},
		{Type: ldcf.CheckConnect}: Connect{},
	}
}

// Lookup returns the checker for the given type and service: an exact
// {type, service} entry first, then {type, ""}. A kind that has no entry
// gets a checker that always reports "not implemented".
func (r Registry) Lookup(typ ldcf.CheckType, service string) Checker {
	if c, ok := r[Kind{Type: typ, Service: service}]; ok {
		return c
	}
	if c, ok := r[Kind{Type: typ}]; ok {
		return c
	}
	return Unimplemented{Kind: Kind{Type: typ, Service: service}}
}

// Unimplemented is the checker of a kind this build cannot check yet. It
// reports the real down, with an error saying so.
type Unimplemented struct{ Kind Kind }

// Check reports t down with a "not implemented" error.
func (u Unimplemented) Check(_ context.Context, _ Target) Result {
	what := string(u.Kind.Type)
	if u.Kind.Service != "" {
		what += " (service " + u.Kind.Service + ")"
	}
	return Result{Err: fmt.Sprintf("check %s: not implemented until the checks task", what)}
}
