package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"testing"
)

// udpPacket is one UDP datagram from a capture.
type udpPacket struct {
	Time     string // "<sec>.<usec>" as tcpdump -tt prints it
	Src, Dst netip.AddrPort
	Payload  []byte
}

// readPcap reads the UDP/IPv4 datagrams of a classic libpcap file with
// Ethernet framing (linktype 1), microsecond or nanosecond stamps, either
// byte order. Anything else in the file fails the test.
func readPcap(t *testing.T, path string) []udpPacket {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := parsePcap(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pkts
}

func parsePcap(data []byte) ([]udpPacket, error) {
	if len(data) < 24 {
		return nil, fmt.Errorf("short file header")
	}
	var bo binary.ByteOrder
	nano := false
	switch magic := binary.LittleEndian.Uint32(data); magic {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo, nano = binary.LittleEndian, magic == 0xa1b23c4d
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo, nano = binary.BigEndian, magic == 0x4d3cb2a1
	default:
		return nil, fmt.Errorf("not a classic pcap file (magic %#x)", magic)
	}
	if lt := bo.Uint32(data[20:]); lt != 1 {
		return nil, fmt.Errorf("linktype %d, want 1 (Ethernet)", lt)
	}
	var out []udpPacket
	for off := 24; off < len(data); {
		if off+16 > len(data) {
			return nil, fmt.Errorf("byte %d: short record header", off)
		}
		sec, frac, incl := bo.Uint32(data[off:]), bo.Uint32(data[off+4:]), int(bo.Uint32(data[off+8:]))
		orig := int(bo.Uint32(data[off+12:]))
		off += 16
		if incl != orig || off+incl > len(data) {
			return nil, fmt.Errorf("byte %d: truncated record (%d of %d bytes)", off, incl, orig)
		}
		if nano {
			frac /= 1000
		}
		p, err := parseFrame(data[off : off+incl])
		if err != nil {
			return nil, fmt.Errorf("record at byte %d: %w", off, err)
		}
		p.Time = fmt.Sprintf("%d.%06d", sec, frac)
		out = append(out, p)
		off += incl
	}
	return out, nil
}

func parseFrame(f []byte) (udpPacket, error) {
	if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return udpPacket{}, fmt.Errorf("not Ethernet/IPv4")
	}
	ip := f[14:]
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ip[0]>>4 != 4 || ihl < 20 || total > len(ip) || total < ihl+8 {
		return udpPacket{}, fmt.Errorf("bad IPv4 header")
	}
	if ip[9] != 17 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return udpPacket{}, fmt.Errorf("not an unfragmented UDP datagram")
	}
	udp := ip[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return udpPacket{}, fmt.Errorf("bad UDP length %d", ulen)
	}
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	dst := netip.AddrFrom4([4]byte(ip[16:20]))
	return udpPacket{
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:])),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:])),
		Payload: udp[8:ulen],
	}, nil
}
