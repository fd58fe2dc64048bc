package wire

// Encoders and readers hbd itself never uses, kept for the tests: hbd
// never sends the classic framing (it decodes it from an old Heartbeat),
// neither sends nor acts on t=stonith (ha.cf's stonith directives are
// refused at load), and sends NS_ackmsg and t=repnodes but ignores those
// it receives. The tests make classic datagrams with EncodeClassic and
// SignClassic and read back the messages hbd writes with the Read
// functions.

import (
	"fmt"
	"strings"
)

// Stonith reports a STONITH outcome for a node (hb_resource.c send_stonith_msg).
type Stonith struct {
	Node   string
	Result string // OK, badhost, bad, n_stnth, unneeded
}

// Message builds t=stonith node result.
func (s Stonith) Message() *Message {
	m := NewMessage(TStonith)
	m.Add(FNode, s.Node)
	m.Add(FResult, s.Result)
	return m
}

// ReadStonith reads a t=stonith message.
func ReadStonith(m *Message) (Stonith, error) {
	if err := wantType(m, TStonith); err != nil {
		return Stonith{}, err
	}
	return Stonith{Node: m.Value(FNode), Result: m.Value(FResult)}, nil
}

// ReadAck reads a t=NS_ackmsg message.
func ReadAck(m *Message) (Ack, error) {
	if err := wantType(m, TAck); err != nil {
		return Ack{}, err
	}
	seq, err := m.Hex(FAckSeq)
	if err != nil {
		return Ack{}, fmt.Errorf("reading ack: %w", err)
	}
	return Ack{Dest: m.Value(FDest), AckSeq: seq}, nil
}

// ReadRepNodes reads a t=repnodes message.
func ReadRepNodes(m *Message) (RepNodes, error) {
	if err := wantType(m, TRepNodes); err != nil {
		return RepNodes{}, err
	}
	return RepNodes{Dest: m.Value(FDest), Nodes: nodeNames(m.Value(FNodeList)),
		DelNodes: nodeNames(m.Value(FDelNodeList))}, nil
}

func nodeNames(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}

// EncodeClassic renders m in the classic framing, ">>>\n" name=value lines
// "<<<\n" (glue msg2string), without the trailing NUL the old sender
// counted in the datagram.
func EncodeClassic(m *Message) ([]byte, error) {
	b, err := appendClassic(nil, m, 0, true)
	if err != nil {
		return nil, fmt.Errorf("encoding classic: %w", err)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("encoding classic: %d bytes exceed %d", len(b), MaxMessageSize)
	}
	return b, nil
}

// SignClassic returns the datagram a Heartbeat with glue < 1.0.10 sent:
// the classic framing with the "auth" field set, plus the trailing NUL the
// sender counted (strlen+1).
func SignClassic(m *Message, a Auth) ([]byte, error) {
	c, err := withFieldAuth(m, a)
	if err != nil {
		return nil, fmt.Errorf("signing message: %w", err)
	}
	b, err := EncodeClassic(c)
	if err != nil {
		return nil, fmt.Errorf("signing message: %w", err)
	}
	if len(b)+1 > MaxMessageSize {
		return nil, fmt.Errorf("signing message: %d bytes exceed %d", len(b)+1, MaxMessageSize)
	}
	return append(b, 0), nil
}
