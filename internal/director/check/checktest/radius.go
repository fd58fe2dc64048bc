package checktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
)

// RADIUSServer answers Access-Requests: Access-Accept when the User-Name
// and hidden User-Password match Users, else Access-Reject, signed with
// Secret. A request whose Message-Authenticator is missing or wrong is
// dropped, as current servers do. With ReplySecret set, answers are signed
// with it instead (a server with another secret).
type RADIUSServer struct {
	Secret      string
	ReplySecret string
	Users       map[string]string
}

// Answer is the server's answer to one datagram (none when dropped).
func (s RADIUSServer) Answer(req []byte) [][]byte {
	if len(req) < 20 || req[0] != 1 || int(binary.BigEndian.Uint16(req[2:4])) != len(req) {
		return nil
	}
	auth := req[4:20]
	var user, hidden, ma []byte
	maAt := -1
	for a := req[20:]; len(a) >= 2 && int(a[1]) >= 2 && int(a[1]) <= len(a); a = a[a[1]:] {
		v := a[2:a[1]]
		switch a[0] {
		case 1:
			user = v
		case 2:
			hidden = v
		case 80:
			ma, maAt = v, len(req)-len(a)+2
		}
	}
	if maAt < 0 || len(ma) != 16 {
		return nil
	}
	zeroed := append([]byte{}, req...)
	copy(zeroed[maAt:maAt+16], make([]byte, 16))
	mac := hmac.New(md5.New, []byte(s.Secret))
	mac.Write(zeroed)
	if !hmac.Equal(mac.Sum(nil), ma) {
		return nil
	}
	code := byte(3)
	if pw, ok := s.Users[string(user)]; ok && unhide(hidden, []byte(s.Secret), auth) == pw {
		code = 2
	}
	resp := []byte{code, req[1], 0, 20}
	resp = append(resp, auth...)
	secret := s.Secret
	if s.ReplySecret != "" {
		secret = s.ReplySecret
	}
	sum := md5.Sum(append(append([]byte{}, resp...), secret...))
	copy(resp[4:20], sum[:])
	return [][]byte{resp}
}

// unhide reverses RFC 2865 §5.2.
func unhide(p, secret, auth []byte) string {
	if len(p) == 0 || len(p)%16 != 0 {
		return ""
	}
	out := make([]byte, len(p))
	prev := auth
	for i := 0; i < len(p); i += 16 {
		h := md5.Sum(append(append([]byte{}, secret...), prev...))
		for j := range 16 {
			out[i+j] = p[i+j] ^ h[j]
		}
		prev = p[i : i+16]
	}
	return string(bytes.TrimRight(out, "\x00"))
}
