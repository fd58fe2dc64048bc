package check

import "context"

// On is checktype=on: the real is always up, nothing is probed.
type On struct{}

// Check reports t up.
func (On) Check(context.Context, Target) Result { return Result{Up: true} }

// Off is checktype=off: the real is never up (ldirectord then adds neither
// reals nor the fallback).
type Off struct{}

// Check reports t down.
func (Off) Check(context.Context, Target) Result {
	return Result{Err: "checktype off"}
}

// None is service=none of a negotiate check: ldirectord's check_none
// brings the real up without probing it.
type None struct{}

// Check reports t up.
func (None) Check(context.Context, Target) Result { return Result{Up: true} }
