package failover

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// garpRequest is the ARP part (no Ethernet header) of a gratuitous request
// for 192.0.2.100 from 02:00:00:00:00:02, as hbd and send_arp send it.
var garpRequest = []byte{
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // Ethernet, IPv4, 6, 4, request
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 192, 0, 2, 100, // sender
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 192, 0, 2, 100, // target
}

func TestParseARP(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	reply := append([]byte(nil), garpRequest...)
	reply[7] = 2
	who := append([]byte(nil), garpRequest...)
	copy(who[14:18], []byte{192, 0, 2, 1}) // who-has 192.0.2.100 tell 192.0.2.1
	ipv6 := append([]byte(nil), garpRequest...)
	ipv6[2], ipv6[3] = 0x86, 0xdd
	tests := []struct {
		name      string
		in        []byte
		want      ARP
		ok        bool
		announces bool
	}{
		{"gratuitous request", garpRequest, ARP{Op: 1, SenderHW: mac, SenderIP: netip.MustParseAddr("192.0.2.100"), TargetIP: netip.MustParseAddr("192.0.2.100")}, true, true},
		{"gratuitous reply", reply, ARP{Op: 2, SenderHW: mac, SenderIP: netip.MustParseAddr("192.0.2.100"), TargetIP: netip.MustParseAddr("192.0.2.100")}, true, true},
		{"a query for the VIP is no announcement", who, ARP{Op: 1, SenderHW: mac, SenderIP: netip.MustParseAddr("192.0.2.1"), TargetIP: netip.MustParseAddr("192.0.2.100")}, true, false},
		{"short", garpRequest[:27], ARP{}, false, false},
		{"not IPv4", ipv6, ARP{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseARP(tt.in)
			if ok != tt.ok {
				t.Fatalf("ParseARP ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ParseARP (-want +got):\n%s", diff)
			}
			if a := got.Announces(netip.MustParseAddr("192.0.2.100"), mac); a != tt.announces {
				t.Errorf("Announces(VIP, node2) = %v, want %v", a, tt.announces)
			}
		})
	}
	t.Run("another MAC does not announce for node2", func(t *testing.T) {
		a, _ := ParseARP(garpRequest)
		if a.Announces(netip.MustParseAddr("192.0.2.100"), net.HardwareAddr{2, 0, 0, 0, 0, 1}) {
			t.Error("Announces with node1's MAC = true, want false")
		}
	})
}

// ipv4UDP is an IPv4 header (20 bytes) and a UDP header from src to
// dst:dport.
func ipv4UDP(src, dst [4]byte, dport uint16, frag uint16) []byte {
	b := []byte{0x45, 0, 0, 48, 0, 0, byte(frag >> 8), byte(frag), 64, 17, 0, 0}
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	return append(b, 0x80, 0x00, byte(dport>>8), byte(dport), 0, 28, 0, 0)
}

func TestParseHeartbeat(t *testing.T) {
	n1, n2 := [4]byte{192, 0, 2, 1}, [4]byte{192, 0, 2, 2}
	tcp := ipv4UDP(n1, n2, 694, 0)
	tcp[9] = 6
	opts := append([]byte{0x46}, ipv4UDP(n1, n2, 694, 0)[1:20]...)
	opts = append(append(opts, 1, 1, 1, 1), 0x80, 0, 0x02, 0xb6, 0, 8, 0, 0)
	tests := []struct {
		name     string
		in       []byte
		src, dst string
		ok       bool
	}{
		{"heartbeat", ipv4UDP(n1, n2, 694, 0), "192.0.2.1", "192.0.2.2", true},
		{"IP options", opts, "192.0.2.1", "192.0.2.2", true},
		{"other port", ipv4UDP(n1, n2, 695, 0), "", "", false},
		{"TCP", tcp, "", "", false},
		{"later fragment", ipv4UDP(n1, n2, 694, 0x0010), "", "", false},
		{"truncated UDP header", ipv4UDP(n1, n2, 694, 0)[:22], "", "", false},
		{"IPv6", append([]byte{0x60}, make([]byte, 40)...), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst, ok := ParseHeartbeat(tt.in, HeartbeatPort)
			if ok != tt.ok {
				t.Fatalf("ParseHeartbeat ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if src.String() != tt.src || dst.String() != tt.dst {
				t.Errorf("ParseHeartbeat = %s -> %s, want %s -> %s", src, dst, tt.src, tt.dst)
			}
		})
	}
}

func TestCountLines(t *testing.T) {
	log := `Nov 24 12:14:21 node2 heartbeat: [45]: WARN: Late heartbeat: Node node1: interval 21 ms
Nov 24 12:14:21 node2 heartbeat: [45]: WARN: node node1: is dead
Nov 24 12:14:21 node2 heartbeat: [45]: info: Link node1:eth0 dead.
Nov 24 12:14:21 node2 heartbeat: [45]: info: Link node1:eth1 dead.
Nov 24 12:14:21 node2 heartbeat: [45]: CRIT: Late heartbeat: Node node1: interval 40 ms (> deadtime)
`
	want := map[string]int{"Late heartbeat": 2, "is dead": 1, "dead.": 2, "Resources being acquired": 0, "took too long": 0}
	if diff := cmp.Diff(want, CountLines(log, LoadPatterns)); diff != "" {
		t.Errorf("CountLines (-want +got):\n%s", diff)
	}
}
