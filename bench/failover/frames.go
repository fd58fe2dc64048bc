package failover

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
)

// ARP is the part of an Ethernet/IPv4 ARP packet the benchmark reads.
type ARP struct {
	Op       uint16 // 1 request, 2 reply
	SenderHW net.HardwareAddr
	SenderIP netip.Addr
	TargetIP netip.Addr
}

// ParseARP decodes an ARP packet without its Ethernet header (what an
// AF_PACKET SOCK_DGRAM socket returns); ok is false for anything but
// Ethernet/IPv4 ARP.
func ParseARP(b []byte) (a ARP, ok bool) {
	if len(b) < 28 || binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != 0x0800 ||
		b[4] != 6 || b[5] != 4 {
		return a, false
	}
	return ARP{
		Op:       binary.BigEndian.Uint16(b[6:8]),
		SenderHW: net.HardwareAddr(append([]byte(nil), b[8:14]...)),
		SenderIP: netip.AddrFrom4([4]byte(b[14:18])),
		TargetIP: netip.AddrFrom4([4]byte(b[24:28])),
	}, true
}

// Announces reports whether a is an announcement of ip by hw: sent from
// hw with sender address ip (a gratuitous request or reply; Heartbeat's
// send_arp sends both kinds, heartbeat-wire.md §1).
func (a ARP) Announces(ip netip.Addr, hw net.HardwareAddr) bool {
	return a.SenderIP == ip && a.SenderHW.String() == hw.String()
}

// HeartbeatPort is ha.cf's udpport in the lab.
const HeartbeatPort = 694

// ParseHeartbeat decodes an IPv4 header (no Ethernet header) and reports
// the addresses of a UDP datagram to port (first fragment only).
func ParseHeartbeat(b []byte, port uint16) (src, dst netip.Addr, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != 17 {
		return src, dst, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+4 || binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return src, dst, false
	}
	if binary.BigEndian.Uint16(b[ihl+2:ihl+4]) != port {
		return src, dst, false
	}
	return netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20])), true
}

// CountLines counts the lines of text that contain each pattern.
func CountLines(text string, patterns []string) map[string]int {
	c := make(map[string]int, len(patterns))
	for _, p := range patterns {
		c[p] = 0
	}
	for line := range strings.SplitSeq(text, "\n") {
		for _, p := range patterns {
			if strings.Contains(line, p) {
				c[p]++
			}
		}
	}
	return c
}
