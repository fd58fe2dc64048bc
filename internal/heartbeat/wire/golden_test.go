package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// labKeys is the lab's authkeys: "auth 1 / 1 sha1 hbd-lab-secret".
var labKeys = map[int]Auth{1: {Index: 1, Method: SHA1, Key: []byte("hbd-lab-secret")}}

var captures = []struct {
	file  string
	count int
}{
	{"testdata/heartbeat-sha1-capture.pcap", 6},
	{"testdata/heartbeat-sha1-capture-full.pcap", 369},
}

// TestCaptureGolden decodes every datagram of both captures, verifies both
// HMACs with the lab key, and re-signs each message: the output must be
// the captured datagram byte for byte.
func TestCaptureGolden(t *testing.T) {
	types := map[string]int{}
	for _, c := range captures {
		pkts := readPcap(t, c.file)
		if len(pkts) != c.count {
			t.Fatalf("%s: %d datagrams, want %d", c.file, len(pkts), c.count)
		}
		for i, p := range pkts {
			name := fmt.Sprintf("%s#%d", c.file, i)
			if p.Dst.Port() != 694 {
				t.Errorf("%s: to port %d, want 694", name, p.Dst.Port())
			}
			m, err := Verify(p.Payload, labKeys)
			if err != nil {
				t.Errorf("%s: Verify: %v", name, err)
				continue
			}
			if err := VerifyField(m, labKeys); err != nil {
				t.Errorf("%s: VerifyField: %v", name, err)
			}
			body, err := EncodeNetstring(m)
			if err != nil || !bytes.HasPrefix(p.Payload, body) {
				t.Errorf("%s: EncodeNetstring is not a prefix of the datagram (err %v)", name, err)
			}
			// Without its auth field, Sign must recompute it identically.
			stripped := m.Clone()
			stripped.Del(FAuth)
			got, err := Sign(stripped, labKeys[1])
			if err != nil {
				t.Fatalf("%s: Sign: %v", name, err)
			}
			if !bytes.Equal(got, p.Payload) {
				t.Errorf("%s: Sign differs from the capture\n got: %q\nwant: %q", name, got, p.Payload)
			}
			types[m.Type()]++
		}
	}
	want := map[string]int{
		"status": 235, "NS_ackmsg": 58, "resource": 45, "ask_resources": 17, "starting": 4,
		"reqnodes": 4, "repnodes": 4, "stonith": 3, "shutdone": 3, "ip-request-resp": 1, "hb_takeover": 1,
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("message types (-want +got):\n%s", diff)
	}
}

// TestCaptureWithWrongKey: every captured datagram fails with another key.
func TestCaptureWithWrongKey(t *testing.T) {
	wrong := map[int]Auth{1: {Index: 1, Method: SHA1, Key: []byte("hbd-lab-secreT")}}
	for _, p := range readPcap(t, captures[0].file) {
		if _, err := Verify(p.Payload, wrong); DropReason(err) != "bad auth" {
			t.Errorf("Verify with a wrong key: %v, want bad auth", err)
		}
	}
}

// decodedEntry is one packet of heartbeat-capture-decoded.txt.
type decodedEntry struct {
	Time, Src, Dst string
	Len            int
	Fields         []Field
	Trailer        string
}

func readDecoded(t *testing.T, path string) []decodedEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []decodedEntry
	var cur *decodedEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# "):
			w := strings.Fields(line)
			if len(w) < 6 || w[3] != "->" {
				t.Fatalf("%s:%d: bad header %q", path, n, line)
			}
			l, err := strconv.Atoi(strings.TrimPrefix(w[5], "len="))
			if err != nil {
				t.Fatalf("%s:%d: bad header %q", path, n, line)
			}
			out = append(out, decodedEntry{Time: w[1], Src: w[2], Dst: w[4], Len: l})
			cur = &out[len(out)-1]
		case line == "" || line == "###" || line == "%%%":
		case strings.HasPrefix(line, "[trailer auth netstring] "):
			cur.Trailer = strings.TrimPrefix(line, "[trailer auth netstring] ")
		case strings.HasPrefix(line, "(1)"):
			name, val, _ := strings.Cut(strings.TrimPrefix(line, "(1)"), "=")
			b, err := hex.DecodeString(strings.Fields(val)[0])
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			cur.Fields = append(cur.Fields, Field{Name: name, Type: TypeBinary, Value: string(b)})
		default:
			name, val, ok := strings.Cut(line, "=")
			if !ok || cur == nil {
				t.Fatalf("%s:%d: want name=value, got %q", path, n, line)
			}
			cur.Fields = append(cur.Fields, Field{Name: name, Value: val})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaptureDecodedText checks the decoded fields against the reference
// decoding of the full capture, packet by packet, matched by time stamp.
func TestCaptureDecodedText(t *testing.T) {
	entries := readDecoded(t, "testdata/heartbeat-capture-decoded.txt")
	if len(entries) != 29 {
		t.Fatalf("%d decoded entries, want 29", len(entries))
	}
	byKey := map[string]udpPacket{}
	for _, p := range readPcap(t, captures[1].file) {
		byKey[p.Time+" "+p.Src.String()+" "+p.Dst.String()] = p
	}
	for _, e := range entries {
		t.Run(e.Time, func(t *testing.T) {
			p, ok := byKey[e.Time+" "+e.Src+" "+e.Dst]
			if !ok {
				t.Fatalf("no datagram %s %s -> %s in the capture", e.Time, e.Src, e.Dst)
			}
			if len(p.Payload) != e.Len {
				t.Errorf("length %d, want %d", len(p.Payload), e.Len)
			}
			m, err := Decode(p.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e.Fields, m.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			fr, err := parse(p.Payload)
			if err != nil || string(fr.trailer) != e.Trailer {
				t.Errorf("trailer %q (err %v), want %q", fr.trailer, err, e.Trailer)
			}
		})
	}
}

// TestWireDocExample pins the worked example of heartbeat-wire.md: the
// first datagram of the steady-state capture, its field-auth text and both
// digests.
func TestWireDocExample(t *testing.T) {
	p := readPcap(t, captures[0].file)[0]
	if len(p.Payload) != 308 {
		t.Fatalf("length %d, want 308", len(p.Payload))
	}
	m, err := Decode(p.Payload)
	if err != nil {
		t.Fatal(err)
	}
	text, err := appendClassic(nil, m, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantText := "t=status\nst=active\ndt=bb8\nprotocol=1\nsrc=node2\n(1)srcuuid=9nBw3cM8TL+PcsfHfBFJLg==\n" +
		"seq=3b\nhg=6b053dca\nts=6b053df8\nld=0.31 0.21 0.08 2/108 217\nttl=3\n"
	if diff := cmp.Diff(wantText, string(text)); diff != "" {
		t.Errorf("field-auth text (-want +got):\n%s", diff)
	}
	fa, err := FieldAuth(m, labKeys[1])
	if want := "1 9bb87daa2bb07de2bb101a0faccc94e7726f9713"; err != nil || fa != want {
		t.Errorf("FieldAuth = %q, %v; want %q", fa, err, want)
	}
	fr, _ := parse(p.Payload)
	if want := "1 3eac7332e6e548a1221b3106b975ca8e190bb74e"; string(fr.trailer) != want {
		t.Errorf("trailer %q, want %q", fr.trailer, want)
	}
	if fr.signed != bytes.Index(p.Payload, []byte("%%%\n"))+4 {
		t.Errorf("signed length %d does not end at %%%%%%\\n", fr.signed)
	}
	var names []string
	for _, f := range m.Fields {
		names = append(names, f.Name)
	}
	sort.Strings(names) // order is checked by TestCaptureDecodedText; here the set
	want := []string{"auth", "dt", "hg", "ld", "protocol", "seq", "src", "srcuuid", "st", "t", "ts", "ttl"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("field names (-want +got):\n%s", diff)
	}
}
