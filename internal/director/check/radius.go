package check

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// RADIUS is the negotiate check of service radius (ldirectord check_radius,
// Authen::Radius check_pwd): an Access-Request for login= with passwd=,
// hidden with secret=, over UDP. The real is up on an Access-Accept whose
// response authenticator proves the shared secret. The request carries a
// Message-Authenticator, which current servers require. Bounded by the
// smaller of checktimeout and negotiatetimeout, like LDAP.
type RADIUS struct{}

// RADIUS codes and attributes (RFC 2865, RFC 3579).
const (
	radiusAccessRequest   = 1
	radiusAccessAccept    = 2
	radiusAccessReject    = 3
	radiusAccessChallenge = 11
	radiusUserName        = 1
	radiusUserPassword    = 2
	radiusNASIPAddress    = 4
	radiusMessageAuth     = 80
)

// Check authenticates login= at t's server.
func (RADIUS) Check(ctx context.Context, t Target) Result {
	return run(ctx, min(t.Timeout, t.checkTimeout()), func(ctx context.Context) error { return checkRADIUS(ctx, t) })
}

func checkRADIUS(ctx context.Context, t Target) error {
	c, err := dialConn(ctx, "udp", t.Addr(), false)
	if err != nil {
		return err
	}
	defer c.Close()
	var hdr [20]byte
	rand.Read(hdr[1:2])
	rand.Read(hdr[4:20])
	id, reqAuth := hdr[1], hdr[4:20]
	pkt := append([]byte{}, hdr[:]...)
	pkt = radiusAttr(pkt, radiusUserName, []byte(t.Auth.Login))
	pkt = radiusAttr(pkt, radiusUserPassword, radiusHide([]byte(t.Auth.Passwd), []byte(t.Secret), reqAuth))
	if local, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil && local.Addr().Unmap().Is4() {
		a := local.Addr().Unmap().As4()
		pkt = radiusAttr(pkt, radiusNASIPAddress, a[:])
	}
	pkt = radiusAttr(pkt, radiusMessageAuth, make([]byte, 16))
	pkt[0] = radiusAccessRequest
	binary.BigEndian.PutUint16(pkt[2:4], uint16(len(pkt)))
	mac := hmac.New(md5.New, []byte(t.Secret))
	mac.Write(pkt)
	copy(pkt[len(pkt)-16:], mac.Sum(nil))
	if _, err := c.Write(pkt); err != nil {
		return fmt.Errorf("radius: %w", netErr(ctx, err))
	}
	buf := make([]byte, 4096)
	for i := 0; i < maxReplyLines; i++ {
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("radius: %w", netErr(ctx, err))
		}
		if ours, err := radiusAnswer(buf[:n], id, reqAuth, t.Secret); ours {
			return err
		}
	}
	return errors.New("radius: no answer to our request")
}

// radiusAnswer judges one datagram: ours is false when it is not an
// answer to the request with id and authenticator reqAuth (it is then
// ignored); otherwise err is nil for an Access-Accept signed with secret.
func radiusAnswer(resp []byte, id byte, reqAuth []byte, secret string) (ours bool, err error) {
	if len(resp) < 20 || resp[1] != id {
		return false, nil
	}
	// The Length field: at least the header, at most what arrived (RFC
	// 2865 §3: shorter packets are silently discarded, octets past it
	// are padding).
	n := int(binary.BigEndian.Uint16(resp[2:4]))
	if n < 20 || n > len(resp) {
		return false, nil
	}
	resp = resp[:n]
	sum := md5.New()
	sum.Write(resp[:4])
	sum.Write(reqAuth)
	sum.Write(resp[20:])
	sum.Write([]byte(secret))
	if !bytes.Equal(sum.Sum(nil), resp[4:20]) {
		return true, errors.New("radius: bad response authenticator (wrong secret?)")
	}
	switch resp[0] {
	case radiusAccessAccept:
		return true, nil
	case radiusAccessReject:
		return true, errors.New("radius: Access-Reject")
	case radiusAccessChallenge:
		return true, errors.New("radius: Access-Challenge")
	}
	return true, fmt.Errorf("radius: unexpected answer code %d", resp[0])
}

// radiusAttr appends one attribute (values longer than 253 bytes are cut).
func radiusAttr(pkt []byte, typ byte, v []byte) []byte {
	v = v[:min(len(v), 253)]
	return append(append(pkt, typ, byte(len(v)+2)), v...)
}

// radiusHide is the User-Password hiding of RFC 2865 §5.2.
func radiusHide(pw, secret, reqAuth []byte) []byte {
	n := max((len(pw)+15)/16*16, 16)
	p := make([]byte, min(n, 128))
	copy(p, pw)
	prev := reqAuth
	for i := 0; i < len(p); i += 16 {
		h := md5.Sum(append(append([]byte{}, secret...), prev...))
		for j := range 16 {
			p[i+j] ^= h[j]
		}
		prev = p[i : i+16]
	}
	return p
}
