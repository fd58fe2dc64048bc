package checktest

import (
	"errors"
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
)

// Names and secrets the real servers below are set up with. (Exim, the
// real SMTP server, is exim.go's MTA.)
const (
	RealBaseDN   = "dc=example,dc=com"
	RealBindDN   = "cn=monitor,dc=example,dc=com"
	RealUser     = "probe"
	RealPassword = "a long password, longer than 16 bytes"
	RealSecret   = "shared secret"
	RealFile     = "/index.html"
	RealFileText = "<h1>ftp works</h1>"
	// RealBigFile is an FTP file larger than the checks' body limit whose
	// last line, past the limit, is RealBigTail.
	RealBigFile = "/big.txt"
	RealBigTail = "the end of the big file"
)

// RealServer is one real server started by a test.
type RealServer struct {
	// Addrs are its listening addresses by service name ("ldap",
	// "ldaps", "imap", "smtp", "refuse", ...).
	Addrs map[string]netip.AddrPort
	// Stop stops the server now (cleanup stops it anyway) and returns
	// once it is gone and its TCP ports refuse connections: a check of it
	// then meets a closed port, as with a server that went down.
	Stop func()
}

// realServer is a RealServer whose Stop stops the daemon with SIGTERM,
// which lets a master process (Dovecot) take its children along, and
// waits for its listeners to close.
func realServer(t testing.TB, addrs map[string]netip.AddrPort, stop func(syscall.Signal)) RealServer {
	return RealServer{Addrs: addrs, Stop: func() { stopAndWait(t, stop, addrs) }}
}

// stopAndWait stops a daemon with SIGTERM and waits until its TCP
// addresses refuse connections (Exim's children may hold them a while).
func stopAndWait(t testing.TB, stop func(syscall.Signal), addrs map[string]netip.AddrPort) {
	stop(syscall.SIGTERM)
	for _, a := range addrs {
		closed := func() error {
			if tcpReady(a)() == nil {
				return errors.New("still accepting connections")
			}
			return nil
		}
		waitUntil(t, "stopping the server at "+a.String(), "", closed)
	}
}

func newAddrs(t testing.TB, names ...string) map[string]netip.AddrPort {
	m := map[string]netip.AddrPort{}
	for i, p := range freePorts(t, len(names)) {
		m[names[i]] = netip.AddrPortFrom(loopback, p)
	}
	return m
}

// waitListening waits until every address of addrs accepts TCP
// connections.
func waitListening(t testing.TB, what, logFile string, addrs map[string]netip.AddrPort) {
	t.Helper()
	for _, a := range addrs {
		waitUntil(t, what, logFile, tcpReady(a))
	}
}

func portOf(a netip.AddrPort) string { return strconv.Itoa(int(a.Port())) }

// Slapd starts OpenLDAP's slapd with an mdb database holding RealBaseDN
// and RealBindDN (password RealPassword), anonymous binds allowed, on
// "ldap" and "ldaps" (a self-signed certificate).
func Slapd(t testing.TB) RealServer {
	t.Helper()
	needReal(t, "slapd")
	slapd := findBinary(t, "slapd", "slapd")
	slapadd := findBinary(t, "slapadd", "slapd")
	dir := t.TempDir()
	cert, key := selfSignedFiles(t, dir)
	os.Mkdir(filepath.Join(dir, "db"), 0o700)
	conf := filepath.Join(dir, "slapd.conf")
	writeFile(t, conf, fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile %[2]s
TLSCertificateKeyFile %[3]s
database mdb
maxsize 10485760
suffix "%[4]s"
rootdn "cn=admin,%[4]s"
rootpw not-used
directory %[1]s/db
`, dir, cert, key, RealBaseDN), 0o600)
	ldif := filepath.Join(dir, "data.ldif")
	writeFile(t, ldif, fmt.Sprintf(`dn: %s
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: %s
objectClass: person
cn: monitor
sn: monitor
userPassword: %s
`, RealBaseDN, RealBindDN, RealPassword), 0o600)
	runLogged(t, exec.Command(slapadd, "-f", conf, "-l", ldif))
	addrs := newAddrs(t, "ldap", "ldaps")
	log := filepath.Join(dir, "slapd.log")
	out, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(slapd, "-d", "0", "-f", conf,
		"-h", "ldap://"+addrs["ldap"].String()+"/ ldaps://"+addrs["ldaps"].String()+"/")
	cmd.Stdout, cmd.Stderr = out, out
	stop := startDaemon(t, cmd)
	waitListening(t, "slapd", log, addrs)
	return realServer(t, addrs, stop)
}

// FreeRADIUS starts freeradius on "radius" (UDP) with one client,
// 127.0.0.1 with RealSecret, and one user, RealUser with RealPassword
// (PAP).
func FreeRADIUS(t testing.TB) RealServer {
	t.Helper()
	needReal(t, "freeradius")
	radiusd := findBinary(t, "freeradius", "freeradius")
	dir := t.TempDir()
	addrs := newAddrs(t, "radius")
	log := filepath.Join(dir, "radius.log")
	writeFile(t, filepath.Join(dir, "users"), fmt.Sprintf("%s Cleartext-Password := %q\n", RealUser, RealPassword), 0o600)
	writeFile(t, filepath.Join(dir, "radiusd.conf"), fmt.Sprintf(`prefix = /usr
confdir = %[1]s
logdir = %[1]s
run_dir = %[1]s
libdir = /usr/lib/freeradius
pidfile = %[1]s/radiusd.pid
dictionary = /usr/share/freeradius
log {
	destination = files
	file = %[2]s
}
client localhost {
	ipaddr = 127.0.0.1
	secret = %[3]q
}
modules {
	pap {
	}
	files {
		filename = %[1]s/users
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = %[4]d
	}
	authorize {
		files
		pap
	}
	authenticate {
		pap
	}
}
`, dir, log, RealSecret, addrs["radius"].Port()), 0o600)
	stop := startDaemon(t, exec.Command(radiusd, "-f", "-d", dir, "-n", "radiusd"))
	waitUntil(t, "freeradius", log, logReady(log, "Ready to process requests"))
	return realServer(t, addrs, stop)
}

// Vsftpd starts vsftpd on "ftp", anonymous only (any other login is
// refused), serving RealFile and RealBigFile (5 MiB).
func Vsftpd(t testing.TB) RealServer {
	t.Helper()
	needReal(t, "vsftpd")
	vsftpd := findBinary(t, "vsftpd", "vsftpd")
	dir := t.TempDir()
	root, empty := filepath.Join(dir, "root"), filepath.Join(dir, "empty")
	os.Mkdir(root, 0o755)
	os.Mkdir(empty, 0o755)
	reachableBy(t, dir)
	writeFile(t, filepath.Join(root, RealFile), RealFileText+"\n", 0o644)
	big := strings.Repeat(strings.Repeat("x", 1023)+"\n", 5<<10) + RealBigTail + "\n"
	writeFile(t, filepath.Join(root, RealBigFile), big, 0o644)
	addrs := newAddrs(t, "ftp")
	log := filepath.Join(dir, "vsftpd.log")
	conf := filepath.Join(dir, "vsftpd.conf")
	writeFile(t, conf, fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root=%s
secure_chroot_dir=%s
pasv_enable=YES
pasv_address=127.0.0.1
xferlog_enable=YES
vsftpd_log_file=%s
seccomp_sandbox=NO
`, addrs["ftp"].Port(), root, empty, log), 0o600)
	stop := startDaemon(t, exec.Command(vsftpd, conf))
	waitUntil(t, "vsftpd", log, tcpReady(addrs["ftp"]))
	return realServer(t, addrs, stop)
}

// Dovecot starts Dovecot with one user, RealUser with RealPassword, on
// "imap", "imaps", "pop" and "pops" (a self-signed certificate). Mail
// processes run as the dovecot user.
func Dovecot(t testing.TB) RealServer {
	t.Helper()
	needReal(t, "dovecot")
	dovecot := findBinary(t, "dovecot", "dovecot-imapd and dovecot-pop3d")
	dv, err := user.Lookup("dovecot")
	if err != nil {
		t.Fatalf("Dovecot test server: no user dovecot (install dovecot-core): %v", err)
	}
	uid, _ := strconv.Atoi(dv.Uid)
	gid, _ := strconv.Atoi(dv.Gid)
	dir := t.TempDir()
	reachableBy(t, dir)
	home := filepath.Join(dir, "home")
	os.Mkdir(home, 0o755)
	os.Chown(home, uid, gid)
	cert, key := selfSignedFiles(t, dir)
	writeFile(t, filepath.Join(dir, "passwd"), RealUser+":{PLAIN}"+RealPassword+"\n", 0o644)
	addrs := newAddrs(t, "imap", "imaps", "pop", "pops")
	log := filepath.Join(dir, "dovecot.log")
	conf := filepath.Join(dir, "dovecot.conf")
	listener := func(name string, tls bool) string {
		return fmt.Sprintf("  inet_listener %s {\n    address = 127.0.0.1\n    port = %d\n    ssl = %v\n  }\n",
			name, addrs[name].Port(), map[bool]string{true: "yes", false: "no"}[tls])
	}
	writeFile(t, conf, fmt.Sprintf(`protocols = imap pop3
base_dir = %[1]s/run
state_dir = %[1]s/state
listen = 127.0.0.1
log_path = %[2]s
ssl = yes
ssl_cert = <%[3]s
ssl_key = <%[4]s
ssl_dh =
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[7]s/%%u
}
mail_location = maildir:~/Maildir
service anvil {
  chroot =
  # No auth penalty socket: the auth process then adds no delay to
  # logins from an address that failed one (2 s and more).
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
%[8]s%[9]s}
service pop3-login {
  chroot =
%[10]s%[11]s}
`, dir, log, cert, key, uid, gid, home,
		listener("imap", false), listener("imaps", true), listener("pop", false), listener("pops", true)), 0o644)
	stop := startDaemon(t, exec.Command(dovecot, "-F", "-c", conf))
	waitListening(t, "dovecot", log, addrs)
	return realServer(t, addrs, stop)
}

// Dnsmasq starts dnsmasq on "dns" (UDP and TCP), authoritative for
// example.com: www.example.com is 192.0.2.10 and 192.0.2.11 with the PTR
// record of 192.0.2.10; other names of example.com are NXDOMAIN, names
// elsewhere REFUSED (no upstream).
func Dnsmasq(t testing.TB) RealServer {
	t.Helper()
	needReal(t, "dnsmasq")
	dnsmasq := findBinary(t, "dnsmasq", "dnsmasq-base")
	dir := t.TempDir()
	addrs := newAddrs(t, "dns")
	log := filepath.Join(dir, "dnsmasq.log")
	stop := startDaemon(t, exec.Command(dnsmasq, "--keep-in-foreground", "--conf-file=/dev/null",
		"--port="+portOf(addrs["dns"]), "--listen-address=127.0.0.1", "--bind-interfaces",
		"--no-resolv", "--no-hosts", "--user=root", "--pid-file=", "--log-facility="+log,
		"--local=/example.com/",
		"--host-record=www.example.com,192.0.2.10", "--host-record=www.example.com,192.0.2.11"))
	waitUntil(t, "dnsmasq", log, tcpReady(addrs["dns"]))
	return realServer(t, addrs, stop)
}
