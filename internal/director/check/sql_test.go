package check

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check/checktest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// sqlCases are the cases of both SQL services against a real server.
func sqlCases(srv checktest.SQLServer, wrongLogin, syntax, noDB string) []checkCase {
	real := func(testing.TB) netip.AddrPort { return srv.Addr }
	set := func(f func(*Target)) func(*Target) { return f }
	cases := []checkCase{
		{name: "login and query with a row", server: real, wantUp: true},
		{name: "query with no row", server: real, target: set(func(t *Target) { t.Request = "/SELECT id FROM empty" }), wantErr: "query returned no rows"},
		{name: "wrong password", server: real, target: set(func(t *Target) { t.Auth.Passwd = "wrong" }), wantErr: wrongLogin},
		{name: "bad query", server: real, target: set(func(t *Target) { t.Request = "/SELEKT 1" }), wantErr: syntax},
		{name: "no such database", server: real, target: set(func(t *Target) { t.Database = "nodb" }), wantErr: noDB},
		{name: "login is required", server: real, target: set(func(t *Target) { t.Auth.Login = "" }), wantErr: "login= and request= (an SQL query) are required"},
		{name: "request is required", server: real, target: set(func(t *Target) { t.Request = "/" }), wantErr: "login= and request= (an SQL query) are required"},
	}
	return append(cases, tcpFailures()...)
}

func TestMySQL(t *testing.T) {
	srv := checktest.MariaDB(t)
	base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "mysql", Protocol: "tcp", Database: srv.Database, Request: "/SELECT id FROM t", Auth: Credentials{Login: srv.User, Passwd: srv.Password}}}
	runCases(t, MySQL{}, base, sqlCases(srv, "mysql: Error 1045 (28000): Access denied", "mysql: query: Error 1064", "mysql: Error 1044"))
}

func TestPgSQL(t *testing.T) {
	srv := checktest.PostgreSQL(t)
	base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "pgsql", Protocol: "tcp", Database: srv.Database, Request: "/SELECT id FROM t", Auth: Credentials{Login: srv.User, Passwd: srv.Password}}}
	runCases(t, PgSQL{}, base, sqlCases(srv, "pgsql: pq: password authentication failed", "pgsql: query: pq: syntax error", `pgsql: pq: database "nodb" does not exist`))
}

// TestSQLMalformedServer: a server whose first packet is malformed (a
// MySQL error packet cut after its SQLSTATE marker made go-sql-driver
// 1.10 panic, found by FuzzSQLServer) is reported down, and the check
// leaves no goroutine behind.
func TestSQLMalformedServer(t *testing.T) {
	shortErr := serve(checktest.Blob([]byte("\x05\x00\x00\x00\xff\x15\x04#28000")))
	base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "mysql", Protocol: "tcp", Request: "/SELECT 1", Auth: Credentials{Login: "u"}}}
	runCases(t, MySQL{}, base, []checkCase{{name: "short error packet", server: shortErr, wantErr: "mysql: "}})
	base.Service = "pgsql"
	runCases(t, PgSQL{}, base, []checkCase{{name: "not postgres", server: shortErr, timeout: 500 * time.Millisecond, wantErr: "pgsql: "}})
}

// TestPgSQLTLS: against a real PostgreSQL, the pgsql check negotiates as
// libpq's sslmode=prefer does. The query returns a row only over TLS
// (pg_stat_ssl of the check's own backend), or only without TLS.
func TestPgSQLTLS(t *testing.T) {
	const overTLS, plain = "/SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl", "/SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND NOT ssl"
	for _, tc := range []struct {
		name  string
		mode  checktest.PgTLS
		cases []checkCase
	}{
		{"ssl=off", checktest.PgPlain, []checkCase{
			{name: "plain after 'N'", target: request(plain), wantUp: true},
			{name: "not over TLS", target: request(overTLS), wantErr: "pgsql: query returned no rows"},
		}},
		{"ssl=on", checktest.PgTLSOn, []checkCase{
			{name: "over TLS after 'S'", target: request(overTLS), wantUp: true},
			{name: "wrong password (over TLS, then plain)", target: func(t *Target) { t.Request, t.Auth.Passwd = overTLS, "wrong" }, wantErr: "pgsql: pq: password authentication failed"},
		}},
		{"ssl=on and hostnossl only", checktest.PgTLSRefuse, []checkCase{
			{name: "refused over TLS, then plain", target: request(plain), wantUp: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := checktest.PostgreSQLTLS(t, tc.mode)
			base := Target{Options: &Options{Type: ldcf.CheckNegotiate, Service: "pgsql", Protocol: "tcp", Database: srv.Database, Auth: Credentials{Login: srv.User, Passwd: srv.Password}}}
			for i := range tc.cases {
				tc.cases[i].server = func(testing.TB) netip.AddrPort { return srv.Addr }
			}
			runCases(t, PgSQL{}, base, tc.cases)
		})
	}
}

// request sets a target's request=.
func request(r string) func(*Target) { return func(t *Target) { t.Request = r } }
