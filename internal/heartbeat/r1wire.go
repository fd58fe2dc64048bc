package heartbeat

// Pure: the R1 messages of the ownership machine in their wire form
// (wire/msgtypes.go), both ways.

import (
	"fmt"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// r1Message builds the wire message for m, without control fields.
func r1Message(m R1Msg) *wire.Message {
	switch m.Type {
	case R1Starting:
		return wire.NewStarting()
	case R1Resource:
		return wire.Resources{Hold: m.Hold.String(), Full: m.Full, Stable: m.Stable == Stable, Info: m.Info}.Message()
	case R1AskResources:
		return wire.AskResources{Hold: m.Hold.String(), Info: m.Info}.Message()
	case R1Takeover:
		return wire.Takeover{Hold: m.Hold.String()}.Message()
	case R1IPRequest:
		return wire.IPRequest{IPAddr: m.Group}.Message()
	case R1IPRequestResp:
		ok := ""
		if m.OK {
			ok = "OK"
		}
		return wire.IPRequestResp{Dest: m.Dest, IPAddr: m.Group, WeOwn: m.WeOwn, OK: ok}.Message()
	case R1Shutdone:
		return wire.NewShutdone()
	}
	return wire.NewMessage(string(m.Type))
}

// readR1 reads an R1 message. ok is false for a type that is not part of
// the R1 protocol; err is set for an R1 type with bad fields.
func readR1(m *wire.Message) (msg R1Msg, ok bool, err error) {
	t := R1Type(m.Type())
	msg.Type = t
	switch t {
	case R1Starting, R1Shutdone:
		return msg, true, nil
	case R1Resource:
		r, err := wire.ReadResources(m)
		if err != nil {
			return msg, true, err
		}
		msg.Full, msg.Info = r.Full, r.Info
		if r.Full {
			msg.Stable = Unstable
			if r.Stable {
				msg.Stable = Stable
			}
		}
		msg.Hold, err = ParseHold(r.Hold)
		return msg, true, err
	case R1AskResources:
		a, err := wire.ReadAskResources(m)
		if err != nil {
			return msg, true, err
		}
		msg.Info = a.Info
		msg.Hold, err = ParseHold(a.Hold)
		return msg, true, err
	case R1Takeover:
		tk, err := wire.ReadTakeover(m)
		if err != nil {
			return msg, true, err
		}
		msg.Hold, err = ParseHold(tk.Hold)
		return msg, true, err
	case R1IPRequest:
		r, err := wire.ReadIPRequest(m)
		msg.Group = r.IPAddr
		if err == nil && r.IPAddr == "" {
			err = fmt.Errorf("reading ip-request: no ipaddr")
		}
		return msg, true, err
	case R1IPRequestResp:
		r, err := wire.ReadIPRequestResp(m)
		msg.Dest, msg.Group, msg.WeOwn, msg.OK = r.Dest, r.IPAddr, r.WeOwn, r.OK == "OK"
		return msg, true, err
	}
	return msg, false, nil
}
