package heartbeat

// Pure: the R1 messages of the ownership machine in their wire form
// (wire/msgtypes.go), both ways.

import (
	"fmt"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// r1Message builds the wire message for m, without control fields.
func r1Message(m r1.Message) *wire.Message {
	switch m.Type {
	case r1.TypeStarting:
		return wire.NewStarting()
	case r1.TypeResource:
		return wire.Resources{Hold: m.Hold.String(), Full: m.Full, Stable: m.Stable == r1.Stable, Info: m.Info}.Message()
	case r1.TypeAskResources:
		return wire.AskResources{Hold: m.Hold.String(), Info: m.Info}.Message()
	case r1.TypeTakeover:
		return wire.Takeover{Hold: m.Hold.String()}.Message()
	case r1.TypeIPRequest:
		return wire.IPRequest{IPAddr: m.Group}.Message()
	case r1.TypeIPRequestResp:
		ok := ""
		if m.OK {
			ok = "OK"
		}
		return wire.IPRequestResp{Dest: m.Dest, IPAddr: m.Group, WeOwn: m.WeOwn, OK: ok}.Message()
	case r1.TypeShutdone:
		return wire.NewShutdone()
	}
	return wire.NewMessage(string(m.Type))
}

// readR1 reads an R1 message. ok is false for a type that is not part of
// the R1 protocol; err is set for an R1 type with bad fields.
func readR1(m *wire.Message) (msg r1.Message, ok bool, err error) {
	t := r1.Type(m.Type())
	msg.Type = t
	switch t {
	case r1.TypeStarting, r1.TypeShutdone:
		return msg, true, nil
	case r1.TypeResource:
		r, err := wire.ReadResources(m)
		if err != nil {
			return msg, true, err
		}
		msg.Full, msg.Info = r.Full, r.Info
		if r.Full {
			msg.Stable = r1.Unstable
			if r.Stable {
				msg.Stable = r1.Stable
			}
		}
		msg.Hold, err = r1.ParseHold(r.Hold)
		return msg, true, err
	case r1.TypeAskResources:
		a, err := wire.ReadAskResources(m)
		if err != nil {
			return msg, true, err
		}
		msg.Info = a.Info
		msg.Hold, err = r1.ParseHold(a.Hold)
		return msg, true, err
	case r1.TypeTakeover:
		tk, err := wire.ReadTakeover(m)
		if err != nil {
			return msg, true, err
		}
		msg.Hold, err = r1.ParseHold(tk.Hold)
		return msg, true, err
	case r1.TypeIPRequest:
		r, err := wire.ReadIPRequest(m)
		msg.Group = r.IPAddr
		if err == nil && r.IPAddr == "" {
			err = fmt.Errorf("reading ip-request: no ipaddr")
		}
		return msg, true, err
	case r1.TypeIPRequestResp:
		r, err := wire.ReadIPRequestResp(m)
		msg.Dest, msg.Group, msg.WeOwn, msg.OK = r.Dest, r.IPAddr, r.WeOwn, r.OK == "OK"
		return msg, true, err
	}
	return msg, false, nil
}
