package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// Method is an authkeys signing method.
type Method string

// The methods of Heartbeat 3.0.6 (lib/plugins/HBauth/{crc,md5,sha1}.c).
const (
	CRC  Method = "crc"  // CRC-32 (poly 0x04C11DB7, MSB first), no key
	MD5  Method = "md5"  // HMAC-MD5, RFC 2104
	SHA1 Method = "sha1" // HMAC-SHA1, RFC 2104
)

// MaxAuthIndex is the highest authkeys index (MAXAUTH 16, indexes 0..15).
const MaxAuthIndex = 15

// Auth is one authkeys entry: "<Index> <Method> <Key>".
type Auth struct {
	Index  int
	Method Method
	Key    []byte // the secret exactly as written (no hex decoding); unused by crc
}

// Digest returns the hex digest of data as Heartbeat prints it: lowercase,
// 40 characters for sha1, 32 for md5, and for crc "%lx" without padding.
func (a Auth) Digest(data []byte) (string, error) {
	// The plugins take the key with strlen (sha1.c, md5.c).
	key := a.Key
	if i := bytes.IndexByte(key, 0); i >= 0 {
		key = key[:i]
	}
	var h func() hash.Hash
	switch a.Method {
	case SHA1:
		h = sha1.New
	case MD5:
		h = md5.New
	case CRC:
		return strconv.FormatUint(uint64(crc32MSB(data)), 16), nil
	default:
		return "", fmt.Errorf("auth method %q: want crc, md5 or sha1", a.Method)
	}
	mac := hmac.New(h, key)
	mac.Write(data)
	return hex.EncodeToString(mac.Sum(nil)), nil
}

func (a Auth) check() error {
	if a.Index < 0 || a.Index > MaxAuthIndex {
		return fmt.Errorf("auth index %d: want 0..%d", a.Index, MaxAuthIndex)
	}
	_, err := a.Digest(nil)
	return err
}

// crcTable is crc.c's crctab, computed: entry i is the CRC of the byte i
// shifted to the top, polynomial 0x04C11DB7.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc32MSB is crc.c crc_auth_calc: init 0, MSB first, final complement, no
// length appended.
func crc32MSB(data []byte) uint32 {
	var crc uint32
	for _, b := range data {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^b]
	}
	return ^crc
}

// FieldAuth returns the value of the inner "auth" field, "<index> <digest>",
// where the digest covers the classic text of every other field without
// the ">>>"/"<<<" markers (heartbeat ha_msg_internal.c add_msg_auth).
func FieldAuth(m *Message, a Auth) (string, error) {
	if err := a.check(); err != nil {
		return "", fmt.Errorf("computing field auth: %w", err)
	}
	text, err := appendClassic(nil, m, 0, false)
	if err != nil {
		return "", fmt.Errorf("computing field auth: %w", err)
	}
	d, _ := a.Digest(text) // method checked above
	return strconv.Itoa(a.Index) + " " + d, nil
}

// withFieldAuth returns a copy of m whose first "auth" field, or a new last
// one, holds FieldAuth (ha_msg_mod).
func withFieldAuth(m *Message, a Auth) (*Message, error) {
	v, err := FieldAuth(m, a)
	if err != nil {
		return nil, err
	}
	c := m.Clone()
	if i := c.index(FAuth); i >= 0 && c.Fields[i].Type != TypeString {
		return nil, fmt.Errorf("computing field auth: field auth has type %d", c.Fields[i].Type)
	}
	c.Set(FAuth, v)
	return c, nil
}

// Sign returns the datagram Heartbeat 3.0.6 sends for m with the default
// msgfmt classic: m with its "auth" field set by FieldAuth, in netstring
// framing, followed by the trailer "<len>:<index> <digest>," whose digest
// covers "###\n" through "%%%\n". m itself is not changed.
func Sign(m *Message, a Auth) ([]byte, error) {
	c, err := withFieldAuth(m, a)
	if err != nil {
		return nil, fmt.Errorf("signing message: %w", err)
	}
	return SignNetstring(c, a)
}

// SignNetstring is Sign without touching the "auth" field: what Heartbeat
// sends with "msgfmt netstring" (add_control_msg_fields skips add_msg_auth).
func SignNetstring(m *Message, a Auth) ([]byte, error) {
	if err := a.check(); err != nil {
		return nil, fmt.Errorf("signing message: %w", err)
	}
	body, err := EncodeNetstring(m)
	if err != nil {
		return nil, fmt.Errorf("signing message: %w", err)
	}
	d, _ := a.Digest(body)
	s := strconv.Itoa(a.Index) + " " + d
	out := strconv.AppendInt(body, int64(len(s)), 10)
	out = append(out, ':')
	out = append(out, s...)
	out = append(out, ',')
	if len(out) > MaxMessageSize {
		return nil, fmt.Errorf("signing message: %d bytes exceed %d", len(out), MaxMessageSize)
	}
	return out, nil
}

// Verify decodes a datagram and checks it as Heartbeat does: a netstring
// datagram by its trailer only (glue netstring2msg, is_auth_netstring), a
// classic one by its "auth" field (heartbeat isauthentic). keys maps each
// configured authkeys index to its entry; any of them verifies. Errors
// match ErrMalformed, ErrNoAuth, ErrUnknownKey or ErrBadAuth.
func Verify(buf []byte, keys map[int]Auth) (*Message, error) {
	fr, err := parse(buf)
	if err != nil {
		return nil, fmt.Errorf("verifying packet: %w", err)
	}
	if fr.format == FormatClassic {
		if err := VerifyField(fr.msg, keys); err != nil {
			return nil, err
		}
		return fr.msg, nil
	}
	if !fr.hasTrailer {
		return nil, fmt.Errorf("verifying packet: trailer: %w", ErrNoAuth)
	}
	if err := checkAuth(fr.trailer, buf[:fr.signed], keys); err != nil {
		return nil, fmt.Errorf("verifying packet: trailer: %w", err)
	}
	return fr.msg, nil
}

// VerifyField checks m's inner "auth" field against the classic text of
// its other fields (heartbeat isauthentic: the last "auth" field counts).
// Heartbeat checks it only on classic datagrams; for netstring ones it is
// informational.
func VerifyField(m *Message, keys map[int]Auth) error {
	var auth *Field
	for i := range m.Fields {
		if m.Fields[i].Name == FAuth {
			auth = &m.Fields[i]
		}
	}
	if auth == nil {
		return fmt.Errorf("verifying field auth: %w", ErrNoAuth)
	}
	if auth.Type != TypeString {
		return fmt.Errorf("verifying field auth: field of type %d: %w", auth.Type, ErrBadAuth)
	}
	text, err := appendClassic(nil, m, 0, false)
	if err != nil {
		return fmt.Errorf("verifying field auth: %w: %w", ErrMalformed, err)
	}
	if err := checkAuth([]byte(auth.Value), text, keys); err != nil {
		return fmt.Errorf("verifying field auth: %w", err)
	}
	return nil
}

// checkAuth checks the auth string s, "<index> <digest>", over data.
func checkAuth(s, data []byte, keys map[int]Auth) error {
	idx, token, ok := parseAuthString(s)
	if !ok {
		return fmt.Errorf("auth string %q: %w", s, ErrBadAuth)
	}
	a, found := keys[idx]
	if !found || idx < 0 || idx > MaxAuthIndex {
		return fmt.Errorf("key %d: %w", idx, ErrUnknownKey)
	}
	d, err := a.Digest(data)
	if err != nil {
		return fmt.Errorf("key %d: %w: %w", idx, ErrUnknownKey, err)
	}
	if !hmac.Equal([]byte(d), token) {
		return fmt.Errorf("key %d (%s): %w", idx, a.Method, ErrBadAuth)
	}
	return nil
}

// parseAuthString reads s as sscanf(s, "%d %s") does: blanks, an optional
// sign, digits, blanks (zero or more), then a token up to a blank. C stops
// at the first NUL. An index too large for int fails as unknown (-1).
func parseAuthString(s []byte) (int, []byte, bool) {
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	i := skipSpace(s, 0)
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == digits {
		return 0, nil, false
	}
	idx, err := strconv.Atoi(string(s[start:i]))
	if err != nil {
		idx = -1
	}
	i = skipSpace(s, i)
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	if j == i {
		return 0, nil, false
	}
	return idx, s[i:j], true
}

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func skipSpace(s []byte, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}
