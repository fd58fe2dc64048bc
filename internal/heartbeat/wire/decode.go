package wire

import (
	"bytes"
	"fmt"
)

// Format is a message framing.
type Format int

// The two framings. Heartbeat 3.0.6 with glue >= 1.0.10 sends netstring on
// the wire whatever msgfmt says; classic is what older peers sent and what
// glue still accepts (glue cl_msg.c msg2wirefmt_ll, wirefmt2msg_ll).
const (
	FormatNetstring Format = iota + 1
	FormatClassic
)

func (f Format) String() string {
	switch f {
	case FormatNetstring:
		return "netstring"
	case FormatClassic:
		return "classic"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// frame is a parsed datagram.
type frame struct {
	msg    *Message
	format Format
	// signed is the length of the bytes the netstring trailer covers:
	// "###\n" through "%%%\n" inclusive (glue msg2netstring_ll).
	signed     int
	trailer    []byte // the trailer's data, "<index> <digest>"
	hasTrailer bool
}

// parse splits a datagram into its message and, for netstring, the auth
// trailer. It accepts exactly what the encoders produce: after the
// netstring body only nothing or one netstring, after the classic body
// only nothing or the single NUL old senders counted in.
func parse(buf []byte) (frame, error) {
	if len(buf) > MaxMessageSize {
		return frame{}, malformed(MaxMessageSize, "datagram of %d bytes is larger than %d", len(buf), MaxMessageSize)
	}
	switch {
	case bytes.HasPrefix(buf, []byte(netstringStart)):
		m, n, err := decodeNetstring(buf, 0, 0)
		if err != nil {
			return frame{}, err
		}
		fr := frame{msg: m, format: FormatNetstring, signed: n}
		if n == len(buf) {
			return fr, nil
		}
		data, next, err := peel(buf, n, 0)
		if err != nil {
			return frame{}, err
		}
		if next != len(buf) {
			return frame{}, malformed(next, "%d bytes after the auth trailer", len(buf)-next)
		}
		fr.trailer, fr.hasTrailer = data, true
		return fr, nil
	case bytes.HasPrefix(buf, []byte(classicStart)):
		m, n, err := decodeClassic(buf, 0, 0)
		if err != nil {
			return frame{}, err
		}
		if rest := buf[n:]; len(rest) > 1 || len(rest) == 1 && rest[0] != 0 {
			return frame{}, malformed(n, "%d bytes after %q", len(rest), classicEnd)
		}
		return frame{msg: m, format: FormatClassic, signed: n}, nil
	}
	return frame{}, malformed(0, "want %q or %q", netstringStart, classicStart)
}

// Decode parses a datagram in either framing, chosen by its first bytes as
// glue's wirefmt2msg does, without checking authentication. A netstring
// auth trailer, if present, must be well formed but is not returned.
// Errors match ErrMalformed.
func Decode(buf []byte) (*Message, error) {
	fr, err := parse(buf)
	if err != nil {
		return nil, fmt.Errorf("decoding message: %w", err)
	}
	return fr.msg, nil
}

// DecodeFormat is Decode that also reports the framing found.
func DecodeFormat(buf []byte) (*Message, Format, error) {
	fr, err := parse(buf)
	if err != nil {
		return nil, 0, fmt.Errorf("decoding message: %w", err)
	}
	return fr.msg, fr.format, nil
}
