package checktest

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSZone is a tiny authoritative server's data: Records maps a name
// (without the final dot) to its answers, each an IPv4 address (an A
// record) or a name (a PTR record). Other names are NXDOMAIN. With
// TruncateUDP every UDP answer is empty and truncated, so a client must
// ask again over TCP.
type DNSZone struct {
	Records     map[string][]string
	TruncateUDP bool
}

// Answer is the zone's answer to the query req ("" when req is not a
// query).
func (z DNSZone) Answer(req []byte, tcp bool) []byte {
	var m dnsmessage.Message
	if err := m.Unpack(req); err != nil || len(m.Questions) != 1 {
		return nil
	}
	q := m.Questions[0]
	resp := dnsmessage.Message{Header: dnsmessage.Header{ID: m.ID, Response: true, Authoritative: true}, Questions: m.Questions}
	answers, ok := z.Records[strings.TrimSuffix(q.Name.String(), ".")]
	switch {
	case !ok:
		resp.RCode = dnsmessage.RCodeNameError
	case z.TruncateUDP && !tcp:
		resp.Truncated = true
	default:
		for _, a := range answers {
			h := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
			if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
				h.Type = dnsmessage.TypeA
				resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: ip.As4()}})
				continue
			}
			h.Type = dnsmessage.TypePTR
			resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(a + ".")}})
		}
	}
	b, err := resp.Pack()
	if err != nil {
		return nil
	}
	return b
}

// ServeDNS serves z over UDP and TCP on the same loopback port.
func ServeDNS(t testing.TB, z DNSZone) netip.AddrPort {
	t.Helper()
	for i := 0; i < 20; i++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen udp: %v", err)
		}
		addr := pc.LocalAddr().String()
		l, err := net.Listen("tcp", addr)
		pc.Close()
		if err != nil {
			continue // the TCP port is taken; try another
		}
		l.Close()
		ServeUDP(t, addr, func(req []byte) [][]byte {
			if b := z.Answer(req, false); b != nil {
				return [][]byte{b}
			}
			return nil
		})
		Serve(t, Config{Addr: addr}, func(c net.Conn) {
			var hdr [2]byte
			for {
				if _, err := io.ReadFull(c, hdr[:]); err != nil {
					return
				}
				req := make([]byte, binary.BigEndian.Uint16(hdr[:]))
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				b := z.Answer(req, true)
				c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...))
			}
		})
		return netip.MustParseAddrPort(addr)
	}
	t.Fatalf("no loopback port free for both UDP and TCP")
	return netip.AddrPort{}
}
