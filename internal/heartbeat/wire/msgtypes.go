package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Field names (glue include/ha_msg.h F_*).
const (
	FType        = "t"           // message type
	FSrc         = "src"         // sending node
	FSrcUUID     = "srcuuid"     // sending node's uuid, binary 16 bytes
	FDest        = "dest"        // destination node of a directed message
	FDestUUID    = "destuuid"    // its uuid, binary
	FSeq         = "seq"         // per-sender sequence number, hex
	FGeneration  = "hg"          // heartbeat generation, hex
	FTime        = "ts"          // unix time of sending, hex seconds
	FLoad        = "ld"          // first line of /proc/loadavg
	FTTL         = "ttl"         // hop count, decimal
	FAuth        = "auth"        // inner auth, "<index> <digest>"
	FStatus      = "st"          // node status
	FDeadtime    = "dt"          // sender's deadtime, hex milliseconds
	FProtocol    = "protocol"    // protocol version, decimal
	FInfo        = "info"        // comment
	FResources   = "rsc_hold"    // resources held or asked for
	FRType       = "rtype"       // resource report type, always "full"
	FIsStable    = "isstable"    // "1" or "0"
	FAckSeq      = "ackseq"      // acknowledged seq, hex
	FFirstSeq    = "firstseq"    // NS_rexmit: decimal; NS_nak_rexmit: hex
	FLastSeq     = "lastseq"     // NS_rexmit: decimal
	FNode        = "node"        // node being described (stonith)
	FResult      = "result"      // stonith result
	FNodeList    = "nodelist"    // repnodes: names each followed by a space
	FDelNodeList = "delnodelist" // repnodes: deleted names, " " when none
	FIPAddr      = "ipaddr"      // ip-request(-resp): the resource group
	FWeOwn       = "weown"       // ip-request-resp: "yes" or "no"
	FOK          = "ok"          // ip-request-resp: "OK"
	// What Heartbeat's API stamps on an API client's message before it
	// goes to the cluster (hb_api.c api_process_request,
	// api_send_client_status): the client's id twice, so that only the
	// same client on the receiving node gets it, and its generation.
	FFromID    = "from_id"
	FToID      = "to_id"
	FClientGen = "client_gen"
	// The client status query (cl_status clientstatus; heartbeat.c
	// HBDoMsg_T_QCSTATUS): t=query-cstatus dest cn from_id, answered by
	// t=respond-cstatus dest result=OK cn to_id cs=online|offline.
	FClientName   = "cn"
	FClientStatus = "cs"
	FAPIResult    = "result"
)

// Client status query types and answers.
const (
	TQueryCStatus   = "query-cstatus"
	TRespondCStatus = "respond-cstatus"
	ClientOnline    = "online"
	ClientOffline   = "offline"
)

// Message types (glue include/ha_msg.h T_*; heartbeat lib/*.in scripts).
//
// The R1 (haresources) resource protocol, heartbeat/hb_resource.c; the
// fields listed come after t= in this order, before the control fields:
//
//	starting        (none)                          sent at start; peers reply "resource"
//	resource        rsc_hold rtype=full isstable [info]
//	                rsc_hold: none|local|foreign|all; info e.g. "shutdown",
//	                "req_our_resources()"; the mach_down script sends
//	                rsc_hold=foreign info=mach_down only
//	ask_resources   rsc_hold info                   standby handshake, info: me|other|done
//	hb_takeover     rsc_hold                        hb_takeover(1): all|foreign|local|failback
//	ip-request      ipaddr                          req_resource: please give up group ipaddr
//	ip-request-resp dest ipaddr weown ok            rc.d/ip-request's answer: weown yes|no, ok=OK
//	shutdone        st=dead                         shutdown complete
//	stonith         node result                     result: OK|badhost|bad|n_stnth|unneeded
//
// Membership: reqnodes (dest), repnodes (dest t nodelist delnodelist).
// Types starting with "NS_" carry no seq and no ld and are outside the
// retransmission protocol (heartbeat.c, hb_rexmit.c):
//
//	NS_ackmsg      dest ackseq(hex)
//	NS_rexmit      dest firstseq lastseq           both DECIMAL (ha_msg_add_int), same seq
//	NS_nak_rexmit  firstseq(hex) dest info         the sender cannot resend firstseq
//	NS_st          st=ping info=ping src ts        ping node status
const (
	TStatus        = "status"
	TStarting      = "starting"
	TResource      = "resource"
	TAskResources  = "ask_resources"
	TTakeover      = "hb_takeover"
	TIPRequest     = "ip-request"
	TIPRequestResp = "ip-request-resp"
	TShutdone      = "shutdone"
	TStonith       = "stonith"
	TReqNodes      = "reqnodes"
	TRepNodes      = "repnodes"
	TAck           = "NS_ackmsg"
	TRexmit        = "NS_rexmit"
	TNakRexmit     = "NS_nak_rexmit"
	TNSStatus      = "NS_st"
)

// Node status values (st=).
const (
	StatusInit   = "init"
	StatusUp     = "up"
	StatusActive = "active"
	StatusDead   = "dead"
	StatusPing   = "ping"
)

// Resource hold values (rsc_hold=).
const (
	HoldNone    = "none"
	HoldLocal   = "local"
	HoldForeign = "foreign"
	HoldAll     = "all"
)

// Standby handshake steps (ask_resources info=), hb_resource.c standby_msg.
const (
	StandbyMe    = "me"
	StandbyOther = "other"
	StandbyDone  = "done"
)

// noSeqPrefix marks messages outside the sequence protocol (NOSEQ_PREFIX).
const noSeqPrefix = "NS_"

// Control holds what add_control_msg_fields stamps on every outgoing
// message. The caller supplies the time: this package reads no clock.
type Control struct {
	Node       string              // src
	UUID       [16]byte            // srcuuid
	Seq        uint64              // seq; not sent on NS_ messages
	Generation uint64              // hg
	Now        time.Time           // ts, whole seconds
	Load       string              // ld; not sent on NS_ messages; omitted when ""
	TTL        int                 // ttl, hopfudge + node count
	UUIDs      map[string][16]byte // known nodes, to add destuuid for dest
}

// Stamp adds the control fields to m in Heartbeat's order: destuuid for a
// dest, then src, srcuuid, seq, hg, ts, ld, ttl, each replacing a field of
// the same name in place (ha_msg_mod). NS_ messages get no seq or ld and
// keep control fields they already have (heartbeat ha_msg_internal.c
// add_control_msg_fields). The auth field is Sign's job.
func (c Control) Stamp(m *Message) {
	if dest, ok := m.Get(FDest); ok {
		if u, ok := c.UUIDs[dest]; ok {
			m.SetBinary(FDestUUID, u[:])
		}
	} else if u, ok := m.Binary(FDestUUID); ok {
		for name, v := range c.UUIDs {
			if string(v[:]) == string(u) {
				m.Set(FDest, name)
				break
			}
		}
	}
	noSeq := strings.HasPrefix(m.Type(), noSeqPrefix)
	defaults := []struct {
		name  string
		value string
		bin   bool
		seq   bool
	}{
		{FSrc, c.Node, false, false},
		{FSrcUUID, string(c.UUID[:]), true, false},
		{FSeq, strconv.FormatUint(c.Seq, 16), false, true},
		{FGeneration, strconv.FormatUint(c.Generation, 16), false, false},
		{FTime, strconv.FormatInt(c.Now.Unix(), 16), false, false},
		{FLoad, c.Load, false, true},
		{FTTL, strconv.Itoa(c.TTL), false, false},
	}
	for _, d := range defaults {
		// ha_msg_value sees string fields only, so an NS_ message keeps
		// its own src but gets srcuuid replaced.
		_, has := m.Get(d.name)
		if noSeq && (d.seq || has) || d.name == FLoad && d.value == "" {
			continue
		}
		if d.bin {
			m.set(Field{Name: d.name, Type: TypeBinary, Value: d.value})
		} else {
			m.Set(d.name, d.value)
		}
	}
}

// Header is the control part of a received message.
type Header struct {
	Type       string
	Src        string
	SrcUUID    []byte // nil when absent
	Dest       string // "" when not directed
	Seq        uint64
	HasSeq     bool   // NS_ messages have none
	Generation uint64 // 0 when absent, which the replay check then rejects
	Time       time.Time
	TTL        int
	HasTTL     bool
}

// ReadHeader reads the control fields. Like process_clustermsg it requires
// t, src and ts ("missing from/ts/type"); a seq, hg or ttl that is present
// must parse.
func ReadHeader(m *Message) (Header, error) {
	h := Header{Type: m.Value(FType), Src: m.Value(FSrc), Dest: m.Value(FDest)}
	if h.Type == "" || h.Src == "" || !m.Has(FTime) {
		return Header{}, fmt.Errorf("reading header: missing from/ts/type")
	}
	ts, err := m.Hex(FTime)
	if err != nil || ts == 0 || ts > 1<<62 {
		return Header{}, fmt.Errorf("reading header: bad ts %q", m.Value(FTime))
	}
	h.Time = time.Unix(int64(ts), 0)
	h.SrcUUID, _ = m.Binary(FSrcUUID)
	if m.Has(FSeq) {
		if h.Seq, err = m.Hex(FSeq); err != nil {
			return Header{}, fmt.Errorf("reading header: %w", err)
		}
		h.HasSeq = true
	}
	if m.Has(FGeneration) {
		if h.Generation, err = m.Hex(FGeneration); err != nil {
			return Header{}, fmt.Errorf("reading header: %w", err)
		}
	}
	if m.Has(FTTL) {
		ttl, err := m.Int(FTTL)
		if err != nil {
			return Header{}, fmt.Errorf("reading header: %w", err)
		}
		h.TTL, h.HasTTL = int(ttl), true
	}
	return h, nil
}

func wantType(m *Message, t string) error {
	if got := m.Type(); got != t {
		return fmt.Errorf("reading %s message: message type is %q", t, got)
	}
	return nil
}

// Status is the heartbeat every node sends each keepalive on every link
// (heartbeat.c send_local_status).
type Status struct {
	Status   string        // st: init, up, active, dead
	Deadtime time.Duration // dt, in ms; receivers use it as this node's dead timer; 0 = absent
	Protocol int           // protocol; 1 enables ACKs and flow control; 0 = absent
}

// Message builds t=status st dt [protocol].
func (s Status) Message() *Message {
	m := NewMessage(TStatus)
	m.Add(FStatus, s.Status)
	m.Add(FDeadtime, strconv.FormatInt(s.Deadtime.Milliseconds(), 16))
	if s.Protocol != 0 {
		m.Add(FProtocol, strconv.Itoa(s.Protocol))
	}
	return m
}

// ReadStatus reads a t=status message.
func ReadStatus(m *Message) (Status, error) {
	if err := wantType(m, TStatus); err != nil {
		return Status{}, err
	}
	s := Status{Status: m.Value(FStatus)}
	if m.Has(FDeadtime) {
		ms, err := m.Hex(FDeadtime)
		if err != nil || ms > uint64(time.Duration(1<<62).Milliseconds()) {
			return Status{}, fmt.Errorf("reading status message: bad dt %q", m.Value(FDeadtime))
		}
		s.Deadtime = time.Duration(ms) * time.Millisecond
	}
	if m.Has(FProtocol) {
		p, err := m.Int(FProtocol)
		if err != nil {
			return Status{}, fmt.Errorf("reading status message: %w", err)
		}
		s.Protocol = int(p)
	}
	return s, nil
}

// NewStarting builds t=starting (hb_resource.c hb_send_local_starting).
func NewStarting() *Message { return NewMessage(TStarting) }

// NewShutdone builds t=shutdone st=dead (hb_resource.c).
func NewShutdone() *Message {
	m := NewMessage(TShutdone)
	m.Add(FStatus, StatusDead)
	return m
}

// Resources is a t=resource report. Heartbeat sends the full form
// (hb_resource.c hb_send_resources_held); the mach_down script sends the
// short form t, rsc_hold=foreign, info=mach_down, whose missing isstable
// leaves the receiver's view of the sender's stability unchanged.
type Resources struct {
	Hold   string // none, local, foreign, all
	Full   bool   // rtype=full and isstable are present
	Stable bool   // isstable=1
	Info   string // optional comment; "" = not sent
}

// Message builds t=resource rsc_hold [rtype=full isstable] [info].
func (r Resources) Message() *Message {
	m := NewMessage(TResource)
	m.Add(FResources, r.Hold)
	if r.Full {
		m.Add(FRType, "full")
		m.Add(FIsStable, map[bool]string{true: "1", false: "0"}[r.Stable])
	}
	if r.Info != "" {
		m.Add(FInfo, r.Info)
	}
	return m
}

// ReadResources reads a t=resource message; rsc_hold is required. Full is
// rtype=full, as process_resources tests it.
func ReadResources(m *Message) (Resources, error) {
	if err := wantType(m, TResource); err != nil {
		return Resources{}, err
	}
	hold, ok := m.Get(FResources)
	if !ok {
		return Resources{}, fmt.Errorf("reading resource message: no rsc_hold")
	}
	return Resources{Hold: hold, Full: m.Value(FRType) == "full", Stable: m.Value(FIsStable) == "1",
		Info: m.Value(FInfo)}, nil
}

// AskResources is one step of the standby handshake
// (hb_resource.c send_standby_msg, hb_standby(1)).
type AskResources struct {
	Hold string // all, local, foreign
	Info string // me, other, done
}

// Message builds t=ask_resources rsc_hold info.
func (a AskResources) Message() *Message {
	m := NewMessage(TAskResources)
	m.Add(FResources, a.Hold)
	m.Add(FInfo, a.Info)
	return m
}

// ReadAskResources reads a t=ask_resources message.
func ReadAskResources(m *Message) (AskResources, error) {
	if err := wantType(m, TAskResources); err != nil {
		return AskResources{}, err
	}
	return AskResources{Hold: m.Value(FResources), Info: m.Value(FInfo)}, nil
}

// Takeover is hb_takeover(1)'s request.
type Takeover struct {
	Hold string // all, foreign, local, failback
}

// Message builds t=hb_takeover rsc_hold.
func (t Takeover) Message() *Message {
	m := NewMessage(TTakeover)
	m.Add(FResources, t.Hold)
	return m
}

// ReadTakeover reads a t=hb_takeover message.
func ReadTakeover(m *Message) (Takeover, error) {
	if err := wantType(m, TTakeover); err != nil {
		return Takeover{}, err
	}
	return Takeover{Hold: m.Value(FResources)}, nil
}

// IPRequest asks the peer to give up a resource group (req_resource).
type IPRequest struct {
	IPAddr string // the group's haresources key, e.g. "10.0.0.1/24/eth0"
}

// Message builds t=ip-request ipaddr.
func (r IPRequest) Message() *Message {
	m := NewMessage(TIPRequest)
	m.Add(FIPAddr, r.IPAddr)
	return m
}

// ReadIPRequest reads a t=ip-request message.
func ReadIPRequest(m *Message) (IPRequest, error) {
	if err := wantType(m, TIPRequest); err != nil {
		return IPRequest{}, err
	}
	return IPRequest{IPAddr: m.Value(FIPAddr)}, nil
}

// IPRequestResp answers an ip-request (rc.d/ip-request).
type IPRequestResp struct {
	Dest   string // the requester
	IPAddr string
	WeOwn  bool   // weown=yes|no: the group was held and is now given up
	OK     string // always "OK" from the shipped script
}

// Message builds t=ip-request-resp dest ipaddr weown ok.
func (r IPRequestResp) Message() *Message {
	m := NewMessage(TIPRequestResp)
	m.Add(FDest, r.Dest)
	m.Add(FIPAddr, r.IPAddr)
	m.Add(FWeOwn, map[bool]string{true: "yes", false: "no"}[r.WeOwn])
	m.Add(FOK, r.OK)
	return m
}

// ReadIPRequestResp reads a t=ip-request-resp message.
func ReadIPRequestResp(m *Message) (IPRequestResp, error) {
	if err := wantType(m, TIPRequestResp); err != nil {
		return IPRequestResp{}, err
	}
	return IPRequestResp{Dest: m.Value(FDest), IPAddr: m.Value(FIPAddr),
		WeOwn: m.Value(FWeOwn) == "yes", OK: m.Value(FOK)}, nil
}

// Ack acknowledges every message of Dest up to AckSeq (heartbeat.c send_ack).
type Ack struct {
	Dest   string
	AckSeq uint64
}

// Message builds t=NS_ackmsg dest ackseq(hex).
func (a Ack) Message() *Message {
	m := NewMessage(TAck)
	m.Add(FDest, a.Dest)
	m.Add(FAckSeq, strconv.FormatUint(a.AckSeq, 16))
	return m
}

// Rexmit asks Dest to resend its messages First..Last (hb_rexmit.c
// send_rexmit_request sends one seq: First == Last). The numbers are
// decimal on the wire, unlike every other seq.
type Rexmit struct {
	Dest        string
	First, Last uint64
}

// Message builds t=NS_rexmit dest firstseq lastseq.
func (r Rexmit) Message() *Message {
	m := NewMessage(TRexmit)
	m.Add(FDest, r.Dest)
	m.Add(FFirstSeq, strconv.FormatUint(r.First, 10))
	m.Add(FLastSeq, strconv.FormatUint(r.Last, 10))
	return m
}

// ReadRexmit reads a t=NS_rexmit message; like process_rexmit it wants
// 0 < firstseq <= lastseq.
func ReadRexmit(m *Message) (Rexmit, error) {
	if err := wantType(m, TRexmit); err != nil {
		return Rexmit{}, err
	}
	f, err1 := m.Int(FFirstSeq)
	l, err2 := m.Int(FLastSeq)
	if err1 != nil || err2 != nil || f <= 0 || l <= 0 || f > l {
		return Rexmit{}, fmt.Errorf("reading rexmit: invalid rexmit seqnos %q..%q",
			m.Value(FFirstSeq), m.Value(FLastSeq))
	}
	return Rexmit{Dest: m.Value(FDest), First: uint64(f), Last: uint64(l)}, nil
}

// NakRexmit tells Dest that seq FirstSeq cannot be resent
// (heartbeat.c nak_rexmit); the receiver logs "Irretrievably lost packet".
type NakRexmit struct {
	Dest     string
	FirstSeq uint64
	Info     string // reason
}

// Message builds t=NS_nak_rexmit firstseq(hex) dest info.
func (n NakRexmit) Message() *Message {
	m := NewMessage(TNakRexmit)
	m.Add(FFirstSeq, strconv.FormatUint(n.FirstSeq, 16))
	m.Add(FDest, n.Dest)
	m.Add(FInfo, n.Info)
	return m
}

// ReadNakRexmit reads a t=NS_nak_rexmit message.
func ReadNakRexmit(m *Message) (NakRexmit, error) {
	if err := wantType(m, TNakRexmit); err != nil {
		return NakRexmit{}, err
	}
	seq, err := m.Hex(FFirstSeq)
	if err != nil {
		return NakRexmit{}, fmt.Errorf("reading nak_rexmit: %w", err)
	}
	return NakRexmit{Dest: m.Value(FDest), FirstSeq: seq, Info: m.Value(FInfo)}, nil
}

// NewReqNodes builds t=reqnodes dest, the node-list request a starting
// node sends (heartbeat.c send_reqnodes_msg).
func NewReqNodes(dest string) *Message {
	m := NewMessage(TReqNodes)
	m.Add(FDest, dest)
	return m
}

// RepNodes answers reqnodes with the configured and deleted nodes
// (heartbeat.c HBDoMsg_T_REQNODES).
type RepNodes struct {
	Dest     string
	Nodes    []string
	DelNodes []string
}

// Message builds dest t=repnodes nodelist delnodelist, in that order, each
// name followed by a space and an empty delnodelist sent as " ".
func (r RepNodes) Message() *Message {
	m := &Message{}
	m.Add(FDest, r.Dest)
	m.Add(FType, TRepNodes)
	m.Add(FNodeList, joinNodes(r.Nodes))
	del := joinNodes(r.DelNodes)
	if del == "" {
		del = " "
	}
	m.Add(FDelNodeList, del)
	return m
}

func joinNodes(nodes []string) string {
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(n)
		b.WriteByte(' ')
	}
	return b.String()
}

// PingStatus is the heartbeat a ping medium sends in the payload of an ICMP
// echo request, as if the ping node had sent it (lib/plugins/HBcomm/ping.c
// ping_write): t=NS_st st=ping info=ping src=<ping node> ts=<hex seconds>.
// The echo reply brings it back; it is signed like any message, so a reply
// that verifies proves the request was ours.
type PingStatus struct {
	Src string    // the ping node's name, its address as written in ha.cf
	Now time.Time // ts, whole seconds
}

// InfoPing is the info= comment of a ping node's status (ping.c).
const InfoPing = "ping"

// Message builds t=NS_st st=ping info=ping src ts.
func (p PingStatus) Message() *Message {
	m := NewMessage(TNSStatus)
	m.Add(FStatus, StatusPing)
	m.Add(FInfo, InfoPing)
	m.Add(FSrc, p.Src)
	m.Add(FTime, strconv.FormatInt(p.Now.Unix(), 16))
	return m
}

// ReadPingStatus reads a ping node's t=NS_st message; st and info must say
// ping.
func ReadPingStatus(m *Message) (PingStatus, error) {
	if err := wantType(m, TNSStatus); err != nil {
		return PingStatus{}, err
	}
	if m.Value(FStatus) != StatusPing || m.Value(FInfo) != InfoPing {
		return PingStatus{}, fmt.Errorf("reading ping status: st=%q info=%q (want ping, ping)", m.Value(FStatus), m.Value(FInfo))
	}
	ts, err := m.Hex(FTime)
	if err != nil {
		return PingStatus{}, fmt.Errorf("reading ping status: %w", err)
	}
	return PingStatus{Src: m.Value(FSrc), Now: time.Unix(int64(ts), 0)}, nil
}
