package wire

import (
	"bytes"
	"fmt"
	"strconv"
)

// Framing markers (glue include/ha_msg.h MSG_START*, MSG_END*).
const (
	netstringStart = "###\n"
	netstringEnd   = "%%%\n"
	classicStart   = ">>>\n"
	classicEnd     = "<<<\n"
)

// maxLenDigits bounds a netstring length prefix: MaxMessageSize has 6.
const maxLenDigits = 7

// peel reads the netstring "<len>:<data>," at buf[off:] and returns data
// and the offset just past the comma (glue cl_netstring.c peel_netstring).
// Lengths must be canonical decimals (no sign, no leading zero), so that
// re-encoding gives the same bytes; base is buf's offset in the datagram.
func peel(buf []byte, off, base int) ([]byte, int, error) {
	i := off
	for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
		i++
		if i-off > maxLenDigits {
			return nil, 0, malformed(base+off, "netstring length longer than %d digits", maxLenDigits)
		}
	}
	switch {
	case i == off:
		return nil, 0, malformed(base+off, "want a netstring length (decimal digits)")
	case buf[off] == '0' && i-off > 1:
		return nil, 0, malformed(base+off, "netstring length with a leading zero")
	case i >= len(buf) || buf[i] != ':':
		return nil, 0, malformed(base+i, "want ':' after the netstring length")
	}
	n, _ := strconv.Atoi(string(buf[off:i])) // at most 7 digits: cannot fail
	start := i + 1
	end := start + n
	if end >= len(buf) {
		return nil, 0, malformed(base+off, "netstring of %d bytes runs past the end", n)
	}
	if buf[end] != ',' {
		return nil, 0, malformed(base+end, "want ',' after a netstring of %d bytes", n)
	}
	return buf[start:end], end + 1, nil
}

// decodeNetstring parses "###\n" fields "%%%\n" at the start of buf and
// returns the message and the number of bytes used (glue
// netstring2msg_rec). base is buf's offset in the datagram.
func decodeNetstring(buf []byte, base, depth int) (*Message, int, error) {
	if depth >= maxDepth {
		return nil, 0, malformed(base, "messages nested deeper than %d", maxDepth)
	}
	if !bytes.HasPrefix(buf, []byte(netstringStart)) {
		return nil, 0, malformed(base, "want %q", netstringStart)
	}
	m := &Message{}
	off := len(netstringStart)
	for !bytes.HasPrefix(buf[off:], []byte(netstringEnd)) {
		if off >= len(buf) {
			return nil, 0, malformed(base+off, "want a field or %q", netstringEnd)
		}
		data, next, err := peel(buf, off, base)
		if err != nil {
			return nil, 0, err
		}
		f, err := decodeNetstringField(data, base+next-1-len(data), depth)
		if err != nil {
			return nil, 0, err
		}
		m.Fields = append(m.Fields, f)
		off = next
	}
	return m, off + len(netstringEnd), nil
}

// decodeNetstringField parses "(<type>)<name>=<value>" (glue
// process_netstring_nvpair); at is data's offset in the datagram.
func decodeNetstringField(data []byte, at, depth int) (Field, error) {
	if len(data) < 5 || data[0] != '(' || data[1] < '0' || data[1] > '9' || data[2] != ')' {
		return Field{}, malformed(at, "want a field \"(<type digit>)<name>=<value>\"")
	}
	f := Field{Type: FieldType(data[1] - '0')}
	rest := data[3:]
	eq := bytes.IndexByte(rest, '=')
	if eq <= 0 {
		return Field{}, malformed(at+3, "want a field name followed by '='")
	}
	if bytes.IndexByte(rest[:eq], 0) >= 0 {
		return Field{}, malformed(at+3, "NUL in field name")
	}
	f.Name = string(rest[:eq])
	val := rest[eq+1:]
	vat := at + 3 + eq + 1
	switch f.Type {
	case TypeStruct:
		sub, n, err := decodeNetstring(val, vat, depth+1)
		if err != nil {
			return Field{}, err
		}
		if n != len(val) {
			return Field{}, malformed(vat+n, "%d bytes after the nested message", len(val)-n)
		}
		f.Struct = sub
	case TypeList:
		l, err := decodeList(val, vat)
		if err != nil {
			return Field{}, err
		}
		f.List = l
	default:
		f.Value = string(val)
	}
	return f, nil
}

// decodeList parses a packed string list "3:abc,4:defg," (glue
// string_list_unpack). Elements are non-empty and the list has at least
// one: glue rejects a zero length and an empty list.
func decodeList(val []byte, at int) ([]string, error) {
	if len(val) == 0 {
		return nil, malformed(at, "empty list")
	}
	var l []string
	for off := 0; off < len(val); {
		data, next, err := peel(val, off, at)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			return nil, malformed(at+off, "empty list element")
		}
		l = append(l, string(data))
		off = next
	}
	return l, nil
}

// EncodeNetstring renders m in the netstring framing, "###\n" fields
// "%%%\n", without the auth trailer (glue msg2netstring_buf).
func EncodeNetstring(m *Message) ([]byte, error) {
	b, err := appendNetstring(nil, m, 0)
	if err != nil {
		return nil, fmt.Errorf("encoding netstring: %w", err)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("encoding netstring: %d bytes exceed %d", len(b), MaxMessageSize)
	}
	return b, nil
}

func appendNetstring(dst []byte, m *Message, depth int) ([]byte, error) {
	if depth >= maxDepth {
		return nil, fmt.Errorf("messages nested deeper than %d", maxDepth)
	}
	dst = append(dst, netstringStart...)
	for i := range m.Fields {
		f := &m.Fields[i]
		if err := checkField(f); err != nil {
			return nil, err
		}
		var val []byte
		switch f.Type {
		case TypeStruct:
			var err error
			if val, err = appendNetstring(nil, f.Struct, depth+1); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
		case TypeList:
			val = appendList(nil, f.List)
		default:
			val = []byte(f.Value)
		}
		dst = strconv.AppendInt(dst, int64(3+len(f.Name)+1+len(val)), 10)
		dst = append(dst, ':', '(', '0'+byte(f.Type), ')')
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		dst = append(dst, val...)
		dst = append(dst, ',')
	}
	return append(dst, netstringEnd...), nil
}

func appendList(dst []byte, l []string) []byte {
	for _, e := range l {
		dst = strconv.AppendInt(dst, int64(len(e)), 10)
		dst = append(dst, ':')
		dst = append(dst, e...)
		dst = append(dst, ',')
	}
	return dst
}

// checkField rejects what no decoder would read back.
func checkField(f *Field) error {
	switch {
	case f.Name == "":
		return fmt.Errorf("field with an empty name")
	case bytes.ContainsAny([]byte(f.Name), "=\x00"):
		return fmt.Errorf("field name %q contains '=' or NUL", f.Name)
	case f.Type > maxFieldType:
		return fmt.Errorf("field %s: type %d is not a digit", f.Name, f.Type)
	case f.Type == TypeStruct && f.Struct == nil:
		return fmt.Errorf("field %s: struct without a message", f.Name)
	case f.Type == TypeList && len(f.List) == 0:
		return fmt.Errorf("field %s: empty list", f.Name)
	}
	if f.Type == TypeList {
		for _, e := range f.List {
			if e == "" {
				return fmt.Errorf("field %s: empty list element", f.Name)
			}
		}
	}
	return nil
}
