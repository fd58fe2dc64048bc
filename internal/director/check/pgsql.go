package check

import (
	"context"
	"database/sql/driver"
	"net"
	"time"

	"github.com/lib/pq"
)

// PgSQL is the negotiate check of service pgsql (ldirectord check_pgsql,
// DBI with DBD::Pg): see checkSQL. It speaks the PostgreSQL protocol with
// lib/pq (md5 and SCRAM-SHA-256 logins), with libpq's default
// sslmode=prefer and no certificate verification.
type PgSQL struct{}

// Check logs in to t's server and runs the query.
func (PgSQL) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSQL(ctx, "pgsql", t, openPgSQL) })
}

func openPgSQL(ctx context.Context, t Target, d *sqlDialer) (driver.Conn, error) {
	cfg := pq.Config{
		Host: t.Real.Addr().String(), Port: t.Port, User: t.Auth.Login, Password: t.Auth.Passwd, Database: t.Database,
		SSLMode: pq.SSLModePrefer, MinProtocolVersion: "3.0", MaxProtocolVersion: "3.0",
	}
	if dl, ok := ctx.Deadline(); ok {
		cfg.ConnectTimeout = time.Until(dl)
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.Dialer(pqDialer{d})
	return c.Connect(ctx)
}

// pqDialer is lib/pq's Dialer over sqlDialer.
type pqDialer struct{ d *sqlDialer }

func (p pqDialer) Dial(network, addr string) (net.Conn, error) { return p.d.dial(network, addr) }
func (p pqDialer) DialTimeout(network, addr string, _ time.Duration) (net.Conn, error) {
	return p.d.dial(network, addr)
}
func (p pqDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	return p.d.dial(network, addr)
}
