package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldType is the type code of a field, the digit in "(N)name=value"
// (glue include/ha_msg.h FT_*).
type FieldType uint8

// Field types of cluster-glue 1.0.12. Codes 6..9 fit the wire syntax but
// name no type in glue; this package keeps such fields as raw bytes.
const (
	TypeString     FieldType = 0 // FT_STRING: printable text
	TypeBinary     FieldType = 1 // FT_BINARY: raw bytes (srcuuid, destuuid)
	TypeStruct     FieldType = 2 // FT_STRUCT: a nested message
	TypeList       FieldType = 3 // FT_LIST: a list of non-empty strings
	TypeCompress   FieldType = 4 // FT_COMPRESS: compressed bytes, kept raw
	TypeUncompress FieldType = 5 // FT_UNCOMPRESS: never on the wire; kept raw
	maxFieldType   FieldType = 9
)

// Field is one name/type/value triple of a message, in wire order.
type Field struct {
	Name string
	Type FieldType
	// Value holds the bytes of every type except TypeStruct and TypeList:
	// the text of a string, the raw bytes of a binary, the wire bytes of a
	// compressed or unknown-type field.
	Value string
	// Struct is the nested message of a TypeStruct field.
	Struct *Message
	// List is the elements of a TypeList field.
	List []string
}

// Message is a Heartbeat message: an ordered list of fields. Order and
// duplicate names are kept exactly as on the wire, so that re-encoding a
// decoded message gives back the same bytes. Lookups by name see the first
// field with that name, as glue's cl_get_value does.
type Message struct {
	Fields []Field
}

// NewMessage returns a message whose first field is t=<typ>, as every
// Heartbeat message starts (ha_msg_add(m, F_TYPE, ...)).
func NewMessage(typ string) *Message {
	m := &Message{}
	m.Add(FType, typ)
	return m
}

// Type returns the message type, the value of the "t" field.
func (m *Message) Type() string { return m.Value(FType) }

// index returns the position of the first field called name, or -1; a nil
// message has no fields.
func (m *Message) index(name string) int {
	if m == nil {
		return -1
	}
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Has reports whether the message has a field called name, of any type.
func (m *Message) Has(name string) bool { return m.index(name) >= 0 }

// Get returns the value of the first field called name if that field is a
// string (glue's ha_msg_value returns NULL for other types).
func (m *Message) Get(name string) (string, bool) {
	i := m.index(name)
	if i < 0 || m.Fields[i].Type != TypeString {
		return "", false
	}
	return m.Fields[i].Value, true
}

// Value is Get without the flag: "" when the field is absent or not a string.
func (m *Message) Value(name string) string {
	v, _ := m.Get(name)
	return v
}

// Binary returns the bytes of the first field called name if it is binary.
func (m *Message) Binary(name string) ([]byte, bool) {
	i := m.index(name)
	if i < 0 || m.Fields[i].Type != TypeBinary {
		return nil, false
	}
	return []byte(m.Fields[i].Value), true
}

// Add appends a string field, even if one with the same name exists
// (ha_msg_add).
func (m *Message) Add(name, value string) {
	m.Fields = append(m.Fields, Field{Name: name, Type: TypeString, Value: value})
}

// AddBinary appends a binary field (ha_msg_addbin).
func (m *Message) AddBinary(name string, value []byte) {
	m.Fields = append(m.Fields, Field{Name: name, Type: TypeBinary, Value: string(value)})
}

// Set replaces the first field called name with a string field of that
// value, in place, or appends one when there is none (ha_msg_mod; glue
// refuses a type change, Set makes it).
func (m *Message) Set(name, value string) {
	m.set(Field{Name: name, Type: TypeString, Value: value})
}

// SetBinary is Set for a binary field (cl_msg_modbin).
func (m *Message) SetBinary(name string, value []byte) {
	m.set(Field{Name: name, Type: TypeBinary, Value: string(value)})
}

func (m *Message) set(f Field) {
	if i := m.index(f.Name); i >= 0 {
		m.Fields[i] = f
		return
	}
	m.Fields = append(m.Fields, f)
}

// Del removes every field called name.
func (m *Message) Del(name string) {
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	clear(m.Fields[len(out):])
	m.Fields = out
}

// Hex parses the string field name as Heartbeat's sscanf("%lx") does for
// seq, hg, ts, dt, ackseq and the NAK's firstseq: leading blanks and a
// "0x" prefix are skipped, parsing stops at the first non-hex character,
// at least one hex digit is required.
func (m *Message) Hex(name string) (uint64, error) {
	v, ok := m.Get(name)
	if !ok {
		return 0, fmt.Errorf("reading field %s: %w", name, ErrNoField)
	}
	s := strings.TrimLeft(v, " \t\n\v\f\r")
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]) {
		s = s[2:]
	}
	n := 0
	for n < len(s) && isHex(s[n]) {
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("reading field %s: %q is not hexadecimal", name, v)
	}
	u, err := strconv.ParseUint(s[:n], 16, 64)
	if err != nil {
		return 0, fmt.Errorf("reading field %s: %q: out of range", name, v)
	}
	return u, nil
}

// Int parses the string field name as a decimal integer the way atoi does
// for ttl, protocol, firstseq and lastseq: leading blanks and a sign are
// allowed, trailing garbage is ignored, at least one digit is required.
func (m *Message) Int(name string) (int64, error) {
	v, ok := m.Get(name)
	if !ok {
		return 0, fmt.Errorf("reading field %s: %w", name, ErrNoField)
	}
	s := strings.TrimLeft(v, " \t\n\v\f\r")
	n := 0
	if n < len(s) && (s[n] == '+' || s[n] == '-') {
		n++
	}
	digits := n
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == digits {
		return 0, fmt.Errorf("reading field %s: %q is not a decimal number", name, v)
	}
	i, err := strconv.ParseInt(s[:n], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading field %s: %q: out of range", name, v)
	}
	return i, nil
}

// SetHex sets a string field to v in lowercase hex without padding
// (Heartbeat's "%lx").
func (m *Message) SetHex(name string, v uint64) { m.Set(name, strconv.FormatUint(v, 16)) }

// SetInt sets a string field to v in decimal (ha_msg_add_int's "%d").
func (m *Message) SetInt(name string, v int64) { m.Set(name, strconv.FormatInt(v, 10)) }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Clone returns a deep copy of m.
func (m *Message) Clone() *Message {
	if m == nil {
		return nil
	}
	c := &Message{Fields: make([]Field, len(m.Fields))}
	for i, f := range m.Fields {
		c.Fields[i] = f
		c.Fields[i].Struct = f.Struct.Clone()
		if f.List != nil {
			c.Fields[i].List = append([]string(nil), f.List...)
		}
	}
	return c
}

// Equal reports whether m and o have the same fields in the same order.
func (m *Message) Equal(o *Message) bool {
	if m == nil || o == nil {
		return m == o
	}
	if len(m.Fields) != len(o.Fields) {
		return false
	}
	for i := range m.Fields {
		a, b := &m.Fields[i], &o.Fields[i]
		if a.Name != b.Name || a.Type != b.Type || a.Value != b.Value ||
			len(a.List) != len(b.List) || !a.Struct.Equal(b.Struct) {
			return false
		}
		for j := range a.List {
			if a.List[j] != b.List[j] {
				return false
			}
		}
	}
	return true
}

// String renders the message one field a line, binary values in hex, in
// the layout of heartbeat-capture-decoded.txt; for logs and test failures.
func (m *Message) String() string {
	var b strings.Builder
	m.describe(&b, "")
	return b.String()
}

func (m *Message) describe(b *strings.Builder, indent string) {
	if m == nil {
		return
	}
	for _, f := range m.Fields {
		b.WriteString(indent)
		if f.Type != TypeString {
			fmt.Fprintf(b, "(%d)", f.Type)
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		switch f.Type {
		case TypeString:
			q := strconv.Quote(f.Value)
			b.WriteString(q[1 : len(q)-1])
		case TypeStruct:
			b.WriteString("{\n")
			f.Struct.describe(b, indent+"  ")
			b.WriteString(indent + "}")
		case TypeList:
			fmt.Fprintf(b, "%q", f.List)
		default:
			fmt.Fprintf(b, "%x", f.Value)
		}
		b.WriteByte('\n')
	}
}
