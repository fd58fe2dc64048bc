package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// session is one kept-alive HTTP connection from the client to the VIP,
// spoken by hand so that a broken connection is an error (net/http would
// silently retry on a new one).
type session struct {
	conn net.Conn
	br   *bufio.Reader
	real string // who answered the first request
}

func (p *Pair) openSession(ctx context.Context) (*session, error) {
	c, err := p.Client.DialContext(ctx, "tcp", vipPort().String())
	if err != nil {
		return nil, fmt.Errorf("open a session to %s: %w", vipPort(), err)
	}
	return &session{conn: c, br: bufio.NewReader(c)}, nil
}

// get sends GET / on the session's connection and returns the body.
func (s *session) get() (string, error) {
	if err := s.conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := fmt.Fprintf(s.conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", vipPort()); err != nil {
		return "", fmt.Errorf("session %s: send: %w", s.conn.LocalAddr(), err)
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return "", fmt.Errorf("session %s: read answer: %w", s.conn.LocalAddr(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("session %s: read body: %w", s.conn.LocalAddr(), err)
	}
	if resp.StatusCode != http.StatusOK || resp.Close {
		return "", fmt.Errorf("session %s: status %s, close %v", s.conn.LocalAddr(), resp.Status, resp.Close)
	}
	return strings.TrimSpace(string(b)), nil
}
