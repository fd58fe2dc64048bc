package checktest

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The helpers below start the real Debian servers of the tests (MariaDB,
// PostgreSQL, slapd, FreeRADIUS, vsftpd, Dovecot, Exim, dnsmasq) as
// throwaway instances: their own configuration and data under
// t.TempDir(), their own loopback ports, stopped at cleanup. A missing
// binary fails the test naming the Debian package (.ci/run installs them
// all); only -short skips them.

// loopback is the address every real server listens on.
var loopback = netip.MustParseAddr("127.0.0.1")

// needReal skips the test under -short, where no real server is started.
func needReal(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting " + what)
	}
}

// findBinary looks name up in PATH, /usr/sbin and PostgreSQL's versioned
// directories, and fails the test naming the package to install.
func findBinary(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Strings(candidates)
	candidates = append([]string{"/usr/sbin/" + name}, candidates...)
	for i := len(candidates) - 1; i >= 0; i-- {
		if st, err := os.Stat(candidates[i]); err == nil && !st.IsDir() {
			return candidates[i]
		}
	}
	t.Fatalf("%s not found: install the Debian package %s (.ci/run does; or run the tests with -short to skip real servers)", name, pkg)
	return ""
}

func runLogged(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

// startDaemon starts cmd (a server that stays in the foreground) and
// returns a function that stops it with sig, then SIGKILL after 30 s.
// Cleanup stops it with SIGTERM; only the first stop counts. The server
// gets SIGKILL if the test binary dies first.
func startDaemon(t testing.TB, cmd *exec.Cmd) (stop func(sig syscall.Signal)) {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	var once sync.Once
	stop = func(sig syscall.Signal) {
		once.Do(func() {
			cmd.Process.Signal(sig)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		})
	}
	t.Cleanup(func() { stop(syscall.SIGTERM) })
	return stop
}

// freePort returns a loopback port that was free a moment ago for TCP
// and for UDP (a DNS server takes both).
func freePort(t testing.TB) uint16 { return freePorts(t, 1)[0] }

// freePorts returns n distinct such ports: each is held until all are
// chosen, since the kernel may hand a just-closed port out again.
func freePorts(t testing.TB, n int) []uint16 {
	t.Helper()
	var ports []uint16
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries > 20*n {
			t.Fatalf("no loopback port free for both TCP and UDP")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		held = append(held, l)
		port := netip.MustParseAddrPort(l.Addr().String()).Port()
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(loopback, port).String())
		if err != nil {
			continue
		}
		held = append(held, pc)
		ports = append(ports, port)
	}
	return ports
}

// waitUntil polls ready until it returns nil, for at most startTimeout:
// the server is another process, and polling is the only way to know it
// is up. On timeout the test fails with ready's last error and the tail
// of logFile.
func waitUntil(t testing.TB, what, logFile string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s did not start within %s: %v\n%s", what, startTimeout, err, tail(log, 4096))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tcpReady is a readiness probe: addr accepts a TCP connection.
func tcpReady(addr netip.AddrPort) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr.String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
}

// logReady is a readiness probe: file contains line.
func logReady(file, line string) func() error {
	return func() error {
		b, err := os.ReadFile(file)
		if err == nil && !bytes.Contains(b, []byte(line)) {
			err = os.ErrNotExist
		}
		if err != nil {
			return &os.PathError{Op: "waiting for " + strings.TrimSpace(line) + " in", Path: file, Err: err}
		}
		return nil
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// writeFile writes a configuration file of a test server.
func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// reachableBy lets a server's unprivileged helper processes (Dovecot's
// mail processes, vsftpd's ftp user) enter dir: the test's temporary
// directories are root's and 0700.
func reachableBy(t testing.TB, dir string) {
	t.Helper()
	for d := filepath.Dir(dir); d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
		if d == filepath.Clean(os.TempDir()) {
			break
		}
		os.Chmod(d, 0o711)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("chmod %s: %v", dir, err)
	}
}
