package check

import (
	"context"
	"database/sql/driver"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQL is the negotiate check of service mysql (ldirectord check_mysql,
// DBI with DBD::mysql): see checkSQL. It speaks the MySQL protocol with
// go-sql-driver/mysql, without TLS, as DBD::mysql does by default. Every
// packet passes a frameGuard before the driver reads it: the driver
// allocates what a packet claims (16 MiB) and joins split packets without
// end.
type MySQL struct{}

// Check logs in to t's server and runs the query.
func (MySQL) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSQL(ctx, "mysql", t, openMySQL) })
}

func openMySQL(ctx context.Context, t Target, d *sqlDialer) (driver.Conn, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = t.Auth.Login, t.Auth.Passwd, t.Database
	cfg.Net, cfg.Addr = "tcp", t.Addr().String()
	cfg.Logger = &mysql.NopLogger{}
	if dl, ok := ctx.Deadline(); ok {
		cfg.Timeout = time.Until(dl)
	}
	cfg.DialFunc = func(_ context.Context, network, addr string) (net.Conn, error) {
		c, err := d.dial(network, addr)
		if err != nil {
			return nil, err
		}
		return &guardConn{Conn: c, d: d, g: newMySQLGuard()}, nil
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return c.Connect(ctx)
}
