package check

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
)

// SimpleTCP is the negotiate check of service simpletcp (ldirectord
// check_simpletcp): request= (without its leading "/", each literal \n
// turned into a newline) is sent over the virtual's protocol and, over
// TCP, the sending side is shut down; the real is up when a line of the
// answer matches receive= (an empty receive= matches any line).
type SimpleTCP struct{}

// Check sends the request to t's server and reads its answer.
func (SimpleTCP) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkSimpleTCP(ctx, t) })
}

func checkSimpleTCP(ctx context.Context, t Target) error {
	re, err := compileReceive(t.Receive)
	if err != nil {
		return err
	}
	network := "tcp"
	if t.Protocol == "udp" {
		network = "udp"
	}
	c, err := dialConn(ctx, network, t.Addr(), false)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.simpleTCPExchange(re, t)
}

// simpleTCPExchange sends the request over c and matches the answer.
func (c *conn) simpleTCPExchange(re *regexp.Regexp, t Target) error {
	if _, err := c.Write([]byte(simpleTCPRequest(t))); err != nil {
		return fmt.Errorf("simpletcp: %w", netErr(c.ctx, err))
	}
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	for i := 0; i < maxReplyLines; i++ {
		line, err := c.readLine()
		if err != nil {
			if i > 0 && err.Error() == "connection closed by server" {
				break
			}
			return fmt.Errorf("simpletcp: %w", err)
		}
		if re.MatchString(line) {
			return nil
		}
	}
	return fmt.Errorf("receive %q not matched", t.Receive)
}

// simpleTCPRequest is what check_simpletcp sends: request= without its
// leading "/", each literal \n turned into a newline.
func simpleTCPRequest(t Target) string {
	return strings.ReplaceAll(requestPath(t), `\n`, "\n")
}
