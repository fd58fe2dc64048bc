package check

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS is the negotiate check of service dns (ldirectord check_dns,
// Net::DNS): request= is looked up at the real, an A query for a name or a
// PTR query for an address, over TCP for a TCP virtual and UDP otherwise
// (retrying over TCP when the answer is truncated, as Net::DNS does). The
// real is up when an A address or PTR name in the answer matches
// receive=; an empty receive= never matches (ldirectord checks
// length($recstr)).
type DNS struct{}

// Check queries t's server.
func (DNS) Check(ctx context.Context, t Target) Result {
	return run(ctx, t.Timeout, func(ctx context.Context) error { return checkDNS(ctx, t) })
}

func checkDNS(ctx context.Context, t Target) error {
	q, err := dnsQuestion(requestPath(t))
	if err != nil {
		return fmt.Errorf("dns: request %q: %w", requestPath(t), err)
	}
	network := "udp"
	if t.Protocol == "tcp" {
		network = "tcp"
	}
	resp, err := dnsExchange(ctx, network, t.Addr(), q)
	if err == nil && resp.Truncated && network == "udp" {
		resp, err = dnsExchange(ctx, "tcp", t.Addr(), q)
	}
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	return dnsVerdict(resp, t.Receive)
}

// dnsVerdict judges an answer: success, an A or PTR record, one matching
// receive.
func dnsVerdict(resp *dnsmessage.Message, receive string) error {
	if resp.RCode != dnsmessage.RCodeSuccess {
		return fmt.Errorf("dns: %s", rcodeName(resp.RCode))
	}
	var got []string
	for _, rr := range resp.Answers {
		switch b := rr.Body.(type) {
		case *dnsmessage.AResource:
			got = append(got, netip.AddrFrom4(b.A).String())
		case *dnsmessage.PTRResource:
			got = append(got, strings.TrimSuffix(b.PTR.String(), "."))
		}
	}
	if len(got) == 0 {
		return errors.New("dns: no A or PTR record in the answer")
	}
	if receive == "" {
		return errors.New("dns: receive is empty (it must match an answer)")
	}
	re, err := compileReceive(receive)
	if err != nil {
		return err
	}
	for _, a := range got {
		if re.MatchString(a) {
			return nil
		}
	}
	return fmt.Errorf("receive %q not matched (answer %s)", receive, strings.Join(got, ", "))
}

// dnsQuestion is Net::DNS's choice: a PTR query for an address, else A.
func dnsQuestion(req string) (dnsmessage.Question, error) {
	q := dnsmessage.Question{Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}
	name := req
	if a, err := netip.ParseAddr(req); err == nil {
		q.Type, name = dnsmessage.TypePTR, reverseName(a)
	}
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	n, err := dnsmessage.NewName(name)
	q.Name = n
	return q, err
}

// reverseName is a's in-addr.arpa or ip6.arpa name.
func reverseName(a netip.Addr) string {
	var b strings.Builder
	s := a.Unmap().AsSlice()
	if a.Unmap().Is4() {
		for i := len(s) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "%d.", s[i])
		}
		return b.String() + "in-addr.arpa."
	}
	const hex = "0123456789abcdef"
	for i := len(s) - 1; i >= 0; i-- {
		b.WriteByte(hex[s[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[s[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa."
}

func rcodeName(rc dnsmessage.RCode) string {
	switch rc {
	case dnsmessage.RCodeNameError:
		return "NXDOMAIN"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL"
	case dnsmessage.RCodeRefused:
		return "REFUSED"
	case dnsmessage.RCodeFormatError:
		return "FORMERR"
	}
	return rc.String()
}

// dnsExchange sends q and returns the answer with the same ID.
func dnsExchange(ctx context.Context, network string, addr netip.AddrPort, q dnsmessage.Question) (*dnsmessage.Message, error) {
	id := uint16(rand.N(1 << 16))
	req := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}
	pkt, err := req.Pack()
	if err != nil {
		return nil, fmt.Errorf("packing query: %w", err)
	}
	c, err := dialConn(ctx, network, addr, false)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if network == "tcp" {
		pkt = append(binary.BigEndian.AppendUint16(nil, uint16(len(pkt))), pkt...)
	}
	if _, err := c.Write(pkt); err != nil {
		return nil, netErr(ctx, err)
	}
	return c.dnsAnswer(network, id)
}

// dnsAnswer reads answers from c until one is the response with our id.
func (c *conn) dnsAnswer(network string, id uint16) (*dnsmessage.Message, error) {
	buf := make([]byte, 65535)
	for i := 0; i < maxReplyLines; i++ {
		var (
			n   int
			err error
		)
		if network == "tcp" {
			n, err = readTCPMsg(c, buf)
		} else {
			n, err = c.Read(buf)
		}
		if err != nil {
			return nil, netErr(c.ctx, err)
		}
		var resp dnsmessage.Message
		if err := resp.Unpack(buf[:n]); err != nil {
			if network == "tcp" {
				return nil, fmt.Errorf("bad answer: %w", err)
			}
			continue
		}
		if resp.ID == id && resp.Response {
			return &resp, nil
		}
	}
	return nil, errors.New("no answer with our query id")
}

func readTCPMsg(c *conn, buf []byte) (int, error) {
	if _, err := io.ReadFull(c.r, buf[:2]); err != nil {
		return 0, err
	}
	n := int(binary.BigEndian.Uint16(buf[:2]))
	return io.ReadFull(c.r, buf[:n])
}
