package wire

import (
	"errors"
	"fmt"
)

// Sentinels for the reasons a packet is dropped; check with errors.Is.
// Their text is the reason string the engine logs and counts.
var (
	// ErrMalformed: the bytes are not a message in either framing.
	ErrMalformed = errors.New("malformed packet")
	// ErrNoAuth: the netstring trailer or the classic auth field is missing
	// (Heartbeat: "peel_netstring() error in getting auth string").
	ErrNoAuth = errors.New("no auth")
	// ErrUnknownKey: the packet names an authkeys index we do not have
	// (Heartbeat: "Invalid authentication type [N] in message!").
	ErrUnknownKey = errors.New("unknown key index")
	// ErrBadAuth: the digest does not match, or the auth string is not
	// "<index> <digest>" (Heartbeat: "authtoken does not match").
	ErrBadAuth = errors.New("bad auth")
	// ErrNoField: a getter was asked for a field the message lacks.
	ErrNoField = errors.New("no such field")
)

// MaxMessageSize is the largest datagram Heartbeat sends or accepts
// (MAXMSG, 256 KiB, include/ha_msg.h).
const MaxMessageSize = 256 * 1024

// maxDepth bounds message nesting (glue MAXDEPTH).
const maxDepth = 16

// DecodeError says where and why a packet failed to decode. It matches
// ErrMalformed under errors.Is.
type DecodeError struct {
	Offset int    // byte offset in the datagram
	Reason string // what was expected
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("byte %d: %s", e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

func malformed(off int, format string, args ...any) error {
	return &DecodeError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// DropReason maps an error from Decode or Verify to the short reason the
// engine counts drops by: "malformed packet", "no auth", "unknown key
// index" or "bad auth"; "" for nil and "error" for anything else.
func DropReason(err error) string {
	for _, s := range []error{ErrMalformed, ErrNoAuth, ErrUnknownKey, ErrBadAuth} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	if err == nil {
		return ""
	}
	return "error"
}
