package wire

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustUUID(s string) [16]byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		panic("bad uuid " + s)
	}
	return [16]byte(b)
}

// The lab's node uuids, from the capture.
var labUUIDs = map[string][16]byte{
	"node1": mustUUID("1fd8e5214ef0436ea9b147f15094216b"),
	"node2": mustUUID("f67070ddc33c4cbf8f72c7c77c11492e"),
}

// rebuild re-creates a captured message from what the typed reader got
// out of it, with the type's builder.
var rebuild = map[string]func(m *Message) (*Message, error){
	TStatus: func(m *Message) (*Message, error) {
		s, err := ReadStatus(m)
		return s.Message(), err
	},
	TResource: func(m *Message) (*Message, error) {
		r, err := ReadResources(m)
		return r.Message(), err
	},
	TAskResources: func(m *Message) (*Message, error) {
		a, err := ReadAskResources(m)
		return a.Message(), err
	},
	TTakeover: func(m *Message) (*Message, error) {
		r, err := ReadTakeover(m)
		return r.Message(), err
	},
	TIPRequestResp: func(m *Message) (*Message, error) {
		r, err := ReadIPRequestResp(m)
		return r.Message(), err
	},
	TStonith: func(m *Message) (*Message, error) {
		r, err := ReadStonith(m)
		return r.Message(), err
	},
	TAck: func(m *Message) (*Message, error) {
		r, err := ReadAck(m)
		return r.Message(), err
	},
	TRepNodes: func(m *Message) (*Message, error) {
		r, err := ReadRepNodes(m)
		return r.Message(), err
	},
	TReqNodes:  func(m *Message) (*Message, error) { return NewReqNodes(m.Value(FDest)), nil },
	TStarting:  func(*Message) (*Message, error) { return NewStarting(), nil },
	TShutdone:  func(*Message) (*Message, error) { return NewShutdone(), nil },
	TIPRequest: nil, // not in the capture; see TestBuildersRoundTrip
}

// TestRebuildCapture: for every datagram of the full capture, read it with
// its type's reader and header reader, build it again with the builder and
// Control.Stamp, sign it: the bytes must be the captured ones. This pins
// each builder's field order and encoding and Stamp's control fields.
func TestRebuildCapture(t *testing.T) {
	seen := map[string]int{}
	for i, p := range readPcap(t, captures[1].file) {
		m, err := Decode(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		build := rebuild[m.Type()]
		if build == nil {
			t.Fatalf("packet %d: no builder for type %q", i, m.Type())
		}
		h, err := ReadHeader(m)
		if err != nil {
			t.Fatalf("packet %d: ReadHeader: %v", i, err)
		}
		if got := labUUIDs[h.Src]; !bytes.Equal(h.SrcUUID, got[:]) {
			t.Fatalf("packet %d: srcuuid %x, want %x", i, h.SrcUUID, got)
		}
		nm, err := build(m)
		if err != nil {
			t.Fatalf("packet %d: reading %s: %v", i, m.Type(), err)
		}
		Control{
			Node: h.Src, UUID: [16]byte(h.SrcUUID), Seq: h.Seq, Generation: h.Generation,
			Now: h.Time, Load: m.Value(FLoad), TTL: h.TTL, UUIDs: labUUIDs,
		}.Stamp(nm)
		got, err := Sign(nm, labKeys[1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, p.Payload) {
			t.Errorf("packet %d (%s): rebuilt datagram differs\n got: %q\nwant: %q", i, m.Type(), got, p.Payload)
		}
		seen[m.Type()]++
	}
	if len(seen) != 11 {
		t.Errorf("rebuilt %d message types, want 11: %v", len(seen), seen)
	}
}

// TestReadCaptured pins what the readers return for captured messages.
func TestReadCaptured(t *testing.T) {
	byType := map[string]*Message{}
	for _, p := range readPcap(t, captures[1].file) {
		m, _ := Decode(p.Payload)
		if byType[m.Type()] == nil {
			byType[m.Type()] = m
		}
	}
	st, err := ReadStatus(byType[TStatus])
	if want := (Status{Status: "active", Deadtime: 500 * time.Millisecond, Protocol: 1}); err != nil || st != want {
		t.Errorf("ReadStatus = %+v, %v; want %+v", st, err, want)
	}
	h, err := ReadHeader(byType[TStatus])
	if err != nil {
		t.Fatal(err)
	}
	node2 := labUUIDs["node2"]
	wantH := Header{Type: "status", Src: "node2", SrcUUID: node2[:], Seq: 0x108a,
		HasSeq: true, Generation: 0x6b053dd4, Time: time.Unix(0x6b054306, 0), TTL: 3, HasTTL: true}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("ReadHeader (-want +got):\n%s", diff)
	}
	ack, err := ReadAck(byType[TAck])
	if want := (Ack{Dest: "node1", AckSeq: 0x108e}); err != nil || ack != want {
		t.Errorf("ReadAck = %+v, %v; want %+v", ack, err, want)
	}
	ah, _ := ReadHeader(byType[TAck])
	if ah.HasSeq || ah.Dest != "node1" {
		t.Errorf("NS_ackmsg header %+v: want no seq and dest node1", ah)
	}
	rn, err := ReadRepNodes(byType[TRepNodes])
	if want := (RepNodes{Dest: "node1", Nodes: []string{"node1", "node2"}}); err != nil || !cmp.Equal(rn, want) {
		t.Errorf("ReadRepNodes = %+v, %v; want %+v", rn, err, want)
	}
	ir, err := ReadIPRequestResp(byType[TIPRequestResp])
	if want := (IPRequestResp{Dest: "node1", IPAddr: "10.206.0.100/24/eth0/10.206.0.255", WeOwn: true, OK: "OK"}); err != nil || ir != want {
		t.Errorf("ReadIPRequestResp = %+v, %v; want %+v", ir, err, want)
	}
	if _, err := ReadResources(byType[TStatus]); err == nil {
		t.Error("ReadResources accepted a status message")
	}
}

// TestBuildersRoundTrip covers the builders the capture lacks and the
// decimal/hex choice of each sequence field.
func TestBuildersRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		m      *Message
		fields string // t=... lines as the classic text shows them
		read   func(*Message) (any, error)
		want   any
	}{
		{"ip-request", IPRequest{IPAddr: "10.0.0.1/24/eth0"}.Message(), "t=ip-request\nipaddr=10.0.0.1/24/eth0\n",
			func(m *Message) (any, error) { return ReadIPRequest(m) }, IPRequest{IPAddr: "10.0.0.1/24/eth0"}},
		{"rexmit decimal", Rexmit{Dest: "n2", First: 26, Last: 26}.Message(), "t=NS_rexmit\ndest=n2\nfirstseq=26\nlastseq=26\n",
			func(m *Message) (any, error) { return ReadRexmit(m) }, Rexmit{Dest: "n2", First: 26, Last: 26}},
		{"nak hex", NakRexmit{Dest: "n2", FirstSeq: 26, Info: "too old"}.Message(), "t=NS_nak_rexmit\nfirstseq=1a\ndest=n2\ninfo=too old\n",
			func(m *Message) (any, error) { return ReadNakRexmit(m) }, NakRexmit{Dest: "n2", FirstSeq: 26, Info: "too old"}},
		{"ack hex", Ack{Dest: "n1", AckSeq: 4238}.Message(), "t=NS_ackmsg\ndest=n1\nackseq=108e\n",
			func(m *Message) (any, error) { return ReadAck(m) }, Ack{Dest: "n1", AckSeq: 4238}},
		{"resource no info", Resources{Hold: HoldLocal, Full: true}.Message(), "t=resource\nrsc_hold=local\nrtype=full\nisstable=0\n",
			func(m *Message) (any, error) { return ReadResources(m) }, Resources{Hold: HoldLocal, Full: true}},
		{"resource mach_down", Resources{Hold: HoldForeign, Info: "mach_down"}.Message(), "t=resource\nrsc_hold=foreign\ninfo=mach_down\n",
			func(m *Message) (any, error) { return ReadResources(m) }, Resources{Hold: HoldForeign, Info: "mach_down"}},
		{"status without protocol", Status{Status: StatusUp, Deadtime: 3 * time.Second}.Message(), "t=status\nst=up\ndt=bb8\n",
			func(m *Message) (any, error) { return ReadStatus(m) }, Status{Status: StatusUp, Deadtime: 3 * time.Second}},
		{"repnodes empty del", RepNodes{Dest: "n1", Nodes: []string{"a"}}.Message(), "dest=n1\nt=repnodes\nnodelist=a \ndelnodelist= \n",
			func(m *Message) (any, error) { return ReadRepNodes(m) }, RepNodes{Dest: "n1", Nodes: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := appendClassic(nil, tt.m, 0, false)
			if err != nil || string(text) != tt.fields {
				t.Errorf("fields %q (%v), want %q", text, err, tt.fields)
			}
			got, err := tt.read(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	withFields := func(kv ...string) *Message {
		m := &Message{}
		for i := 0; i < len(kv); i += 2 {
			m.Add(kv[i], kv[i+1])
		}
		return m
	}
	tests := []struct {
		name string
		read func() error
		want string
	}{
		{"header no ts", func() error { _, err := ReadHeader(withFields("t", "status", "src", "n")); return err }, "missing from/ts/type"},
		{"header no src", func() error { _, err := ReadHeader(withFields("t", "status", "ts", "1")); return err }, "missing from/ts/type"},
		{"header ts 0", func() error { _, err := ReadHeader(withFields("t", "x", "src", "n", "ts", "0")); return err }, "bad ts"},
		{"header bad seq", func() error {
			_, err := ReadHeader(withFields("t", "x", "src", "n", "ts", "1", "seq", "zz"))
			return err
		}, "not hexadecimal"},
		{"header bad ttl", func() error {
			_, err := ReadHeader(withFields("t", "x", "src", "n", "ts", "1", "ttl", "x"))
			return err
		}, "not a decimal"},
		{"status bad dt", func() error { _, err := ReadStatus(withFields("t", "status", "dt", "q")); return err }, "bad dt"},
		{"resource no rsc_hold", func() error { _, err := ReadResources(withFields("t", "resource")); return err }, "no rsc_hold"},
		{"rexmit zero", func() error {
			_, err := ReadRexmit(withFields("t", "NS_rexmit", "firstseq", "0", "lastseq", "0"))
			return err
		}, "invalid rexmit seqnos"},
		{"rexmit reversed", func() error {
			_, err := ReadRexmit(withFields("t", "NS_rexmit", "firstseq", "5", "lastseq", "4"))
			return err
		}, "invalid rexmit seqnos"},
		{"ack no ackseq", func() error { _, err := ReadAck(withFields("t", "NS_ackmsg")); return err }, "no such field"},
		{"wrong type", func() error { _, err := ReadStonith(withFields("t", "status")); return err }, `message type is "status"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestStampNS: NS_ messages get no seq and no ld and keep their own
// control fields; others have theirs replaced in place.
func TestStampNS(t *testing.T) {
	c := Control{Node: "n1", UUID: labUUIDs["node1"], Seq: 9, Generation: 2, Now: time.Unix(0x10, 0),
		Load: "l", TTL: 3, UUIDs: labUUIDs}
	ping := NewMessage(TNSStatus)
	ping.Add(FStatus, StatusPing)
	ping.Add(FSrc, "10.0.0.9")
	c.Stamp(ping)
	status := NewMessage(TStatus)
	status.Add(FSeq, "old")
	c.Stamp(status)
	noDest := NewMessage("x")
	node2 := labUUIDs["node2"]
	noDest.AddBinary(FDestUUID, node2[:])
	c.Stamp(noDest)
	for _, tt := range []struct {
		m    *Message
		want string
	}{
		{ping, "t=NS_st\nst=ping\nsrc=10.0.0.9\n(1)srcuuid=H9jlIU7wQ26psUfxUJQhaw==\nhg=2\nts=10\nttl=3\n"},
		{status, "t=status\nseq=9\nsrc=n1\n(1)srcuuid=H9jlIU7wQ26psUfxUJQhaw==\nhg=2\nts=10\nld=l\nttl=3\n"},
		{noDest, "t=x\n(1)destuuid=9nBw3cM8TL+PcsfHfBFJLg==\ndest=node2\nsrc=n1\n(1)srcuuid=H9jlIU7wQ26psUfxUJQhaw==\nseq=9\nhg=2\nts=10\nld=l\nttl=3\n"},
	} {
		text, err := appendClassic(nil, tt.m, 0, false)
		if diff := cmp.Diff(tt.want, string(text)); err != nil || diff != "" {
			t.Errorf("stamped %s (-want +got):\n%s", tt.m.Type(), diff)
		}
	}
}

// TestStatusDocExample builds the heartbeat-wire.md example from literal
// values: the output is the captured 308-byte datagram.
func TestStatusDocExample(t *testing.T) {
	m := Status{Status: StatusActive, Deadtime: 3 * time.Second, Protocol: 1}.Message()
	Control{Node: "node2", UUID: labUUIDs["node2"], Seq: 0x3b, Generation: 0x6b053dca,
		Now: time.Unix(0x6b053df8, 0), Load: "0.31 0.21 0.08 2/108 217", TTL: 3}.Stamp(m)
	got, err := Sign(m, labKeys[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := readPcap(t, captures[0].file)[0].Payload; !bytes.Equal(got, want) {
		t.Errorf("status datagram differs\n got: %q\nwant: %q", got, want)
	}
}

func TestPingStatus(t *testing.T) {
	now := time.Unix(0x6543210f, 0)
	m := PingStatus{Src: "10.0.0.254", Now: now}.Message()
	want := "t=NS_st\nst=ping\ninfo=ping\nsrc=10.0.0.254\nts=6543210f\n"
	var got strings.Builder
	for _, f := range m.Fields {
		fmt.Fprintf(&got, "%s=%s\n", f.Name, f.Value)
	}
	if got.String() != want {
		t.Errorf("message:\n%s\nwant:\n%s", got.String(), want)
	}
	back, err := ReadPingStatus(m)
	if err != nil || back.Src != "10.0.0.254" || !back.Now.Equal(now) {
		t.Errorf("ReadPingStatus = %+v, %v", back, err)
	}
	m.Set(FStatus, "active")
	if _, err := ReadPingStatus(m); err == nil {
		t.Error("ReadPingStatus accepted st=active")
	}
}
