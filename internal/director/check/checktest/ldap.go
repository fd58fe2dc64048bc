package checktest

import (
	"bufio"
	"io"
	"net"
)

// LDAPDir is a tiny directory: simple binds are checked against Users
// (DN → password; the anonymous bind is allowed when AllowAnonymous is
// set), and a base-scope search finds an entry when its DN is in Entries.
type LDAPDir struct {
	Users          map[string]string
	AllowAnonymous bool
	Entries        []string
}

// LDAP serves d: bind, search and unbind.
func LDAP(d LDAPDir) Handler {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			tag, msg, err := readTLV(r)
			if err != nil || tag != 0x30 {
				return
			}
			_, id, rest := splitTLV(msg)
			op, body, _ := splitTLV(rest)
			var out []byte
			switch op {
			case 0x60: // BindRequest: version, name, simple
				_, _, rest := splitTLV(body)
				_, name, rest := splitTLV(rest)
				_, pw, _ := splitTLV(rest)
				code := 49
				if want, ok := d.Users[string(name)]; ok && want == string(pw) || len(name) == 0 && d.AllowAnonymous {
					code = 0
				}
				out = ldapMsg(id, tlv(0x61, ldapResult(code)))
			case 0x63: // SearchRequest: baseObject first
				_, base, _ := splitTLV(body)
				code := 32
				for _, e := range d.Entries {
					if e == string(base) {
						attr := tlv(0x30, tlv(0x04, []byte("objectClass")), tlv(0x31, tlv(0x04, []byte("top"))))
						out = ldapMsg(id, tlv(0x64, tlv(0x04, base), tlv(0x30, attr)))
						code = 0
					}
				}
				out = append(out, ldapMsg(id, tlv(0x65, ldapResult(code)))...)
			default: // unbind or anything else
				return
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

func ldapMsg(id []byte, op []byte) []byte { return tlv(0x30, tlv(0x02, id), op) }

func ldapResult(code int) []byte {
	diag := ""
	if code != 0 {
		diag = "checktest says no"
	}
	return append(append(tlv(0x0a, []byte{byte(code)}), tlv(0x04, nil)...), tlv(0x04, []byte(diag))...)
}

// tlv encodes one BER element with definite length.
func tlv(tag byte, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	out := []byte{tag}
	if n := len(v); n < 0x80 {
		out = append(out, byte(n))
	} else {
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, v...)
}

// splitTLV splits the first element off b (nil values when malformed).
func splitTLV(b []byte) (tag byte, val, rest []byte) {
	if len(b) < 2 {
		return 0, nil, nil
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k > 4 || len(b) < 2+k {
			return 0, nil, nil
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr += k
	}
	if n > len(b)-hdr {
		return 0, nil, nil
	}
	return b[0], b[hdr : hdr+n], b[hdr+n:]
}

func readTLV(r *bufio.Reader) (byte, []byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		n = 0
		for i := 0; i < k && i < 4; i++ {
			c, err := r.ReadByte()
			if err != nil {
				return 0, nil, err
			}
			n = n<<8 | int(c)
		}
	}
	if n > 1<<20 {
		return 0, nil, io.ErrUnexpectedEOF
	}
	v := make([]byte, n)
	_, err := io.ReadFull(r, v)
	return hdr[0], v, err
}
