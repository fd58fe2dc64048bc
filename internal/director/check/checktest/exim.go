package checktest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MTA is a throwaway Exim mail server started by a test: it accepts mail
// for any recipient over SMTP at Addr (loopback) and from Sendmail (argv
// of a sendmail -t that feeds the same server's queue), and delivers every
// message to the one mbox file Mailbox.
type MTA struct {
	Addr     netip.AddrPort
	Mailbox  string
	Sendmail []string
	// Stop stops the server now (cleanup stops it anyway) and returns
	// once Addr refuses connections.
	Stop func()
}

// eximConfig is a minimal Exim configuration: everything under dir,
// every recipient accepted and delivered to dir/mail/mbox.
const eximConfig = `primary_hostname = mta.test
spool_directory = %[1]s/spool
log_file_path = %[1]s/log/%%slog
pid_file_path = %[1]s/exim.pid
local_interfaces = 127.0.0.1
exim_user = %[2]s
exim_group = %[3]s
acl_smtp_rcpt = accept_all
tls_advertise_hosts =
keep_environment =
begin acl
accept_all:
  accept
begin routers
everyone:
  driver = accept
  transport = mbox
begin transports
mbox:
  driver = appendfile
  file = %[1]s/mail/mbox
  envelope_to_add = true
  user = %[2]s
  group = %[3]s
  mode = 0644
`

// Exim starts Debian's exim4 (package exim4-daemon-light) as a foreground
// daemon on a free loopback port, with its own configuration, spool and
// mailbox under a fresh directory, and stops it at cleanup. Started with
// -C, exim gives up root and runs as the user owning that directory
// (nobody when the test runs as root). Without exim4 the test fails,
// unless it runs with -short, where it is skipped.
func Exim(t testing.TB) MTA {
	t.Helper()
	needReal(t, "exim")
	exim := findBinary(t, "exim4", "exim4-daemon-light")
	dir, err := os.MkdirTemp("", "exim-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uid, gid, uname, gname := os.Getuid(), os.Getgid(), "", ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		uname = u.Username
	}
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		gname = g.Name
	}
	if uid == 0 { // exim never delivers as root: run it all as nobody
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("exim as root needs the user nobody: %v", err)
		}
		uid, _ = strconv.Atoi(nobody.Uid)
		gid, _ = strconv.Atoi(nobody.Gid)
		uname = nobody.Username
		g, err := user.LookupGroupId(nobody.Gid)
		if err != nil {
			t.Fatalf("group of nobody: %v", err)
		}
		gname = g.Name
	}
	for _, d := range []string{dir, filepath.Join(dir, "spool"), filepath.Join(dir, "log"), filepath.Join(dir, "mail")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatalf("chown %s: %v", d, err)
		}
	}
	conf := filepath.Join(dir, "exim.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(eximConfig, dir, uname, gname)), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	stop := startDaemon(t, exec.Command(exim, "-C", conf, "-bdf", "-oX", strconv.Itoa(int(port))))
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr.String(), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log", "mainlog"))
			panicLog, _ := os.ReadFile(filepath.Join(dir, "log", "paniclog"))
			t.Fatalf("exim not listening on %s after 20 s: %v\n%s%s", addr, err, log, panicLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return MTA{Addr: addr, Mailbox: filepath.Join(dir, "mail", "mbox"), Sendmail: []string{exim, "-C", conf, "-t", "-oi", "-odi"},
		Stop: func() { stopAndWait(t, stop, map[string]netip.AddrPort{"smtp": addr}) }}
}

// WaitMailbox returns the mailbox once it holds n messages (mbox "From "
// lines), or fails the test after timeout.
func (m MTA) WaitMailbox(t testing.TB, n int, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(m.Mailbox)
		got := strings.Count("\n"+string(b), "\nFrom ")
		if got >= n {
			return string(b)
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(m.Mailbox)), "log", "mainlog"))
			t.Fatalf("mailbox has %d messages after %s, want %d:\n%s\nexim log:\n%s", got, timeout, n, b, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
