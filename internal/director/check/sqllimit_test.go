package check

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// pgError is a PostgreSQL ErrorResponse saying msg.
func pgError(msg string) []byte {
	return pgMsg('E', []byte("SFATAL\x00C28000\x00M"+msg+"\x00\x00"))
}

// pgFake is a fake PostgreSQL server. To an SSLRequest it answers the
// byte answer (0: it closes instead); after 'S' it does TLS with cfg, or
// sends junk when cfg is nil. It then reads the startup message and sends
// reply(whether the connection is TLS), and reads until the client is gone.
func pgFake(answer byte, cfg *tls.Config, reply func(tlsOn bool) []byte) checktest.Handler {
	return func(c net.Conn) {
		var head [8]byte
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		tlsOn := false
		if bytes.Equal(head[:], pgSSLRequest) {
			if answer == 0 {
				return
			}
			c.Write([]byte{answer})
			switch {
			case answer == 'S' && cfg == nil:
				c.Write([]byte("this is not a TLS server hello\n"))
				io.Copy(io.Discard, c)
				return
			case answer == 'S':
				tc := tls.Server(c, cfg)
				if tc.Handshake() != nil {
					return
				}
				c, tlsOn = tc, true
			case answer != 'N':
				io.Copy(io.Discard, c)
				return
			}
			if _, err := io.ReadFull(c, head[:]); err != nil {
				return
			}
		}
		// head holds the startup message's length and protocol version.
		if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(head[:4]))-8); err != nil {
			return
		}
		c.Write(reply(tlsOn))
		io.Copy(io.Discard, c)
	}
}

// pgLoginAndRow is a server's answer to a login without password
// (AuthenticationOk, ReadyForQuery), then to a query: one row "1".
var pgLoginAndRow = bytes.Join([][]byte{
	pgMsg('R', []byte{0, 0, 0, 0}), pgMsg('Z', []byte("I")),
	pgMsg('T', []byte("\x00\x01id\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00")),
	pgMsg('D', []byte("\x00\x01\x00\x00\x00\x011")), pgMsg('C', []byte("SELECT 1\x00")), pgMsg('Z', []byte("I")),
}, nil)

// hugeMessage is a login's first answer followed by a message claiming
// almost 2 GiB, of which nothing follows.
func hugeMessage(bool) []byte {
	return append(pgMsg('R', []byte{0, 0, 0, 0}), pgHead('D', 0x7ffffff0)...)
}

// TestPgSQLNegotiation: the pgsql check negotiates TLS as libpq's
// sslmode=prefer does, and bounds every server message, plain or in TLS.
func TestPgSQLNegotiation(t *testing.T) {
	base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "pgsql", Protocol: "tcp", Database: "d", Request: "/SELECT 1", Auth: Credentials{Login: "u", Passwd: "p"}}}
	say := func(plain, overTLS string) func(bool) []byte {
		return func(tlsOn bool) []byte {
			if tlsOn {
				return pgError(overTLS)
			}
			return pgError(plain)
		}
	}
	loginOverTLS := func(tlsOn bool) []byte {
		if !tlsOn {
			return pgError("plain login")
		}
		return pgLoginAndRow
	}
	runCases(t, PgSQL{}, base, []checkCase{
		{name: "N: plain on the same connection", server: serve(pgFake('N', nil, say("plain login", "TLS login"))), wantErr: "pgsql: pq: plain login"},
		{name: "S: login and query over TLS", server: func(t testing.TB) netip.AddrPort {
			return checktest.Serve(t, checktest.Config{}, pgFake('S', checktest.SelfSigned(t), loginOverTLS))
		}, wantUp: true},
		{name: "S: login refused over TLS, then plain", server: func(t testing.TB) netip.AddrPort {
			return checktest.Serve(t, checktest.Config{}, pgFake('S', checktest.SelfSigned(t), say("plain login", "TLS login")))
		}, wantErr: "pgsql: pq: plain login"},
		{name: "S: failed handshake, then plain", server: serve(pgFake('S', nil, say("plain login", "TLS login"))), wantErr: "pgsql: pq: plain login"},
		{name: "E: server error instead", server: serve(checktest.Blob([]byte("Ecould not fork new process for connection: Resource temporarily unavailable\n\x00"))),
			wantErr: "pgsql: pq: server error: could not fork new process for connection: Resource temporarily unavailable"},
		{name: "closed at the SSL request", server: serve(pgFake(0, nil, nil)), wantErr: "pgsql: SSL request: connection closed by server"},
		{name: "invalid answer", server: serve(pgFake('X', nil, nil)), wantErr: `pgsql: invalid answer 'X' to the SSL request`},
		{name: "plain message over the limit", server: serve(pgFake('N', nil, hugeMessage)), wantErr: "pgsql: server message 'D' of 2147483632 bytes is over the 1048576-byte limit"},
		{name: "TLS message over the limit", server: func(t testing.TB) netip.AddrPort {
			return checktest.Serve(t, checktest.Config{}, pgFake('S', checktest.SelfSigned(t), hugeMessage))
		}, wantErr: "pgsql: server message 'D' of 2147483632 bytes is over the 1048576-byte limit"},
	})
}

// TestSQLMessageLimitMemory: a server claiming a message of almost 2 GiB
// (pgsql) or a packet of 16 MiB followed by more (mysql, whose driver
// joins split packets without end) fails the check at the header, with
// the limit's error, long before the timeout, and the check allocates
// nowhere near what was claimed. Without the guard lib/pq allocates the
// 2 GiB and then waits for them until the timeout.
func TestSQLMessageLimitMemory(t *testing.T) {
	more := make([]byte, 1<<20) // allocated before the measure
	mysqlSplit := func(c net.Conn) {
		c.Write([]byte{0xff, 0xff, 0xff, 0}) // 16 MiB - 1: continued in the next packet
		c.Write(more)
		io.Copy(io.Discard, c)
	}
	for _, tc := range []struct {
		name    string
		c       Checker
		h       checktest.Handler
		wantErr string
	}{
		{"pgsql", PgSQL{}, pgFake('N', nil, hugeMessage), "pgsql: server message 'D' of 2147483632 bytes is over the 1048576-byte limit"},
		{"mysql", MySQL{}, mysqlSplit, "mysql: server packet of 16777215 bytes is over the 1048576-byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := checktest.Serve(t, checktest.Config{}, tc.h)
			target := Target{Real: addr, Port: addr.Port(), Options: &Options{Type: ldcf.CheckNegotiate, Service: tc.name, Protocol: "tcp",
				Database: "d", Request: "/SELECT 1", Timeout: 20 * time.Second, Auth: Credentials{Login: "u", Passwd: "p"}}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got := tc.c.Check(context.Background(), target)
			runtime.ReadMemStats(&after)
			if got.Up || got.Err != tc.wantErr {
				t.Errorf("Check = {Up: %v, Err: %q}, want down with %q", got.Up, got.Err, tc.wantErr)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d bytes in %s", allocated, got.Duration)
			if allocated > 4*maxSQLMessage {
				t.Errorf("the check allocated %d bytes, more than 4 times the %d-byte limit", allocated, maxSQLMessage)
			}
			if got.Duration > target.Timeout/2 {
				t.Errorf("the check took %s, not failing at the header (timeout %s)", got.Duration, target.Timeout)
			}
		})
	}
}
