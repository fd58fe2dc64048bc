package wire

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// stringSym stands for '\n' inside a string value in the classic form, and
// structSyms[d] for '\n' inside a nested message at depth d (glue
// cl_msg_types.c SPECIAL_SYM, SPECIAL_SYMS, str2string, convert).
const stringSym = 19

var structSyms = [maxDepth]byte{20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 15, 16, 17, 18}

// decodeClassic parses ">>>\n" "name=value\n"... "<<<\n" at the start of
// buf and returns the message and the bytes used (glue string2msg_ll). It
// is stricter than glue: no blank lines, no NUL, "<<<\n" required.
func decodeClassic(buf []byte, base, depth int) (*Message, int, error) {
	if !bytes.HasPrefix(buf, []byte(classicStart)) {
		return nil, 0, malformed(base, "want %q", classicStart)
	}
	m := &Message{}
	off := len(classicStart)
	for !bytes.HasPrefix(buf[off:], []byte(classicEnd)) {
		nl := bytes.IndexByte(buf[off:], '\n')
		if nl < 0 {
			return nil, 0, malformed(base+off, "want a line \"name=value\\n\" or %q", classicEnd)
		}
		f, err := decodeClassicLine(buf[off:off+nl], base+off, depth)
		if err != nil {
			return nil, 0, err
		}
		m.Fields = append(m.Fields, f)
		off += nl + 1
	}
	return m, off + len(classicEnd), nil
}

// decodeClassicLine parses one "[(<type>)]name=value" line (glue
// ha_msg_add_nv_depth, add_string_field).
func decodeClassicLine(line []byte, at, depth int) (Field, error) {
	if bytes.IndexByte(line, 0) >= 0 {
		return Field{}, malformed(at, "NUL in line")
	}
	eq := bytes.IndexByte(line, '=')
	if eq <= 0 {
		return Field{}, malformed(at, "want a line \"name=value\"")
	}
	name, val := line[:eq], line[eq+1:]
	f := Field{Type: TypeString}
	if name[0] == '(' {
		if len(name) < 4 || name[2] != ')' || name[1] < '1' || name[1] > '9' {
			return Field{}, malformed(at, "want \"(<type digit 1-9>)<name>\"")
		}
		f.Type = FieldType(name[1] - '0')
		name = name[3:]
	}
	f.Name = string(name)
	vat := at + eq + 1
	switch f.Type {
	case TypeString:
		f.Value = string(bytes.ReplaceAll(val, []byte{stringSym}, []byte{'\n'}))
	case TypeBinary, TypeCompress:
		b, err := base64.StdEncoding.DecodeString(string(val))
		if err != nil || base64.StdEncoding.EncodeToString(b) != string(val) {
			return Field{}, malformed(vat, "want standard base64 with '=' padding")
		}
		f.Value = string(b)
	case TypeStruct:
		if depth >= maxDepth-1 {
			return Field{}, malformed(at, "messages nested deeper than %d", maxDepth)
		}
		v := bytes.ReplaceAll(val, []byte{structSyms[depth]}, []byte{'\n'})
		sub, n, err := decodeClassic(v, vat, depth+1)
		if err != nil {
			return Field{}, err
		}
		if n != len(v) {
			return Field{}, malformed(vat+n, "%d bytes after the nested message", len(v)-n)
		}
		f.Struct = sub
	case TypeList:
		l, err := decodeList(val, vat)
		if err != nil {
			return Field{}, err
		}
		f.List = l
	default: // (5)..(9) have no string form
		return Field{}, malformed(at, "field type (%d) has no classic form", f.Type)
	}
	return f, nil
}

// appendClassic renders m's lines; without head it leaves out the markers
// and every "auth" field, which is the text the field auth signs (glue
// msg2string_buf with NOHEAD).
func appendClassic(dst []byte, m *Message, depth int, head bool) ([]byte, error) {
	if head {
		dst = append(dst, classicStart...)
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if !head && f.Name == FAuth {
			continue
		}
		if err := checkClassicField(f); err != nil {
			return nil, err
		}
		if f.Type != TypeString {
			dst = append(dst, '(', '0'+byte(f.Type), ')')
		}
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		var err error
		if dst, err = appendClassicValue(dst, f, depth); err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		dst = append(dst, '\n')
	}
	if head {
		dst = append(dst, classicEnd...)
	}
	return dst, nil
}

func checkClassicField(f *Field) error {
	if err := checkField(f); err != nil {
		return err
	}
	if bytes.IndexByte([]byte(f.Name), '\n') >= 0 {
		return fmt.Errorf("field name %q contains a newline", f.Name)
	}
	if f.Type == TypeString && f.Name[0] == '(' {
		return fmt.Errorf("string field name %q starts with '('", f.Name)
	}
	return nil
}

func appendClassicValue(dst []byte, f *Field, depth int) ([]byte, error) {
	switch f.Type {
	case TypeString:
		if bytes.IndexByte([]byte(f.Value), 0) >= 0 {
			return nil, fmt.Errorf("NUL in string value")
		}
		for i := 0; i < len(f.Value); i++ {
			if c := f.Value[i]; c == '\n' {
				dst = append(dst, stringSym)
			} else {
				dst = append(dst, c)
			}
		}
		return dst, nil
	case TypeBinary, TypeCompress:
		return base64.StdEncoding.AppendEncode(dst, []byte(f.Value)), nil
	case TypeStruct:
		if depth >= maxDepth-1 {
			return nil, fmt.Errorf("messages nested deeper than %d", maxDepth)
		}
		sub, err := appendClassic(nil, f.Struct, depth+1, true)
		if err != nil {
			return nil, err
		}
		sym := structSyms[depth]
		if bytes.IndexByte(sub, sym) >= 0 {
			return nil, fmt.Errorf("nested message contains the byte 0x%02x that stands for a newline", sym)
		}
		return append(dst, bytes.ReplaceAll(sub, []byte{'\n'}, []byte{sym})...), nil
	case TypeList:
		l := appendList(nil, f.List)
		if bytes.ContainsAny(l, "\n\x00") {
			return nil, fmt.Errorf("newline or NUL in a list element")
		}
		return append(dst, l...), nil
	}
	return nil, fmt.Errorf("type (%d) has no classic form", f.Type)
}
