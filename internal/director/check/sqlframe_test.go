package check

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// pgMsg is a PostgreSQL server message of type typ with body.
func pgMsg(typ byte, body []byte) []byte {
	m := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[1:], uint32(len(body)+4))
	return append(m, body...)
}

// pgHead is a message header of type typ claiming length n.
func pgHead(typ byte, n uint32) []byte {
	m := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[1:], n)
	return m
}

// scanChunks feeds stream to g in chunks of size (0: one byte at a time
// is size 1) and returns how many bytes it let through and its error.
func scanChunks(g *frameGuard, stream []byte, size int) (int, error) {
	passed := 0
	for i := 0; i < len(stream); i += size {
		n, err := g.scan(stream[i:min(i+size, len(stream))])
		passed += n
		if err != nil {
			return passed, err
		}
	}
	return passed, nil
}

// TestFrameGuard: the guard lets well-framed streams through whole,
// whatever the chunking, and stops at the first header out of bounds
// before its last byte reaches the driver.
func TestFrameGuard(t *testing.T) {
	okPg := bytes.Join([][]byte{
		pgMsg('R', []byte{0, 0, 0, 0}),
		pgMsg('S', []byte("server_version\x0016\x00")),
		pgMsg('Z', []byte("I")),
		pgMsg('D', bytes.Repeat([]byte("d"), maxSQLMessage-4)), // exactly the limit
		pgMsg('C', nil),                                        // the shortest message
	}, nil)
	mysqlPkt := func(n int, seq byte) []byte {
		return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, bytes.Repeat([]byte("m"), n)...)
	}
	okMySQL := bytes.Join([][]byte{mysqlPkt(74, 0), mysqlPkt(0, 1), mysqlPkt(maxSQLMessage, 2)}, nil)
	cases := []struct {
		name    string
		guard   func() *frameGuard
		stream  []byte
		wantErr string // "" = the whole stream passes
		badAt   int    // offset of the bad header in stream
	}{
		{name: "pg well framed", guard: newPgGuard, stream: okPg},
		{name: "pg fuzz input (issue 17)", guard: newPgGuard, stream: []byte("A\x00\x00\x00000000\x0000000000000000200000000200000000000000000000000000000\xe90"),
			wantErr: "server message '0' of 808464432 bytes is over the 1048576-byte limit", badAt: 49},
		{name: "pg over the limit by one", guard: newPgGuard, stream: append(pgMsg('Z', []byte("I")), pgHead('D', maxSQLMessage+1)...),
			wantErr: "server message 'D' of 1048577 bytes is over the 1048576-byte limit", badAt: 6},
		{name: "pg 2 GiB", guard: newPgGuard, stream: append(pgMsg('R', []byte{0, 0, 0, 0}), pgHead('T', 0x7fffffff)...),
			wantErr: "server message 'T' of 2147483647 bytes is over the 1048576-byte limit", badAt: 9},
		{name: "pg negative length", guard: newPgGuard, stream: append(pgMsg('R', []byte{0, 0, 0, 0}), pgHead('D', 0xffffffff)...),
			wantErr: "server message 'D' has a bad length -1 (under 4)", badAt: 9},
		{name: "pg length under 4", guard: newPgGuard, stream: append(pgMsg('R', []byte{0, 0, 0, 0}), pgHead('Z', 3)...),
			wantErr: "server message 'Z' has a bad length 3 (under 4)", badAt: 9},
		{name: "pg first message, length 0", guard: newPgGuard, stream: pgHead('R', 0),
			wantErr: "server message 'R' has a bad length 0 (under 4)", badAt: 0},
		{name: "pg old-style error first", guard: newPgGuard, stream: []byte("Ecould not fork new process for connection: Resource temporarily unavailable\n\x00")},
		{name: "pg old-style error without end", guard: newPgGuard, stream: append([]byte("Ecould"), bytes.Repeat([]byte("e"), maxPgErrorText+10)...),
			wantErr: "server error text is over the 30000-byte limit", badAt: -1},
		{name: "pg old-style error only first", guard: newPgGuard, stream: append(pgMsg('Z', []byte("I")), []byte("Ecould not fork\x00")...),
			wantErr: "server message 'E' of 1668248940 bytes is over the 1048576-byte limit", badAt: 6},
		{name: "mysql well framed", guard: newMySQLGuard, stream: okMySQL},
		{name: "mysql over the limit", guard: newMySQLGuard, stream: append(mysqlPkt(10, 0), 0x01, 0x00, 0x10, 1),
			wantErr: "server packet of 1048577 bytes is over the 1048576-byte limit", badAt: 14},
		{name: "mysql split packet", guard: newMySQLGuard, stream: []byte{0xff, 0xff, 0xff, 0},
			wantErr: "server packet of 16777215 bytes is over the 1048576-byte limit", badAt: 0},
	}
	for _, tc := range cases {
		for _, size := range []int{1, 2, 3, 7, 4096, len(tc.stream)} {
			passed, err := scanChunks(tc.guard(), tc.stream, size)
			switch {
			case tc.wantErr == "" && (err != nil || passed != len(tc.stream)):
				t.Errorf("%s, chunks of %d: passed %d of %d bytes, %v", tc.name, size, passed, len(tc.stream), err)
			case tc.wantErr == "":
			case err == nil || err.Error() != tc.wantErr:
				t.Errorf("%s, chunks of %d: error %v, want %q", tc.name, size, err, tc.wantErr)
			case tc.badAt >= 0 && (passed < tc.badAt || passed > tc.badAt+4):
				// The bytes of the bad header before its last may have
				// passed in earlier chunks, never its last.
				t.Errorf("%s, chunks of %d: %d bytes passed, the bad header is at %d", tc.name, size, passed, tc.badAt)
			}
		}
	}
}

// TestFrameGuardSticky: after an error the guard passes nothing more.
func TestFrameGuardSticky(t *testing.T) {
	g := newPgGuard()
	if _, err := g.scan(pgHead('D', 1<<30)); err == nil {
		t.Fatal("1 GiB message passed")
	}
	n, err := g.scan(pgMsg('Z', []byte("I")))
	if n != 0 || err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("after the error: passed %d, %v", n, err)
	}
}
