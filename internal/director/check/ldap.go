package check

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// LDAP is the negotiate check of services ldap and ldaps (ldirectord
// check_ldap, Net::LDAP): a simple bind (with login= and passwd= when both
// are set, else anonymous), then a base-scope search for (objectClass=*) at
// the DN in request= (without its leading "/"). The real is up when exactly
// one entry comes back and its DN matches receive=. ldaps speaks TLS from
// the start, without certificate verification. ldirectord bounds the whole
// exchange by checktimeout, each step by negotiatetimeout: we use the
// smaller of the two.
type LDAP struct{ TLS bool }

// Check binds to t's server and reads one entry.
func (l LDAP) Check(ctx context.Context, t Target) Result {
	return run(ctx, min(t.Timeout, t.checkTimeout()), func(ctx context.Context) error { return l.check(ctx, t) })
}

// LDAP protocol operation tags (RFC 4511 §4.2-4.5), with their BER class
// and constructed bits.
const (
	ldapBindRequest  = 0x60
	ldapBindResponse = 0x61
	ldapUnbind       = 0x42
	ldapSearch       = 0x63
	ldapSearchEntry  = 0x64
	ldapSearchDone   = 0x65
)

func (l LDAP) check(ctx context.Context, t Target) error {
	c, err := dialConn(ctx, "tcp", t.Addr(), l.TLS)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.ldapExchange(t)
}

// ldapExchange binds, searches and matches over c: everything of the
// check after the dial (the fuzz target's entry point).
func (c *conn) ldapExchange(t Target) error {
	dn, pw := "", ""
	if t.Auth.Login != "" && t.Auth.Passwd != "" {
		dn, pw = t.Auth.Login, t.Auth.Passwd
	}
	bind := ber(ldapBindRequest, berInt(0x02, 3), berStr(0x04, dn), berStr(0x80, pw))
	if err := c.ldapSend(1, bind); err != nil {
		return fmt.Errorf("ldap: bind: %w", err)
	}
	op, body, err := c.ldapRead(1)
	if err == nil && op != ldapBindResponse {
		err = fmt.Errorf("unexpected operation 0x%02x", op)
	}
	if err == nil {
		err = ldapResult(body)
	}
	if err != nil {
		return fmt.Errorf("ldap: bind: %w", err)
	}
	base := requestPath(t)
	search := ber(ldapSearch, berStr(0x04, base), berInt(0x0a, 0), berInt(0x0a, 0), berInt(0x02, 0), berInt(0x02, 0),
		ber(0x01, []byte{0}), berStr(0x87, "objectClass"), ber(0x30))
	if err := c.ldapSend(2, search); err != nil {
		return fmt.Errorf("ldap: search: %w", err)
	}
	var dns []string
	for op != ldapSearchDone {
		if op, body, err = c.ldapRead(2); err != nil {
			return fmt.Errorf("ldap: search %q: %w", base, err)
		}
		if op == ldapSearchEntry {
			_, name, _, err := berNext(body)
			if err != nil {
				return fmt.Errorf("ldap: search %q: %w", base, err)
			}
			dns = append(dns, string(name))
		}
	}
	c.ldapSend(3, ber(ldapUnbind))
	if err := ldapResult(body); err != nil && len(dns) == 0 {
		return fmt.Errorf("ldap: search %q: %w", base, err)
	}
	if len(dns) != 1 {
		return fmt.Errorf("ldap: search %q: %d entries, want 1", base, len(dns))
	}
	return receiveMatch(t.Receive, dns[0])
}

// ldapSend writes one LDAPMessage.
func (c *conn) ldapSend(id int, op []byte) error {
	if _, err := c.Write(ber(0x30, berInt(0x02, id), op)); err != nil {
		return netErr(c.ctx, err)
	}
	return nil
}

// maxBER bounds one BER element read from a server.
const maxBER = 1 << 20

// ldapRead reads LDAPMessages until one with message ID id, and returns
// its operation tag and contents.
func (c *conn) ldapRead(id int) (op byte, body []byte, err error) {
	for i := 0; i < maxReplyLines; i++ {
		tag, msg, err := readBER(c)
		if err != nil {
			return 0, nil, err
		}
		if tag != 0x30 {
			return 0, nil, fmt.Errorf("not an LDAP message (tag 0x%02x)", tag)
		}
		_, idb, rest, err := berNext(msg)
		if err != nil {
			return 0, nil, err
		}
		op, body, _, err := berNext(rest)
		if err != nil {
			return 0, nil, err
		}
		if berUint(idb) == id {
			return op, body, nil
		}
	}
	return 0, nil, errors.New("no answer to our message")
}

// ldapResult decodes an LDAPResult: nil for success, else the code and
// the server's message.
func ldapResult(body []byte) error {
	_, code, rest, err := berNext(body)
	if err != nil {
		return err
	}
	n := berUint(code)
	if n == 0 {
		return nil
	}
	_, _, rest, _ = berNext(rest) // matchedDN
	_, diag, _, _ := berNext(rest)
	msg := fmt.Sprintf("result %d", n)
	if name, ok := ldapCodes[n]; ok {
		msg += " " + name
	}
	if len(diag) > 0 {
		msg += ": " + truncate(string(diag))
	}
	return errors.New(msg)
}

var ldapCodes = map[int]string{
	1: "operationsError", 2: "protocolError", 32: "noSuchObject", 34: "invalidDNSyntax",
	48: "inappropriateAuthentication", 49: "invalidCredentials", 50: "insufficientAccessRights",
	51: "busy", 52: "unavailable", 53: "unwillingToPerform",
}

// ber encodes one element with definite length.
func ber(tag byte, parts ...[]byte) []byte {
	var content []byte
	for _, p := range parts {
		content = append(content, p...)
	}
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}

func berStr(tag byte, s string) []byte { return ber(tag, []byte(s)) }

// berInt encodes a small non-negative integer.
func berInt(tag byte, v int) []byte {
	b := []byte{byte(v)}
	for v >>= 8; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return ber(tag, b)
}

// berUint decodes a non-negative integer of up to 4 bytes.
func berUint(b []byte) int {
	n := 0
	for _, c := range b[:min(len(b), 4)] {
		n = n<<8 | int(c)
	}
	return n
}

// berNext splits the first element off b.
func berNext(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errors.New("truncated BER element")
	}
	tag, n, hdr := b[0], int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, nil, errors.New("bad BER length")
		}
		n = berUint(b[2 : 2+k])
		hdr += k
	}
	if n > len(b)-hdr {
		return 0, nil, nil, errors.New("truncated BER element")
	}
	return tag, b[hdr : hdr+n], b[hdr+n:], nil
}

// readBER reads one element from c.
func readBER(c *conn) (tag byte, val []byte, err error) {
	hdr := make([]byte, 2, 6)
	if _, err := io.ReadFull(c.r, hdr); err != nil {
		return 0, nil, netErr(c.ctx, err)
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 {
			return 0, nil, errors.New("bad BER length")
		}
		lb := make([]byte, k)
		if _, err := io.ReadFull(c.r, lb); err != nil {
			return 0, nil, netErr(c.ctx, err)
		}
		n = berUint(lb)
	}
	if n > maxBER {
		return 0, nil, fmt.Errorf("BER element of %d bytes is too long", n)
	}
	val = make([]byte, n)
	if _, err := io.ReadFull(c.r, val); err != nil {
		return 0, nil, netErr(c.ctx, err)
	}
	return hdr[0], val, nil
}
