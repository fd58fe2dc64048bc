package hacf

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// Method is an authkeys signing method.
type Method string

// Signing methods of Heartbeat 3.0.6 (lib/plugins/HBauth).
const (
	CRC  Method = "crc"  // CRC-32, no key
	MD5  Method = "md5"  // HMAC-MD5, needs a key
	SHA1 Method = "sha1" // HMAC-SHA1, needs a key
)

// needsKey reports whether the method signs with a secret.
func (m Method) needsKey() bool { return m != CRC }

// Key is one "index method [secret]" line of authkeys.
type Key struct {
	Line   int
	Index  int // 0..15
	Method Method
	Secret string // the ASCII secret exactly as written; "" for crc
}

// AuthKeys is a parsed authkeys file. Every key is accepted on receive;
// Active signs outgoing packets.
type AuthKeys struct {
	File     string
	Active   int         // the index selected by the auth line
	Keys     map[int]Key // by index; a later line for the same index replaces an earlier one
	Warnings []Warning
}

// ActiveKey returns the key that signs outgoing packets.
func (a *AuthKeys) ActiveKey() Key { return a.Keys[a.Active] }

// ParseAuthKeys parses the contents of an authkeys file the way
// heartbeat/auth.c parse_authfile does:
//   - lines whose first non-blank character is '#' are comments (a '#'
//     later in a line is not special);
//   - a line starting with 'a' is "auth N" (sscanf "auth %d"), selecting
//     the signing index for the key lines that follow it;
//   - other lines are sscanf "%d%s%s": index, method, secret; words after
//     the secret are ignored;
//   - the signing key is the last key line whose index equals the auth
//     number in force when it was read, so "auth N" must come before the
//     "N ..." line;
//   - crc takes no secret, md5 and sha1 need one.
//
// All errors are reported, as an *Error or an ErrorList.
func ParseAuthKeys(file string, src []byte) (*AuthKeys, error) {
	c := &collector{file: file}
	ak := &AuthKeys{File: file, Active: -1, Keys: map[int]Key{}}
	authnum, authLine := -1, 0
	for i, raw := range bytes.Split(src, []byte("\n")) {
		n := i + 1
		s := string(raw)
		if j := strings.IndexByte(s, 0); j >= 0 {
			s = s[:j]
		}
		s = strings.TrimLeft(s, whitespace)
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == 'a' {
			v, ok := scanAuth(s)
			if !ok {
				c.errorf(n, "invalid auth line %q (want auth <index>)", strings.TrimRight(s, whitespace))
				continue
			}
			if v < 0 || v >= MaxAuth {
				c.errorf(n, "auth: bad index %d (want 0-%d)", v, MaxAuth-1)
				continue
			}
			authnum, authLine = int(v), n
			continue
		}
		k, ok := parseKeyLine(c, n, s)
		if !ok {
			continue
		}
		if old, dup := ak.Keys[k.Index]; dup {
			c.warnf(n, "key %d redefined (line %d is replaced)", k.Index, old.Line)
		}
		ak.Keys[k.Index] = k
		if k.Index == authnum {
			ak.Active = k.Index
		}
	}
	if ak.Active >= 0 && authnum != ak.Active {
		c.warnf(authLine, "auth %d: no key %d follows this line; key %d stays the signing key", authnum, authnum, ak.Active)
	}
	ak.Warnings = c.warnings
	if ak.Active < 0 && len(c.errs) == 0 {
		switch k, defined := ak.Keys[authnum]; {
		case authnum < 0:
			c.errorf(0, "missing auth directive in keyfile (want auth <index> before the key line)")
		case defined:
			c.errorf(authLine, "auth %d: key %d is defined on line %d, before the auth line; "+
				"Heartbeat 3.0.6 only selects a key defined after its auth line (move auth %d up)", authnum, authnum, k.Line, authnum)
		default:
			c.errorf(authLine, "auth %d: auth key [%d] not found in keyfile (want a line \"%d <crc|md5|sha1> [<secret>]\" after it)", authnum, authnum, authnum)
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return ak, nil
}

// parseKeyLine reads "%d%s%s".
func parseKeyLine(c *collector, n int, s string) (Key, bool) {
	idx, rest, ok := scanInt(s)
	f := strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(" \t\n\v\f\r", r) })
	if !ok || len(f) == 0 {
		c.errorf(n, "auth line %q is invalid (want <index> <crc|md5|sha1> [<secret>])", strings.TrimRight(s, whitespace))
		return Key{}, false
	}
	if idx < 0 || idx >= MaxAuth {
		c.errorf(n, "invalid authnum [%s] (want 0-%d)", strings.TrimSpace(s[:len(s)-len(rest)]), MaxAuth-1)
		return Key{}, false
	}
	k := Key{Line: n, Index: int(idx), Method: Method(f[0])}
	if len(f) > 1 {
		k.Secret = f[1]
	}
	switch k.Method {
	case CRC, MD5, SHA1:
	default:
		c.errorf(n, "invalid authtype [%s] (want crc, md5 or sha1)", f[0])
		return Key{}, false
	}
	if k.Secret != "" && !k.Method.needsKey() {
		c.errorf(n, "auth method [%s] doesn't use a key (remove %q)", k.Method, k.Secret)
		return Key{}, false
	}
	if k.Secret == "" && k.Method.needsKey() {
		c.errorf(n, "auth method [%s] requires a key (want %d %s <secret>)", k.Method, k.Index, k.Method)
		return Key{}, false
	}
	if len(f) > 2 {
		c.warnf(n, "key %d: words after the secret ignored: %q", k.Index, strings.Join(f[2:], " "))
	}
	return k, true
}

// scanAuth is sscanf(s, "auth %d").
func scanAuth(s string) (int64, bool) {
	if !strings.HasPrefix(s, "auth") {
		return 0, false
	}
	v, _, ok := scanInt(s[len("auth"):])
	return v, ok
}

// scanInt is sscanf's %d: skip white space, optional sign, digits. ok is
// false without digits. A value beyond the int range is returned as
// math.MinInt64 (an invalid index).
func scanInt(s string) (v int64, rest string, ok bool) {
	s = strings.TrimLeft(s, whitespace+"\v")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return 0, s, false
	}
	n, _, fits := atoi(s[:i])
	if !fits || n > math.MaxInt32 || n < math.MinInt32 {
		n = math.MinInt64
	}
	return n, s[i:], true
}

// String returns "index method", never the secret.
func (k Key) String() string { return fmt.Sprintf("%d %s", k.Index, k.Method) }
