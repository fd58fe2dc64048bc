package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		reason string
	}{
		{"empty", "", 0, `want "###\n" or ">>>\n"`},
		{"other", "hello", 0, `want "###\n"`},
		{"no end", "###\n", 4, `want a field or "%%%\n"`},
		{"length not a number", "###\nx:(0)t=a,%%%\n", 4, "want a netstring length"},
		{"leading zero", "###\n07:(0)t=a,%%%\n", 4, "leading zero"},
		{"huge length", "###\n123456789:(0)t=a,%%%\n", 4, "longer than 7 digits"},
		{"no colon", "###\n7;(0)t=a,%%%\n", 5, "want ':'"},
		{"runs past end", "###\n70:(0)t=a,%%%\n", 4, "runs past the end"},
		{"no comma", "###\n5:(0)t=a,%%%\n", 11, "want ','"},
		{"no type", "###\n4:t=ab,%%%\n", 6, `want a field "(<type digit>)`},
		{"type not digit", "###\n5:(x)t=,%%%\n", 6, "want a field"},
		{"no name", "###\n6:(0)=ab,%%%\n", 9, "want a field name"},
		{"no equals", "###\n6:(0)tab,%%%\n", 9, "want a field name"},
		{"NUL in name", "###\n8:(0)t\x00=ab,%%%\n", 9, "NUL in field name"},
		{"bad struct", "###\n9:(2)s=###\n,%%%\n", 15, `want a field or "%%%\n"`},
		{"struct with tail", "###\n14:(2)s=###\n%%%\nx,%%%\n", 20, "1 bytes after the nested message"},
		{"empty list", "###\n5:(3)l=,%%%\n", 11, "empty list"},
		{"empty list element", "###\n8:(3)l=0:,,%%%\n", 11, "empty list element"},
		{"list not packed", "###\n6:(3)l=a,,%%%\n", 11, "want a netstring length"},
		{"junk after trailer", "###\n%%%\n3:1 a,x", 14, "1 bytes after the auth trailer"},
		{"junk after end", "###\n%%%\nx", 8, "want a netstring length"},
		{"classic no end", ">>>\nt=a\n", 8, "want a line"},
		{"classic no equals", ">>>\nta\n<<<\n", 4, "want a line \"name=value\""},
		{"classic empty line", ">>>\n\n<<<\n", 4, "want a line \"name=value\""},
		{"classic NUL", ">>>\nt=a\x00b\n<<<\n", 4, "NUL in line"},
		{"classic type 0", ">>>\n(0)t=a\n<<<\n", 4, "type digit 1-9"},
		{"classic type 5", ">>>\n(5)t=a\n<<<\n", 4, "has no classic form"},
		{"classic empty name", ">>>\n(1)=AA==\n<<<\n", 4, "type digit 1-9"},
		{"classic bad base64", ">>>\n(1)u=AB==\n<<<\n", 9, "base64"},
		{"classic base64 no padding", ">>>\n(1)u=AA\n<<<\n", 9, "base64"},
		{"classic two NULs", ">>>\n<<<\n\x00\x00", 8, `2 bytes after "<<<\n"`},
		{"too large", "###\n" + strings.Repeat("x", MaxMessageSize), MaxMessageSize, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode = %v, want an error", m)
			}
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a DecodeError matching ErrMalformed", err)
			}
			if de.Offset != tt.offset || !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("error at byte %d %q, want byte %d containing %q", de.Offset, de.Reason, tt.offset, tt.reason)
			}
		})
	}
}

// allTypes has one field of every type, duplicates, and awkward values.
func allTypes() *Message {
	inner := NewMessage("inner")
	inner.AddBinary("b", []byte{0, 1, '\n', 0xff})
	inner.Add("nl", "a\nb")
	return &Message{Fields: []Field{
		{Name: "t", Value: "x"},
		{Name: "t", Value: "duplicate"},
		{Name: "empty", Value: ""},
		{Name: "nl", Value: "line1\nline2"},
		{Name: "comma", Value: "a,b:c=d%%%\n"},
		{Name: "uuid", Type: TypeBinary, Value: "\xf6\x70\x70\xdd\xc3\x3c\x4c\xbf\x8f\x72\xc7\xc7\x7c\x11\x49\x2e"},
		{Name: "nobytes", Type: TypeBinary},
		{Name: "s", Type: TypeStruct, Struct: inner},
		{Name: "l", Type: TypeList, List: []string{"a", "bc", "d,e"}},
		{Name: "z", Type: TypeCompress, Value: "\x78\x9c\x00"},
	}}
}

func TestRoundTripNetstring(t *testing.T) {
	m := allTypes()
	m.Fields = append(m.Fields,
		Field{Name: "u5", Type: TypeUncompress, Value: "raw"},
		Field{Name: "u9", Type: 9, Value: "raw\x00\n"},
		Field{Name: "(1)x", Value: "string whose name starts with ("})
	b, err := EncodeNetstring(m)
	if err != nil {
		t.Fatal(err)
	}
	got, format, err := DecodeFormat(b)
	if err != nil || format != FormatNetstring {
		t.Fatalf("DecodeFormat = %v, %v", format, err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), "20:(3)l=1:a,2:bc,3:d,e,,") {
		t.Errorf("list not packed as glue does: %q", b)
	}
}

func TestRoundTripClassic(t *testing.T) {
	m := allTypes()
	b, err := EncodeClassic(m)
	if err != nil {
		t.Fatal(err)
	}
	got, format, err := DecodeFormat(b)
	if err != nil || format != FormatClassic {
		t.Fatalf("DecodeFormat = %v, %v", format, err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"nl=line1\x13line2\n",                // str2string: '\n' -> SPECIAL_SYM
		"(1)uuid=9nBw3cM8TL+PcsfHfBFJLg==\n", // base64 with padding
		"(1)nobytes=\n",                      // empty binary
		"(2)s=>>>\x14t=inner\x14(1)b=AAEK/w==\x14nl=a\x13b\x14<<<\x14\n", // nested: '\n' -> SPECIAL_SYMS[0]
		"(3)l=1:a,2:bc,3:d,e,\n",
		"(4)z=eJwA\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("classic form lacks %q:\n%q", want, b)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	deep := NewMessage("d")
	for range maxDepth {
		deep = &Message{Fields: []Field{{Name: "s", Type: TypeStruct, Struct: deep}}}
	}
	tests := []struct {
		name     string
		f        Field
		m        *Message
		classic  bool // only the classic form fails
		netsOnly bool // only the netstring form is tested
	}{
		{name: "empty name", f: Field{Value: "x"}},
		{name: "equals in name", f: Field{Name: "a=b"}},
		{name: "NUL in name", f: Field{Name: "a\x00"}},
		{name: "type 10", f: Field{Name: "a", Type: 10}},
		{name: "nil struct", f: Field{Name: "a", Type: TypeStruct}},
		{name: "empty list", f: Field{Name: "a", Type: TypeList}},
		{name: "empty list element", f: Field{Name: "a", Type: TypeList, List: []string{"x", ""}}},
		{name: "too deep", m: deep},
		{name: "newline in name", f: Field{Name: "a\nb"}, classic: true},
		{name: "string name with (", f: Field{Name: "(1)a"}, classic: true},
		{name: "NUL in string", f: Field{Name: "a", Value: "x\x00"}, classic: true},
		{name: "uncompress type", f: Field{Name: "a", Type: TypeUncompress, Value: "x"}, classic: true},
		{name: "newline in list", f: Field{Name: "a", Type: TypeList, List: []string{"x\n"}}, classic: true},
		{name: "struct holding its newline symbol", f: Field{Name: "a", Type: TypeStruct,
			Struct: &Message{Fields: []Field{{Name: "v", Value: "\x14"}}}}, classic: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			if m == nil {
				m = &Message{Fields: []Field{tt.f}}
			}
			_, nerr := EncodeNetstring(m)
			_, cerr := EncodeClassic(m)
			if cerr == nil {
				t.Errorf("EncodeClassic: no error")
			}
			if tt.classic != (nerr == nil) {
				t.Errorf("EncodeNetstring error %v, want an error: %v", nerr, !tt.classic)
			}
		})
	}
}

func TestGetters(t *testing.T) {
	m := &Message{}
	m.Add("seq", "3b")
	m.Add("seq", "ff") // duplicates: the first counts
	m.Add("hg", " 0x6B053DCA trailing")
	m.Add("bad", "xyz")
	m.Add("big", "1ffffffffffffffff")
	m.Add("ttl", " -3x")
	m.AddBinary("uuid", []byte{1, 2})
	tests := []struct {
		name string
		call func() (any, error)
		want any
		err  bool
	}{
		{"hex seq", func() (any, error) { return m.Hex("seq") }, uint64(0x3b), false},
		{"hex sscanf style", func() (any, error) { return m.Hex("hg") }, uint64(0x6b053dca), false},
		{"hex bad", func() (any, error) { return m.Hex("bad") }, uint64(0), true},
		{"hex overflow", func() (any, error) { return m.Hex("big") }, uint64(0), true},
		{"hex missing", func() (any, error) { return m.Hex("nope") }, uint64(0), true},
		{"hex of binary", func() (any, error) { return m.Hex("uuid") }, uint64(0), true},
		{"int atoi style", func() (any, error) { return m.Int("ttl") }, int64(-3), false},
		{"int bad", func() (any, error) { return m.Int("bad") }, int64(0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := m.Hex("nope"); !errors.Is(err, ErrNoField) {
		t.Errorf("missing field error %v does not match ErrNoField", err)
	}
	if v, ok := m.Get("uuid"); ok {
		t.Errorf("Get of a binary field = %q, want not found", v)
	}
	m.SetHex("seq", 0x3c)
	m.SetInt("ttl", 4)
	m.Set("new", "v")
	m.Del("bad")
	var got []string
	for _, f := range m.Fields {
		got = append(got, f.Name+"="+f.Value)
	}
	want := []string{"seq=3c", "seq=ff", "hg= 0x6B053DCA trailing", "big=1ffffffffffffffff", "ttl=4", "uuid=\x01\x02", "new=v"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Set/Del (-want +got):\n%s", diff)
	}
}

// randMessage builds a random message; classic restricts it to what the
// classic form can carry.
func randMessage(r *rand.Rand, depth int, classic bool) *Message {
	m := &Message{}
	for range r.IntN(6) {
		f := Field{Name: randString(r, 1, classic, true)}
		types := []FieldType{TypeString, TypeBinary, TypeStruct, TypeList, TypeCompress, TypeUncompress, 7}
		if classic {
			types = types[:5]
		}
		f.Type = types[r.IntN(len(types))]
		if f.Type == TypeStruct && depth >= 3 {
			f.Type = TypeString
		}
		switch f.Type {
		case TypeStruct:
			f.Struct = randMessage(r, depth+1, classic)
		case TypeList:
			for range 1 + r.IntN(3) {
				f.List = append(f.List, randString(r, 1, classic, false))
			}
		case TypeString:
			f.Value = randString(r, 0, classic, false)
		default:
			f.Value = randString(r, 0, false, false)
		}
		m.Fields = append(m.Fields, f)
	}
	return m
}

func randString(r *rand.Rand, minLen int, classic, name bool) string {
	alphabet := "ab=,:#%>()\n\x00\x13\x14\xff 0123456789"
	b := make([]byte, minLen+r.IntN(8))
	for i := range b {
		for {
			c := alphabet[r.IntN(len(alphabet))]
			bad := name && (c == '=' || c == 0 || i == 0 && c == '(') ||
				classic && (c == 0 || c == '\n' || c == '\x13' || c >= '\x14' && c <= '\x1f')
			if !bad {
				b[i] = c
				break
			}
		}
	}
	return string(b)
}

// TestRoundTripProperty: random messages survive encode then decode in both
// framings, and decode then encode gives back the same bytes.
func TestRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		classic := i%2 == 1
		m := randMessage(r, 0, classic)
		enc := EncodeNetstring
		if classic {
			enc = EncodeClassic
		}
		b, err := enc(m)
		if err != nil {
			t.Fatalf("case %d: encode %v: %v", i, m, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("case %d: decode %q: %v", i, b, err)
		}
		if !got.Equal(m) {
			t.Fatalf("case %d: round trip changed the message\nwant %v\n got %v", i, m, got)
		}
		again, err := enc(got)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("case %d: re-encoding differs: %q vs %q (%v)", i, again, b, err)
		}
	}
}

func TestMessageStringAndEqual(t *testing.T) {
	m := allTypes()
	s := m.String()
	for _, want := range []string{"t=x\n", "nl=line1\\nline2\n", "(1)uuid=f67070dd", "(2)s={\n  t=inner\n", `(3)l=["a" "bc" "d,e"]`} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	c := m.Clone()
	c.Fields[7].Struct.Fields[0].Value = "changed"
	c.Fields[8].List[0] = "changed"
	if m.Fields[7].Struct.Value("t") != "inner" || m.Fields[8].List[0] != "a" {
		t.Error("Clone shares nested data with the original")
	}
	if m.Equal(c) || !m.Equal(m.Clone()) || (*Message)(nil).Equal(m) || !(*Message)(nil).Equal(nil) {
		t.Error("Equal is wrong")
	}
	_ = (&Message{Fields: []Field{{Name: "s", Type: TypeStruct}}}).String() // no panic on a nil struct
}
