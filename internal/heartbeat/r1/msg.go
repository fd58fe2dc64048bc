package r1

import (
	"fmt"
	"strings"
)

// Hold is a set of resource classes, as rsc_hold= says it: "local" is the
// groups whose haresources line names the speaker, "foreign" the others
// (hb_resource.h HB_*_RSC; the values are the same bits).
type Hold uint8

// Hold values.
const (
	HoldNone    Hold = 0
	HoldLocal   Hold = 1
	HoldForeign Hold = 2
	HoldAll     Hold = HoldLocal | HoldForeign
)

// String returns the rsc_hold= word.
func (h Hold) String() string {
	switch h & HoldAll {
	case HoldLocal:
		return "local"
	case HoldForeign:
		return "foreign"
	case HoldAll:
		return "all"
	}
	return "none"
}

// Mirror turns a set in one node's words into the other node's words:
// my "local" is the peer's "foreign". It is also hb_takeover's mapping
// (rc.d/hb_takeover: all→all, local→foreign, foreign→local).
func (h Hold) Mirror() Hold {
	var out Hold
	if h&HoldLocal != 0 {
		out |= HoldForeign
	}
	if h&HoldForeign != 0 {
		out |= HoldLocal
	}
	return out
}

// ParseHold parses an rsc_hold= word. "failback" is hb_standby's alias
// for "foreign".
func ParseHold(s string) (Hold, error) {
	switch strings.ToLower(s) {
	case "none":
		return HoldNone, nil
	case "local":
		return HoldLocal, nil
	case "foreign", "failback":
		return HoldForeign, nil
	case "all":
		return HoldAll, nil
	}
	return HoldNone, fmt.Errorf("parse rsc_hold: %q is not none, local, foreign or all", s)
}

// updHold is HB_UPD_RSC: a full update replaces, a partial one adds, and a
// partial "none" clears.
func updHold(full bool, cur, up Hold) Hold {
	switch {
	case full:
		return up
	case up == HoldNone:
		return HoldNone
	}
	return up | cur
}

// Type is the t= of an R1 resource message (anchors §1.6, §1.9).
type Type string

// Type values, the wire t= words.
const (
	TypeStarting      Type = "starting"
	TypeResource      Type = "resource"
	TypeAskResources  Type = "ask_resources"
	TypeTakeover      Type = "hb_takeover"
	TypeIPRequest     Type = "ip-request"
	TypeIPRequestResp Type = "ip-request-resp"
	TypeShutdone      Type = "shutdone"
)

// Stability is the isstable= field of t=resource, which may be absent
// (the mach_down script sends none).
type Stability int

// Stability values.
const (
	StableAbsent Stability = iota
	Unstable               // isstable=0
	Stable                 // isstable=1
)

// Standby info= words of t=ask_resources.
const (
	InfoMe    = "me"
	InfoOther = "other"
	InfoDone  = "done"
)

// info= words of t=resource.
const (
	// InfoReqOurResources is the comment of the message that 3.0.6's
	// req_our_resources child sends when its acquisition ends
	// (hb_resource.c). The child runs beside the parent, so the message
	// can arrive while the parent is inside a standby handshake, and its
	// rsc_hold= can predate an acquisition the parent started since.
	InfoReqOurResources = "req_our_resources()"
	// InfoNoStandby is hbd's own: the reply of a node that is in no
	// standby handshake to a handshake step (info=other or info=done),
	// which ends the handshake on an hbd peer waiting for its next step
	// (doc.go, improvement 5). Heartbeat 3.0.6 never sends it and reads
	// no t=resource comment from the peer.
	InfoNoStandby = "no_standby"
)

// Message is one R1 message, typed and independent of the wire format. The
// loop encodes it (and adds src, seq, hg...) and decodes the peer's.
type Message struct {
	Type   Type
	Hold   Hold      // rsc_hold: resource, ask_resources, hb_takeover (the sender's words)
	Full   bool      // resource: rtype=full
	Stable Stability // resource: isstable
	Info   string    // resource: info= (optional); ask_resources: me|other|done
	Group  string    // ip-request, ip-request-resp: ipaddr= (the group key)
	Dest   string    // ip-request-resp: dest=
	WeOwn  bool      // ip-request-resp: weown=yes
	OK     bool      // ip-request-resp: ok=OK
}

// resourceMsg is hb_send_resources_held.
func resourceMsg(h Hold, stable bool, info string) Message {
	s := Unstable
	if stable {
		s = Stable
	}
	return Message{Type: TypeResource, Hold: h, Full: true, Stable: s, Info: info}
}
