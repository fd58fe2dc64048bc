package wire

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// fuzzSeeds are datagrams of every shape: captured ones, every field type
// in both framings, signed classic.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	data, err := os.ReadFile(captures[1].file)
	if err != nil {
		f.Fatal(err)
	}
	pkts, err := parsePcap(data)
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < len(pkts); i += 37 {
		seeds = append(seeds, pkts[i].Payload)
	}
	for _, enc := range []func(*Message) ([]byte, error){EncodeNetstring, EncodeClassic} {
		b, err := enc(allTypes())
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	c, err := SignClassic(testMessage(), Auth{Index: 2, Method: MD5, Key: []byte("k")})
	if err != nil {
		f.Fatal(err)
	}
	return append(seeds, c, []byte("###\n%%%\n"), []byte(">>>\n<<<\n\x00"))
}

// FuzzDecode: Decode never panics; what it accepts re-encodes to the same
// bytes and decodes to an equal message; Sign's output verifies.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	a := Auth{Index: 1, Method: SHA1, Key: []byte("hbd-lab-secret")}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not match ErrMalformed", err)
			}
			return
		}
		m := fr.msg
		enc := EncodeNetstring
		if fr.format == FormatClassic {
			enc = EncodeClassic
		}
		b, err := enc(m)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", m, err)
		}
		if !bytes.Equal(b, data[:fr.signed]) {
			t.Fatalf("re-encoding differs\n got %q\nwant %q", b, data[:fr.signed])
		}
		again, err := Decode(b)
		if err != nil || !again.Equal(m) {
			t.Fatalf("decode(encode(m)) = %v, %v; want %v", again, err, m)
		}
		if c, err := EncodeClassic(m); err == nil {
			if _, err := Decode(c); err != nil {
				t.Fatalf("EncodeClassic output %q does not decode: %v", c, err)
			}
		}
		if s, err := Sign(m, a); err == nil {
			v, err := Verify(s, map[int]Auth{1: a})
			if err != nil {
				t.Fatalf("Verify(Sign(m)): %v", err)
			}
			if err := VerifyField(v, map[int]Auth{1: a}); err != nil {
				t.Fatalf("VerifyField(Sign(m)): %v", err)
			}
		}
		readAll(m)
	})
}

// readAll runs every reader, for panics.
func readAll(m *Message) {
	_, _ = ReadHeader(m)
	_, _ = ReadStatus(m)
	_, _ = ReadResources(m)
	_, _ = ReadAskResources(m)
	_, _ = ReadTakeover(m)
	_, _ = ReadIPRequest(m)
	_, _ = ReadIPRequestResp(m)
	_, _ = ReadStonith(m)
	_, _ = ReadAck(m)
	_, _ = ReadRexmit(m)
	_, _ = ReadNakRexmit(m)
	_, _ = ReadRepNodes(m)
	_ = m.String()
	Control{Node: "n", UUIDs: labUUIDs}.Stamp(m.Clone())
}

// FuzzVerify: Verify never panics and fails only for the four reasons;
// what it accepts verifies again after re-signing.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, uint8(1), uint8(2), []byte("hbd-lab-secret"))
	}
	f.Add([]byte("###\n%%%\n10:0 ffffffff,"), uint8(0), uint8(0), []byte(nil))
	methods := []Method{CRC, MD5, SHA1}
	f.Fuzz(func(t *testing.T, data []byte, idx, method uint8, key []byte) {
		a := Auth{Index: int(idx % (MaxAuthIndex + 2)), Method: methods[int(method)%len(methods)], Key: key}
		keys := map[int]Auth{a.Index: a}
		m, err := Verify(data, keys)
		if err != nil {
			if r := DropReason(err); r == "error" {
				t.Fatalf("Verify error %v matches no drop reason", err)
			}
			return
		}
		if a.Index > MaxAuthIndex {
			t.Fatalf("Verify accepted key index %d", a.Index)
		}
		sign := SignNetstring
		if bytes.HasPrefix(data, []byte(classicStart)) {
			sign = SignClassic
		}
		s, err := sign(m, a)
		if err != nil {
			t.Fatalf("re-signing a verified message: %v", err)
		}
		if _, err := Verify(s, keys); err != nil {
			t.Fatalf("Verify of the re-signed message: %v", err)
		}
	})
}
