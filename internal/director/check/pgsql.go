package check

import (
	"context"
	"crypto/tls"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/lib/pq"
)

// PgSQL is the negotiate check of service pgsql (ldirectord check_pgsql,
// DBI with DBD::Pg): see checkSQL. It speaks the PostgreSQL protocol with
// lib/pq (md5 and SCRAM-SHA-256 logins), with libpq's default
// sslmode=prefer and no certificate verification.
//
// The TLS negotiation is done here (pqDialer), not by lib/pq, so that
// every message the server sends passes a frameGuard on the plain text
// before lib/pq reads it: lib/pq allocates whatever length a message
// claims, up to 2 GiB. Unlike libpq, no client certificate or root.crt is
// read from ~/.postgresql.
type PgSQL struct{}

// Check logs in to t's server and runs the query.
func (PgSQL) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSQL(ctx, "pgsql", t, openPgSQL) })
}

// openPgSQL connects as libpq's sslmode=prefer does: TLS if the server
// offers it, and once more without TLS when the TLS handshake fails or the
// server refuses the login made over TLS (a pg_hba.conf "hostnossl" entry).
func openPgSQL(ctx context.Context, t Target, d *sqlDialer) (driver.Conn, error) {
	p := &pqDialer{d: d, host: t.Real.Addr().String()}
	c, err := connectPg(ctx, t, p)
	var serverErr *pq.Error
	if err != nil && ctx.Err() == nil && (errors.Is(err, errPgTLS) || p.tls && errors.As(err, &serverErr)) {
		p.plain, p.tls = true, false
		c, err = connectPg(ctx, t, p)
	}
	return c, err
}

func connectPg(ctx context.Context, t Target, p *pqDialer) (driver.Conn, error) {
	cfg := pq.Config{
		Host: t.Real.Addr().String(), Port: t.Port, User: t.Auth.Login, Password: t.Auth.Passwd, Database: t.Database,
		SSLMode: pq.SSLModeDisable, MinProtocolVersion: "3.0", MaxProtocolVersion: "3.0",
	}
	if dl, ok := ctx.Deadline(); ok {
		cfg.ConnectTimeout = time.Until(dl)
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.Dialer(p)
	return c.Connect(ctx)
}

// errPgTLS marks a failed TLS handshake, after which libpq's prefer mode
// tries again without TLS.
var errPgTLS = errors.New("TLS handshake failed")

// pgSSLRequest is the SSLRequest message: length 8 and code 80877103.
var pgSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// pqDialer is lib/pq's Dialer (lib/pq itself runs with sslmode=disable):
// it dials with sqlDialer, negotiates TLS unless plain is set, and hands
// lib/pq the connection behind a frameGuard.
type pqDialer struct {
	d     *sqlDialer
	host  string
	plain bool // no SSLRequest (the retry of prefer mode)
	tls   bool // the last connection is over TLS
}

func (p *pqDialer) Dial(network, addr string) (net.Conn, error) { return p.dial(network, addr) }
func (p *pqDialer) DialTimeout(network, addr string, _ time.Duration) (net.Conn, error) {
	return p.dial(network, addr)
}
func (p *pqDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	return p.dial(network, addr)
}

func (p *pqDialer) dial(network, addr string) (net.Conn, error) {
	c, err := p.d.dial(network, addr)
	if err != nil {
		return nil, err
	}
	if p.plain {
		return &guardConn{Conn: c, d: p.d, g: newPgGuard()}, nil
	}
	g, err := p.negotiate(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return g, nil
}

// negotiate asks for TLS and acts on the server's one-byte answer as
// libpq does: 'S' TLS, 'N' plain on the same connection, 'E' an error
// message follows (a server that cannot start a backend), anything else
// or a closed connection an error.
func (p *pqDialer) negotiate(c net.Conn) (net.Conn, error) {
	ctx := p.d.ctx
	if _, err := c.Write(pgSSLRequest); err != nil {
		return nil, fmt.Errorf("SSL request: %w", netErr(ctx, err))
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return nil, fmt.Errorf("SSL request: %w", netErr(ctx, err))
	}
	switch b[0] {
	case 'S':
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: p.host, Renegotiation: tls.RenegotiateFreelyAsClient})
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("%w: %w", errPgTLS, tlsErr(ctx, err))
		}
		p.tls = true
		return &guardConn{Conn: tc, d: p.d, g: newPgGuard()}, nil
	case 'N':
		return &guardConn{Conn: c, d: p.d, g: newPgGuard()}, nil
	case 'E':
		return &guardConn{Conn: c, d: p.d, g: newPgGuard(), pending: b[:]}, nil
	}
	return nil, fmt.Errorf("invalid answer %q to the SSL request", b[0])
}
