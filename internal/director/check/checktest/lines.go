package checktest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"time"
)

// Lines serves a line protocol: it writes greeting (unless empty), then
// answers each line the client sends with answer's reply (unless empty)
// until answer says quit or the client goes away. Lines end in CR LF.
func Lines(greeting string, answer func(line string) (reply string, quit bool)) Handler {
	return func(c net.Conn) {
		if greeting != "" {
			if _, err := io.WriteString(c, greeting+"\r\n"); err != nil {
				return
			}
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			reply, quit := answer(strings.TrimRight(line, "\r\n"))
			if reply != "" {
				if _, err := io.WriteString(c, reply+"\r\n"); err != nil {
					return
				}
			}
			if quit {
				return
			}
		}
	}
}

// SMTP is an SMTP server that greets with greeting and accepts EHLO and
// HELO as told (502 otherwise).
func SMTP(greeting string, ehlo, helo bool) Handler {
	return Lines(greeting, func(line string) (string, bool) {
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); {
		case verb == "EHLO" && ehlo:
			return "250-checktest\r\n250-PIPELINING\r\n250 HELP", false
		case verb == "HELO" && helo:
			return "250 checktest", false
		case verb == "QUIT":
			return "221 bye", true
		}
		return "502 command not implemented", false
	})
}

// POP3 is a POP3 server with the given greeting and users (name →
// password).
func POP3(greeting string, users map[string]string) Handler {
	return func(c net.Conn) {
		var user string
		Lines(greeting, func(line string) (string, bool) {
			verb, arg, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "USER":
				user = arg
				return "+OK", false
			case "PASS":
				if pw, ok := users[user]; ok && pw == arg {
					return "+OK logged in", false
				}
				return "-ERR authentication failed", false
			case "QUIT":
				return "+OK bye", true
			}
			return "-ERR unknown command", false
		})(c)
	}
}

// IMAP is an IMAP server with the given greeting and users (name →
// password); it understands LOGIN with quoted or atom arguments and
// LOGOUT.
func IMAP(greeting string, users map[string]string) Handler {
	return Lines(greeting, func(line string) (string, bool) {
		tag, rest, _ := strings.Cut(line, " ")
		verb, args, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(verb) {
		case "LOGIN":
			a := imapArgs(args)
			if len(a) == 2 && users[a[0]] == a[1] && a[1] != "" {
				return "* CAPABILITY IMAP4rev1\r\n" + tag + " OK LOGIN completed", false
			}
			return tag + " NO [AUTHENTICATIONFAILED] invalid credentials", false
		case "LOGOUT":
			return "* BYE logging out\r\n" + tag + " OK LOGOUT completed", true
		}
		return tag + " BAD unknown command", false
	})
}

// imapArgs splits quoted strings and atoms.
func imapArgs(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] != '"' {
			atom, rest, _ := strings.Cut(s, " ")
			out, s = append(out, atom), rest
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		out, s = append(out, b.String()), s[min(i+1, len(s)):]
	}
	return out
}

// Greeting writes greeting and then waits for the client to go away
// (NNTP's check only reads the greeting).
func Greeting(greeting string) Handler {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, greeting+"\r\n"); err != nil {
			return
		}
		io.Copy(io.Discard, c)
	}
}

// Request reads the client's whole request (up to its shutdown of the
// sending side) and writes reply(request).
func Request(reply func(req string) string) Handler {
	return func(c net.Conn) {
		req, err := io.ReadAll(io.LimitReader(c, 1<<20))
		if err != nil {
			return
		}
		io.WriteString(c, reply(string(req)))
	}
}

// SIP answers a SIP request with the given status line (e.g. "SIP/2.0 200
// OK"), after an optional provisional one: over TCP it serves a
// connection, as a UDP handler (SIPUDP) it answers a datagram.
func SIP(provisional, status string) Handler {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.TrimRight(line, "\r\n") == "" {
				break
			}
		}
		for _, d := range SIPUDP(provisional, status)(nil) {
			c.Write(d)
		}
		io.Copy(io.Discard, c)
	}
}

// SIPUDP is SIP's answer to one datagram.
func SIPUDP(provisional, status string) func([]byte) [][]byte {
	return func([]byte) [][]byte {
		var out [][]byte
		if provisional != "" {
			out = append(out, []byte(provisional+"\r\nContent-Length: 0\r\n\r\n"))
		}
		return append(out, []byte(status+"\r\nServer: checktest\r\nContent-Length: 0\r\n\r\n"))
	}
}

// Drip writes head, then one byte of drip every interval, forever: a
// server that is alive but too slow, which a check must give up on at its
// timeout however steadily bytes arrive. It ends when the client goes
// away.
func Drip(head []byte, drip byte, every time.Duration) Handler {
	return func(c net.Conn) {
		if _, err := c.Write(head); err != nil {
			return
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for range tick.C {
			if _, err := c.Write([]byte{drip}); err != nil {
				return
			}
		}
	}
}

// Blob writes b, then waits for the client to go away.
func Blob(b []byte) Handler {
	return func(c net.Conn) {
		if _, err := c.Write(b); err != nil {
			return
		}
		io.Copy(io.Discard, c)
	}
}
