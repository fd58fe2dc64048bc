package check

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
)

// FTP is the negotiate check of service ftp (ldirectord check_ftp,
// Net::FTP): log in with login= and passwd= (ldcf defaults them to
// anonymous and ldirectord@<host>), CWD /, TYPE I, then fetch request= over
// a passive data connection and match receive= against the file.
//
// ldirectord ignores every step's failure and only matches receive=, so
// with an empty receive= it reports up even a refused connection. We want
// each step to succeed. The default request= "/" names no file: the check
// then stops after TYPE I and matches receive= against nothing.
type FTP struct{}

// Check logs in to t's server and fetches the request.
func (FTP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkFTP(ctx, t) })
}

func checkFTP(ctx context.Context, t Target) error {
	c, err := dialConn(ctx, "tcp", t.Addr(), false)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.ftpExchange(ctx, t)
}

// ftpExchange is the FTP conversation after the dial.
func (c *conn) ftpExchange(ctx context.Context, t Target) error {
	if err := c.expect("", 2); err != nil {
		return fmt.Errorf("ftp: greeting: %w", err)
	}
	code, text, err := c.command("USER " + t.Auth.Login)
	if err == nil && code == 331 {
		code, text, err = c.command("PASS " + t.Auth.Passwd)
	}
	if err != nil || code/100 != 2 {
		return fmt.Errorf("ftp: login: %w", orReply(err, code, text))
	}
	for _, cmd := range []string{"CWD /", "TYPE I"} {
		if err := c.expect(cmd, 2); err != nil {
			return fmt.Errorf("ftp: %s: %w", cmd, err)
		}
	}
	var content []byte
	if requestPath(t) != "" {
		if content, err = c.retrieve(ctx, t.Request); err != nil {
			return fmt.Errorf("ftp: RETR %s: %w", t.Request, err)
		}
	}
	c.command("QUIT")
	return receiveMatch(t.Receive, string(content))
}

func orReply(err error, code int, text string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%d %s", code, text)
}

var (
	pasvReply = regexp.MustCompile(`(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)`)
	epsvReply = regexp.MustCompile(`\|\|\|(\d+)\|`)
)

// passivePort is the data port of a PASV or EPSV reply's text, matched by
// re, the port at submatch portAt (PASV: the 5th and 6th numbers).
func passivePort(cmd string, re *regexp.Regexp, portAt int, text string) (uint16, error) {
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0, fmt.Errorf("%s: bad reply %q", cmd, truncate(text))
	}
	port, _ := strconv.Atoi(m[portAt])
	if portAt == 5 {
		hi, _ := strconv.Atoi(m[5])
		lo, _ := strconv.Atoi(m[6])
		port = hi<<8 | lo
	}
	if port <= 0 || port > 65535 {
		return 0, fmt.Errorf("%s: bad port in %q", cmd, truncate(text))
	}
	return uint16(port), nil
}

// retrieve fetches path over a passive data connection to the server's
// address (the address in a PASV reply is ignored, as NAT often makes it
// wrong): PASV for IPv4, EPSV for IPv6.
func (c *conn) retrieve(ctx context.Context, path string) ([]byte, error) {
	remote := netip.MustParseAddrPort(c.RemoteAddr().String())
	cmd, re, portAt := "PASV", pasvReply, 5
	if remote.Addr().Is6() && !remote.Addr().Is4In6() {
		cmd, re, portAt = "EPSV", epsvReply, 1
	}
	code, text, err := c.command(cmd)
	if err != nil || code/100 != 2 {
		return nil, fmt.Errorf("%s: %w", cmd, orReply(err, code, text))
	}
	port, err := passivePort(cmd, re, portAt, text)
	if err != nil {
		return nil, err
	}
	data, err := dialConn(ctx, "tcp", netip.AddrPortFrom(remote.Addr().Unmap(), port), false)
	if err != nil {
		return nil, fmt.Errorf("data %w", err)
	}
	defer data.Close()
	if err := c.expect("RETR "+path, 1); err != nil {
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(data.r, maxBody))
	if err != nil {
		return nil, netErr(ctx, err)
	}
	if len(content) < maxBody {
		if err := c.expect("", 2); err != nil {
			return nil, err
		}
		return content, nil
	}
	// The file is larger than maxBody: receive= is matched against its
	// start. The server would only send its final reply after the rest, so
	// the transfer is ended here (the server then answers 426, or 226 if
	// it was done) rather than left to run into the check's timeout.
	data.Close()
	if _, _, err := c.readReply(); err != nil {
		return nil, err
	}
	return content, nil
}
