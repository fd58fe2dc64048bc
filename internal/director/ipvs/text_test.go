package ipvs_test

import (
	"strings"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// TestTextRoundTrip: real ipvsadm -Ln output (counters, header, column
// padding) reads into entries that FormatText writes back line for line.
func TestTextRoundTrip(t *testing.T) {
	text := ipvs.Header +
		"TCP  203.0.113.10:80 wrr persistent 300 mask 255.255.255.0\n" +
		"  -> 192.0.2.236:80               Masq    1      3          10\n" +
		"  -> 192.0.2.237:80               Route   0      0          0          u:100 l:10\n" +
		"UDP  [2001:db8::1]:53 sh (sh-fallback,sh-port)\n" +
		"  -> [2001:db8::2]:53             Tunnel  2      0          0\n" +
		"FWM  80 rr ops\n" +
		"  -> 192.0.2.238:0                Local   1      0          0\n"
	entries, err := ipvs.ParseText(text)
	if err != nil {
		t.Fatal(err)
	}
	got := ipvs.Header + ipvs.FormatText(entries)
	norm := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(out, "\n")
	}
	if norm(got) != norm(text) {
		t.Errorf("round trip:\n%s\nwant:\n%s", got, text)
	}
	for _, bad := range []string{
		"  -> 192.0.2.236:80 Masq 1\n",                   // real before any service
		"TCP 203.0.113.10:80 rr\nTCP 203.0.113.10:80 rr", // duplicate service
		"TCP 203.0.113.10:80 rr pe sip",                  // unknown flag
		"TCP 203.0.113.10:80 rr\n  -> 192.0.2.236:80 Bridge 1",
	} {
		if _, err := ipvs.ParseText(bad); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("ParseText(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

// TestTextSchedFlagsInParentheses: ipvsadm -Ln prints scheduler flags in
// parentheses (seen in the VM: "mh (mh-fallback,mh-port)"); ParseText
// reads them as the bare list FormatText writes.
func TestTextSchedFlagsInParentheses(t *testing.T) {
	for _, line := range []string{"TCP  203.0.113.10:80 mh (mh-fallback,mh-port)", "TCP  203.0.113.10:80 mh mh-fallback,mh-port"} {
		entries, err := ipvs.ParseText(line + "\n  -> 192.0.2.21:80               Route   1      0          0\n")
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if s := entries[0].Service; s.Scheduler != "mh" || s.Flags&(ipvs.FlagSched1|ipvs.FlagSched2) != ipvs.FlagSched1|ipvs.FlagSched2 {
			t.Errorf("%q: service %+v, want mh with mh-fallback and mh-port", line, s)
		}
	}
}
