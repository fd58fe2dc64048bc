package check

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// maxSQLMessage bounds one message (PostgreSQL) or packet (MySQL) that a
// database server may send a check. The drivers allocate the length a
// server claims before they read it: lib/pq up to 2 GiB for one message,
// go-sql-driver/mysql 16 MiB for each packet and without end for a message
// split over packets (FuzzSQLServer grew its worker to 3 GB). 1 MiB is
// what maxBER allows one LDAP element: far above what a health check's
// login and first row need (the startup and authentication messages of
// libpq are under 30000 bytes, a row of a check query a few bytes), and
// small enough for a thousand checks at once. A query whose row is larger
// fails the check with the error below. Below 16 MiB it also keeps the
// high byte of every allowed PostgreSQL length zero, so lib/pq's read of an
// old-style error text up to a NUL stops within one message.
const maxSQLMessage = 1 << 20

// maxPgErrorText bounds the old-style ("V2") error text a PostgreSQL
// server sends when it cannot start a backend ("Ecould not fork new
// process for connection: ..."): libpq's MAX_ERRLEN.
const maxPgErrorText = 30000

// frameGuard follows the message framing of a database server's byte
// stream and fails at the first header that claims too much, before the
// driver reading the same bytes has all of that header. It sees only
// bytes, in order, in chunks of any size.
type frameGuard struct {
	// head judges a whole header: the body length that follows it, or
	// (PostgreSQL only) text for a NUL-terminated error text of at most
	// body bytes instead.
	head   func(hdr []byte, first bool) (body int, text bool, err error)
	hdrLen int
	hdr    [5]byte
	have   int  // header bytes seen of the current message
	left   int  // body bytes (or text budget) left of the current message
	text   bool // the current body is a NUL-terminated error text
	seen   bool // a whole header has been seen
	err    error
}

// scan takes the next bytes of the stream and returns how many of them
// the driver may have: all of p, or, at the first bad header, those before
// it, with the error (which stays).
func (g *frameGuard) scan(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	for i := 0; i < len(p); {
		switch {
		case g.text:
			end := min(len(p), i+g.left)
			if nul := bytes.IndexByte(p[i:end], 0); nul >= 0 {
				i += nul + 1
				g.text, g.left = false, 0
				continue
			}
			g.left -= end - i
			i = end
			if g.left == 0 {
				g.err = fmt.Errorf("server error text is over the %d-byte limit", maxPgErrorText)
				return i, g.err
			}
		case g.left > 0:
			k := min(g.left, len(p)-i)
			g.left -= k
			i += k
		default:
			start := i - g.have
			g.hdr[g.have] = p[i]
			g.have++
			i++
			if g.have < g.hdrLen {
				continue
			}
			g.have = 0
			body, text, err := g.head(g.hdr[:g.hdrLen], !g.seen)
			g.seen = true
			if err != nil {
				g.err = err
				return max(start, 0), err
			}
			g.left, g.text = body, text
		}
	}
	return len(p), nil
}

// pgHeader judges a PostgreSQL server message header: a type byte and an
// int32 length that counts itself. The first message may be an old-style
// error, 'E' and text up to a NUL, which lib/pq (as libpq) takes for one
// when its "length" is under 8 or over maxPgErrorText.
func pgHeader(hdr []byte, first bool) (int, bool, error) {
	typ, n := hdr[0], int64(int32(binary.BigEndian.Uint32(hdr[1:])))
	switch {
	case first && typ == 'E' && (n < 8 || n > maxPgErrorText):
		return maxPgErrorText, true, nil
	case n < 4:
		return 0, false, fmt.Errorf("server message %q has a bad length %d (under 4)", typ, n)
	case n > maxSQLMessage:
		return 0, false, fmt.Errorf("server message %q of %d bytes is over the %d-byte limit", typ, n, maxSQLMessage)
	}
	return int(n - 4), false, nil
}

// mysqlHeader judges a MySQL packet header: a 3-byte little-endian body
// length and a sequence number. A body of 2^24-1 bytes continues in the
// next packet, so the limit also bars messages split over packets.
func mysqlHeader(hdr []byte, _ bool) (int, bool, error) {
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n > maxSQLMessage {
		return 0, false, fmt.Errorf("server packet of %d bytes is over the %d-byte limit", n, maxSQLMessage)
	}
	return n, false, nil
}

func newPgGuard() *frameGuard    { return &frameGuard{head: pgHeader, hdrLen: 5} }
func newMySQLGuard() *frameGuard { return &frameGuard{head: mysqlHeader, hdrLen: 4} }
