package checktest

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// FTP is an FTP server with one user and the given files (path → content),
// supporting USER, PASS, CWD, TYPE, PASV, EPSV, RETR and QUIT. Each
// connection serves at most one passive data connection at a time.
func FTP(user, pass string, files map[string]string) Handler {
	return func(c net.Conn) {
		var (
			who      string
			loggedIn bool
			data     net.Listener
		)
		defer func() {
			if data != nil {
				data.Close()
			}
		}()
		Lines("220 checktest FTP", func(line string) (string, bool) {
			verb, arg, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "USER":
				who = arg
				return "331 password please", false
			case "PASS":
				loggedIn = who == user && arg == pass
				if loggedIn {
					return "230-welcome\r\n continued\r\n230 logged in", false
				}
				return "530 login incorrect", false
			case "QUIT":
				return "221 bye", true
			}
			if !loggedIn {
				return "530 please log in", false
			}
			switch strings.ToUpper(verb) {
			case "CWD":
				return "250 ok", false
			case "TYPE":
				return "200 type set", false
			case "PASV", "EPSV":
				if data != nil {
					data.Close()
				}
				var err error
				if data, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
					return "425 no data connection", false
				}
				p := netip.MustParseAddrPort(data.Addr().String()).Port()
				if strings.EqualFold(verb, "EPSV") {
					return fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p), false
				}
				return fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p>>8, p&0xff), false
			case "RETR":
				content, ok := files[arg]
				if !ok || data == nil {
					return "550 no such file", false
				}
				return retr(c, data, content), false
			}
			return "502 not implemented", false
		})(c)
	}
}

// retr sends content over the next data connection and returns the
// final reply.
func retr(c net.Conn, data net.Listener, content string) string {
	io.WriteString(c, "150 opening data connection\r\n")
	data.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	dc, err := data.Accept()
	if err != nil {
		return "425 no data connection"
	}
	io.WriteString(dc, content)
	dc.Close()
	return "226 transfer complete"
}
