package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// SIP is the negotiate check of service sip (ldirectord check_sip): an
// OPTIONS request for sip:<login> (ldcf defaults login= to
// ldirectord@<host>) over the virtual's protocol, UDP or TCP; the real is up
// when the final answer's status line is "SIP/2.0 200". Provisional 1xx
// answers are skipped. Unlike ldirectord, whose Via always says UDP, the
// Via names the transport used, so a server answers on it.
type SIP struct{}

// Check sends OPTIONS to t's server.
func (SIP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSIP(ctx, t) })
}

func checkSIP(ctx context.Context, t Target) error {
	network := "tcp"
	if t.Protocol == "udp" {
		network = "udp"
	}
	c, err := dialConn(ctx, network, t.Addr(), false)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.sipExchange(network, t)
}

// sipExchange sends OPTIONS over c and reads the answers.
func (c *conn) sipExchange(network string, t Target) error {
	if _, err := c.Write([]byte(sipOptions(t.Auth.Login, strings.ToUpper(network), c.LocalAddr().String()))); err != nil {
		return fmt.Errorf("sip: %w", netErr(c.ctx, err))
	}
	for i := 0; i < maxReplyLines; i++ {
		status, err := c.sipStatus(network)
		if err != nil {
			return fmt.Errorf("sip: %w", err)
		}
		switch {
		case strings.HasPrefix(status, "SIP/2.0 1"):
			continue
		case strings.HasPrefix(status, "SIP/2.0 200 "), status == "SIP/2.0 200":
			return nil
		}
		return fmt.Errorf("sip: %s", truncate(status))
	}
	return fmt.Errorf("sip: more than %d provisional answers", maxReplyLines)
}

// sipStatus reads the status line of the next answer: one datagram over
// UDP; over TCP the status line, then the header up to its blank line.
func (c *conn) sipStatus(network string) (string, error) {
	if network == "udp" {
		buf := make([]byte, 65535)
		n, err := c.Read(buf)
		if err != nil {
			return "", netErr(c.ctx, err)
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	status, err := c.readLine()
	if err != nil {
		return "", err
	}
	for i := 0; i < maxReplyLines; i++ {
		h, err := c.readLine()
		if err != nil || h == "" {
			break // the status is what counts, as in check_sip
		}
		if name, v, _ := strings.Cut(h, ":"); strings.EqualFold(strings.TrimSpace(name), "Content-Length") && strings.TrimSpace(v) != "0" {
			break // a body follows; we close without reading it
		}
	}
	return status, nil
}

// sipOptions is check_sip's request.
func sipOptions(login, transport, local string) string {
	id := make([]byte, 8)
	rand.Read(id)
	return "OPTIONS sip:" + login + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + transport + " " + local + ";branch=z9hG4bKhjhs8ass877\r\n" +
		"Max-Forwards: 70\r\n" +
		"To: <sip:" + login + ">\r\n" +
		"From: <sip:" + login + ">;tag=1928301774\r\n" +
		"Call-ID: " + hex.EncodeToString(id) + "\r\n" +
		"CSeq: 63104 OPTIONS\r\n" +
		"Contact: <sip:" + login + ">\r\n" +
		"Accept: application/sdp\r\n" +
		"Content-Length: 0\r\n\r\n"
}
