package ldcf

import "fmt"

// Error is a configuration error (or, in Config.Warnings, a warning) at a
// position in an ldirectord.cf. Msg starts with the directive's name and
// says what was expected, e.g.
//
//	ldirectord.cf:12: real: bad weight "x" (want 0-65535)
type Error struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Msg  string
}

// Error implements the error interface as "file:line: msg".
func (e *Error) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}
