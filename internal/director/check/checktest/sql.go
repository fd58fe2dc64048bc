package checktest

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/lib/pq"
)

// SQLServer is a throwaway database server started by a test: at Addr
// (loopback), User with Password may SELECT from the tables "t" (one row)
// and "empty" (no rows) of Database.
type SQLServer struct {
	Addr     netip.AddrPort
	User     string
	Password string
	Database string
}

// Credentials of the servers this package starts.
const (
	SQLUser     = "ldirector"
	SQLPassword = "s3cret pass"
	SQLDatabase = "ldtest"
)

// startTimeout bounds a database server's start-up and set-up.
const startTimeout = 90 * time.Second

// MariaDB starts a MariaDB server as root under t.TempDir(), on a free
// loopback port, and stops it at cleanup. Without the mariadb-server
// binaries the test fails, unless it runs with -short, where it is skipped.
func MariaDB(t testing.TB) SQLServer {
	t.Helper()
	needReal(t, "MariaDB")
	installDB := findBinary(t, "mariadb-install-db", "mariadb-server")
	mariadbd := findBinary(t, "mariadbd", "mariadb-server")
	dir := t.TempDir()
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "mysqld.sock")
	runLogged(t, exec.Command(installDB, "--no-defaults", "--user=root", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"))
	port := freePort(t)
	cmd := exec.Command(mariadbd, "--no-defaults", "--user=root", "--datadir="+data, "--socket="+sock,
		"--port="+strconv.Itoa(int(port)), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "error.log"),
		"--innodb-buffer-pool-size=16M", "--skip-log-bin")
	startDaemon(t, cmd)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("mariadb connector: %v", err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	waitReady(t, db, "MariaDB", filepath.Join(dir, "error.log"))
	execAll(t, db, "CREATE DATABASE "+SQLDatabase,
		"CREATE TABLE "+SQLDatabase+".t (id INT)", "INSERT INTO "+SQLDatabase+".t VALUES (1)",
		"CREATE TABLE "+SQLDatabase+".empty (id INT)",
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", SQLUser, SQLPassword),
		fmt.Sprintf("GRANT SELECT ON %s.* TO '%s'@'%%'", SQLDatabase, SQLUser))
	return SQLServer{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), User: SQLUser, Password: SQLPassword, Database: SQLDatabase}
}

// PostgreSQL starts a PostgreSQL server as user postgres under
// t.TempDir(), on a free loopback port with SCRAM-SHA-256 logins over
// TCP, and stops it at cleanup. Without the postgresql binaries the test
// fails, unless it runs with -short, where it is skipped.
func PostgreSQL(t testing.TB) SQLServer {
	t.Helper()
	return postgreSQL(t, PgPlain)
}

// PgTLS is how a PostgreSQL test server offers TLS.
type PgTLS int

const (
	PgPlain     PgTLS = iota // ssl=off: the server answers an SSLRequest with 'N'
	PgTLSOn                  // ssl=on with a self-signed certificate; logins with or without TLS
	PgTLSRefuse              // ssl=on, but pg_hba.conf has only hostnossl lines: logins over TLS are refused
)

// PostgreSQLTLS is PostgreSQL with TLS offered as mode says.
func PostgreSQLTLS(t testing.TB, mode PgTLS) SQLServer {
	t.Helper()
	return postgreSQL(t, mode)
}

func postgreSQL(t testing.TB, mode PgTLS) SQLServer {
	needReal(t, "PostgreSQL")
	initdb := findBinary(t, "initdb", "postgresql")
	pgctl := filepath.Join(filepath.Dir(initdb), "pg_ctl")
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("PostgreSQL test server: no user postgres (install the postgresql package): %v", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir := t.TempDir()
	// The test's temporary directories are root's; let postgres reach its own.
	os.Chmod(filepath.Dir(dir), 0o711)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatalf("chown %s: %v", dir, err)
	}
	asPostgres := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		return cmd
	}
	data := filepath.Join(dir, "data")
	runLogged(t, asPostgres(initdb, "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"))
	port := freePort(t)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if mode != PgPlain {
		cert, key := selfSignedFiles(t, dir)
		for _, f := range []string{cert, key} {
			if err := os.Chown(f, uid, gid); err != nil {
				t.Fatalf("chown %s: %v", f, err)
			}
		}
		os.Chmod(key, 0o600)
		opts += fmt.Sprintf(" -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s", cert, key)
	}
	if mode == PgTLSRefuse {
		hba := filepath.Join(data, "pg_hba.conf")
		b, err := os.ReadFile(hba)
		if err != nil {
			t.Fatalf("PostgreSQL test server: %v", err)
		}
		writeFile(t, hba, strings.ReplaceAll("\n"+string(b), "\nhost ", "\nhostnossl "), 0o644)
	}
	runLogged(t, asPostgres(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"))
	t.Cleanup(func() { asPostgres(pgctl, "-D", data, "-m", "immediate", "-w", "stop").Run() })
	open := func(database string) *sql.DB {
		c, err := pq.NewConnectorConfig(pq.Config{Host: dir, Port: port, User: "postgres", Database: database,
			SSLMode: pq.SSLModeDisable, MinProtocolVersion: "3.0", MaxProtocolVersion: "3.0"})
		if err != nil {
			t.Fatalf("pq connector: %v", err)
		}
		return sql.OpenDB(c)
	}
	db := open("postgres")
	defer db.Close()
	waitReady(t, db, "PostgreSQL", filepath.Join(dir, "log"))
	execAll(t, db, fmt.Sprintf("CREATE USER %s PASSWORD '%s'", SQLUser, SQLPassword), "CREATE DATABASE "+SQLDatabase)
	db2 := open(SQLDatabase)
	defer db2.Close()
	execAll(t, db2, "CREATE TABLE t (id INT)", "INSERT INTO t VALUES (1)", "CREATE TABLE empty (id INT)",
		"GRANT SELECT ON t, empty TO "+SQLUser)
	return SQLServer{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), User: SQLUser, Password: SQLPassword, Database: SQLDatabase}
}

// waitReady polls db until it answers, for at most startTimeout: the
// server is another process, and polling is the only way to know it is
// up.
func waitReady(t testing.TB, db *sql.DB, what, logFile string) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s did not start within %s: %v\n%s", what, startTimeout, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func execAll(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
