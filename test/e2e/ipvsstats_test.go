package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIPVSStats(t *testing.T) {
	// As ip_vs_stats_show prints it (captured shape, kernel 6.1).
	text := "   Total Incoming Outgoing         Incoming         Outgoing\n" +
		"   Conns  Packets  Packets            Bytes            Bytes\n" +
		"      14      1A2        0             3A94                0\n" +
		"\n" +
		" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n" +
		"       0        0        0                0                0\n"
	got, err := ParseIPVSStats(text)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(IPVSStats{Conns: 0x14, InPkts: 0x1a2}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := got.Sub(IPVSStats{Conns: 4, InPkts: 2}); d != (IPVSStats{Conns: 16, InPkts: 0x1a0}) {
		t.Errorf("Sub = %+v", d)
	}
	for _, bad := range []string{"", "a\nb\n", "a\nb\n1 2 3\n", "a\nb\n1 2 x 4 5\n"} {
		if _, err := ParseIPVSStats(bad); err == nil {
			t.Errorf("ParseIPVSStats(%q): no error", bad)
		}
	}
}
