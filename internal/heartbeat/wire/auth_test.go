package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDigestVectors: HMAC vectors from RFC 2202 (md5 and sha1, including a
// key longer than the block, which is hashed first) and the CRC check
// value measured against crc.c's table (anchors.md §1.4).
func TestDigestVectors(t *testing.T) {
	long := bytes.Repeat([]byte{0xaa}, 80)
	tests := []struct {
		name   string
		method Method
		key    []byte
		data   string
		want   string
	}{
		{"rfc2202 md5 2", MD5, []byte("Jefe"), "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
		{"rfc2202 sha1 2", SHA1, []byte("Jefe"), "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"rfc2202 md5 6 long key", MD5, long, "Test Using Larger Than Block-Size Key - Hash Key First", "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
		{"rfc2202 sha1 6 long key", SHA1, long, "Test Using Larger Than Block-Size Key - Hash Key First", "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
		{"crc check value", CRC, nil, "123456789", "765e7680"},
		{"crc ignores the key", CRC, []byte("secret"), "123456789", "765e7680"},
		{"crc empty", CRC, nil, "", "ffffffff"},
		{"key stops at NUL like strlen", SHA1, []byte("Jefe\x00junk"), "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Auth{Index: 1, Method: tt.method, Key: tt.key}.Digest([]byte(tt.data))
			if err != nil || got != tt.want {
				t.Errorf("Digest = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (Auth{Method: "sha256"}).Digest(nil); err == nil {
		t.Error("Digest with method sha256: no error")
	}
}

// crcBitwise is crc.c's algorithm computed bit by bit, without a table.
func crcBitwise(data []byte) uint32 {
	var crc uint32
	for _, b := range data {
		crc ^= uint32(b) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return ^crc
}

// TestCRCAgainstBitwise compares the table CRC with the bitwise one on
// random inputs and checks that the hex is not zero-padded ("%lx").
func TestCRCAgainstBitwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	short := false
	a := Auth{Method: CRC}
	for i := range 5000 {
		data := make([]byte, r.IntN(64))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		want := crcBitwise(data)
		got, _ := a.Digest(data)
		if got != strconv.FormatUint(uint64(want), 16) {
			t.Fatalf("input %d %x: Digest %s, bitwise %08x", i, data, got, want)
		}
		short = short || len(got) < 8
	}
	if !short {
		t.Error("no CRC below 0x10000000 in 5000 inputs: padding not exercised")
	}
}

// errorReason names the sentinel an error matches, for table tests.
func errorReason(err error) string { return DropReason(err) }

func signed(t *testing.T, m *Message, a Auth) []byte {
	t.Helper()
	b, err := Sign(m, a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testMessage() *Message {
	m := Status{Status: StatusActive, Deadtime: 3000e6, Protocol: 1}.Message()
	Control{Node: "node1", Seq: 0x10, Generation: 7, TTL: 3, Load: "0.00 0.00 0.00 1/1 1"}.Stamp(m)
	return m
}

// TestVerifyReasons: every way a datagram can fail, and the reason it is
// dropped for.
func TestVerifyReasons(t *testing.T) {
	sha := Auth{Index: 1, Method: SHA1, Key: []byte("k1")}
	md := Auth{Index: 2, Method: MD5, Key: []byte("k2")}
	crc := Auth{Index: 0, Method: CRC}
	keys := map[int]Auth{0: crc, 1: sha, 2: md}
	good := signed(t, testMessage(), sha)
	body := good[:bytes.LastIndex(good, []byte("%%%\n"))+4]
	withTrailer := func(s string) []byte {
		return append(append([]byte{}, body...), strconv.Itoa(len(s))+":"+s+","...)
	}
	digest, _ := sha.Digest(body)
	classic, err := SignClassic(testMessage(), md)
	if err != nil {
		t.Fatal(err)
	}
	noField, _ := EncodeClassic(testMessage())
	tamperedClassic := bytes.Replace(classic, []byte("st=active"), []byte("st=passive"), 1)
	tests := []struct {
		name string
		buf  []byte
		keys map[int]Auth
		want string
	}{
		{"sha1 ok", good, keys, ""},
		{"md5 ok", signed(t, testMessage(), md), keys, ""},
		{"crc ok", signed(t, testMessage(), crc), keys, ""},
		{"classic md5 ok", classic, keys, ""},
		{"classic without NUL ok", classic[:len(classic)-1], keys, ""},
		{"sscanf accepts extra blanks", withTrailer("  1 \t" + digest + " junk"), keys, ""},
		{"sscanf accepts no blank", withTrailer("1" + digest), keys, ""},
		{"wrong key", good, map[int]Auth{1: {Index: 1, Method: SHA1, Key: []byte("k9")}}, "bad auth"},
		{"key index not configured", good, map[int]Auth{2: md}, "unknown key index"},
		{"index 16", withTrailer("16 " + digest), map[int]Auth{16: {Index: 16, Method: SHA1, Key: []byte("k1")}}, "unknown key index"},
		{"index overflows int", withTrailer("99999999999999999999 " + digest), keys, "unknown key index"},
		{"digest in upper case", withTrailer("1 " + strings.ToUpper(digest)), keys, "bad auth"},
		{"digest one char short", withTrailer("1 " + digest[1:]), keys, "bad auth"},
		{"trailer without digest", withTrailer("1"), keys, "bad auth"},
		{"trailer not a number", withTrailer("x " + digest), keys, "bad auth"},
		{"no trailer", body, keys, "no auth"},
		{"bytes after the trailer", append(append([]byte{}, good...), 'x'), keys, "malformed packet"},
		{"trailer not a netstring", append(append([]byte{}, body...), "1 abc"...), keys, "malformed packet"},
		{"body changed", bytes.Replace(good, []byte("active"), []byte("activf"), 1), keys, "bad auth"},
		{"classic field changed", tamperedClassic, keys, "bad auth"},
		{"classic without auth field", noField, keys, "no auth"},
		{"empty", nil, keys, "malformed packet"},
		{"not heartbeat", []byte("GET / HTTP/1.0\r\n"), keys, "malformed packet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Verify(tt.buf, tt.keys)
			if got := errorReason(err); got != tt.want {
				t.Fatalf("Verify reason %q (%v), want %q", got, err, tt.want)
			}
			if err == nil && m.Value(FStatus) != StatusActive {
				t.Errorf("verified message lost its fields: %v", m)
			}
		})
	}
}

// TestSignReplacesAuthInPlace: Sign leaves its input alone and sets an
// existing auth field in place.
func TestSignReplacesAuthInPlace(t *testing.T) {
	sha := Auth{Index: 3, Method: SHA1, Key: []byte("k")}
	m := NewMessage("x")
	m.Add(FAuth, "stale")
	m.Add("after", "1")
	before := m.Clone()
	b, err := Sign(m, sha)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Equal(before) {
		t.Errorf("Sign changed its input: %v", m)
	}
	got, err := Verify(b, map[int]Auth{3: sha})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got.Fields {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"t", "auth", "after"}, names); diff != "" {
		t.Errorf("field order (-want +got):\n%s", diff)
	}
	if err := VerifyField(got, map[int]Auth{3: sha}); err != nil {
		t.Errorf("VerifyField: %v", err)
	}
	if !strings.HasPrefix(got.Value(FAuth), "3 ") {
		t.Errorf("auth field %q does not start with the index", got.Value(FAuth))
	}
}

// TestSignNetstringLeavesAuthField: msgfmt netstring sends no field auth.
func TestSignNetstringLeavesAuthField(t *testing.T) {
	a := Auth{Index: 1, Method: MD5, Key: []byte("k")}
	b, err := SignNetstring(NewMessage("x"), a)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(b, map[int]Auth{1: a})
	if err != nil {
		t.Fatal(err)
	}
	if m.Has(FAuth) {
		t.Errorf("SignNetstring added a field auth: %v", m)
	}
	if err := VerifyField(m, map[int]Auth{1: a}); !errors.Is(err, ErrNoAuth) {
		t.Errorf("VerifyField = %v, want ErrNoAuth", err)
	}
}

func TestSignErrors(t *testing.T) {
	m := NewMessage("x")
	tests := []struct {
		name string
		m    *Message
		a    Auth
	}{
		{"index -1", m, Auth{Index: -1, Method: CRC}},
		{"index 16", m, Auth{Index: 16, Method: CRC}},
		{"unknown method", m, Auth{Index: 1, Method: "sha256"}},
		{"binary auth field", &Message{Fields: []Field{{Name: FAuth, Type: TypeBinary, Value: "x"}}}, Auth{Index: 1, Method: CRC}},
		{"unencodable field", &Message{Fields: []Field{{Name: "a=b", Value: "x"}}}, Auth{Index: 1, Method: CRC}},
		{"too large", &Message{Fields: []Field{{Name: "big", Value: strings.Repeat("x", MaxMessageSize)}}}, Auth{Index: 1, Method: CRC}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := Sign(tt.m, tt.a); err == nil {
				t.Errorf("Sign = %q, want an error", b)
			}
			if b, err := SignClassic(tt.m, tt.a); err == nil {
				t.Errorf("SignClassic = %q, want an error", b)
			}
		})
	}
}

func TestParseAuthString(t *testing.T) {
	tests := []struct {
		in    string
		idx   int
		token string
		ok    bool
	}{
		{"1 abc", 1, "abc", true},
		{"  1   abc  x", 1, "abc", true},
		{"1abc", 1, "abc", true},
		{"+2 abc", 2, "abc", true},
		{"-1 abc", -1, "abc", true},
		{"1 ab\x00cd", 1, "ab", true},
		{"1", 0, "", false},
		{"1 ", 0, "", false},
		{"x 1", 0, "", false},
		{"", 0, "", false},
		{"- 1", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			idx, token, ok := parseAuthString([]byte(tt.in))
			if idx != tt.idx || string(token) != tt.token || ok != tt.ok {
				t.Errorf("parseAuthString(%q) = %d, %q, %v; want %d, %q, %v", tt.in, idx, token, ok, tt.idx, tt.token, tt.ok)
			}
		})
	}
}

func TestDropReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrBadAuth, "bad auth"},
		{&DecodeError{Offset: 3, Reason: "x"}, "malformed packet"},
		{errors.New("other"), "error"},
	}
	for _, tt := range tests {
		if got := DropReason(tt.err); got != tt.want {
			t.Errorf("DropReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
