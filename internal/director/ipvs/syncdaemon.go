package ipvs

// The kernel's IPVS connection-sync daemon: its configuration, validation,
// and the generic-netlink message layout of IPVS_CMD_NEW_DAEMON,
// IPVS_CMD_DEL_DAEMON and IPVS_CMD_GET_DAEMON. This file is pure (no
// socket): syncnetlink.go sends what it encodes here.
//
// Layout (include/uapi/linux/ip_vs.h; policy ip_vs_daemon_policy, filled
// by ip_vs_genl_fill_daemon in net/netfilter/ipvs/ip_vs_ctl.c): after the
// 4-byte generic-netlink header {cmd, version 1, 0, 0} comes one nested
// attribute IPVS_CMD_ATTR_DAEMON holding
//
//	IPVS_DAEMON_ATTR_STATE         1  u32 host order: 1 master, 2 backup
//	IPVS_DAEMON_ATTR_MCAST_IFN     2  NUL-terminated string, at most 15 bytes
//	IPVS_DAEMON_ATTR_SYNC_ID       3  u32 host order (one byte on the wire)
//	IPVS_DAEMON_ATTR_SYNC_MAXLEN   4  u16 host order
//	IPVS_DAEMON_ATTR_MCAST_GROUP   5  4 bytes, network byte order
//	IPVS_DAEMON_ATTR_MCAST_GROUP6  6  16 bytes
//	IPVS_DAEMON_ATTR_MCAST_PORT    7  u16 host order (the kernel does htons)
//	IPVS_DAEMON_ATTR_MCAST_TTL     8  u8
//
// Every attribute is {u16 length, u16 type, value} padded to 4 bytes, the
// length counting header and value but not the padding.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// SyncState is the role of a connection-sync daemon (IP_VS_STATE_MASTER,
// IP_VS_STATE_BACKUP). A node may run one of each at the same time.
type SyncState uint32

// The two daemon roles, with the kernel's values.
const (
	// SyncMaster multicasts the node's connection table.
	SyncMaster SyncState = 1
	// SyncBackup receives a master's messages and creates the connections.
	SyncBackup SyncState = 2
)

// String returns "master" or "backup", the words of ipvsadm
// --start-daemon and of LVSSyncDaemonSwap.
func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// ParseSyncState reads "master" or "backup" (ipvsadm's words).
func ParseSyncState(s string) (SyncState, error) {
	switch s {
	case "master":
		return SyncMaster, nil
	case "backup":
		return SyncBackup, nil
	}
	return 0, fmt.Errorf("bad sync daemon state %q (want master or backup)", s)
}

// ipvsadm's defaults for --start-daemon (ipvsadm 1.31 usage text; the
// group, port, ttl and maxlen ones are also the kernel's own defaults in
// start_sync_thread, net/netfilter/ipvs/ip_vs_sync.c, used when the
// attribute is absent).
const (
	// DefaultSyncInterface is ipvsadm's --mcast-interface.
	DefaultSyncInterface = "eth0"
	// DefaultSyncID is ipvsadm's --syncid.
	DefaultSyncID uint8 = 255
	// DefaultSyncMaxLen is the master's message size: an MTU of 1500 less
	// the IPv4 and UDP headers. A backup defaults to its interface's MTU
	// (at least 1500) less the headers.
	DefaultSyncMaxLen uint16 = 1472
	// DefaultSyncPort is the UDP port; with sync_ports N > 1 the kernel
	// uses ports Port .. Port+N-1.
	DefaultSyncPort uint16 = 8848
	// DefaultSyncTTL is the multicast TTL.
	DefaultSyncTTL uint8 = 1
)

// DefaultSyncGroup is the multicast group, 224.0.0.81.
var DefaultSyncGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})

// SyncDaemon is one connection-sync daemon of a network namespace. In
// Start, zero MaxLen, Group, Port and TTL mean "the kernel's default" (the
// attribute is not sent, as ipvsadm does not send it); Interface and
// SyncID are always sent. Daemons reports the kernel's effective values,
// defaults filled in.
type SyncDaemon struct {
	State SyncState
	// Interface is the multicast interface (IPVS_DAEMON_ATTR_MCAST_IFN):
	// the master sends from its first IPv4 address, the backup listens on
	// it.
	Interface string
	// SyncID tags the master's messages; a backup ignores other ids, except
	// that a backup with SyncID 0 accepts every id.
	SyncID uint8
	// MaxLen is the UDP payload size of a sync message.
	MaxLen uint16
	// Group is the IPv4 or IPv6 multicast group.
	Group netip.Addr
	// Port is the UDP port.
	Port uint16
	// TTL is the multicast TTL (hop limit).
	TTL uint8
}

// DefaultSyncDaemon returns what "ipvsadm --start-daemon STATE" starts:
// interface eth0, syncid 255, the rest left to the kernel (group
// 224.0.0.81, port 8848, ttl 1, master maxlen 1472).
func DefaultSyncDaemon(s SyncState) SyncDaemon {
	return SyncDaemon{State: s, Interface: DefaultSyncInterface, SyncID: DefaultSyncID}
}

// String renders d like ipvsadm --list --daemon: "master sync daemon
// (mcast=eth0, syncid=255, maxlen=1472, group=224.0.0.81, port=8848,
// ttl=1)", leaving out zero optional fields.
func (d SyncDaemon) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s sync daemon (mcast=%s, syncid=%d", d.State, d.Interface, d.SyncID)
	if d.MaxLen != 0 {
		fmt.Fprintf(&b, ", maxlen=%d", d.MaxLen)
	}
	if d.Group.IsValid() {
		fmt.Fprintf(&b, ", group=%s", d.Group)
	}
	if d.Port != 0 {
		fmt.Fprintf(&b, ", port=%d", d.Port)
	}
	if d.TTL != 0 {
		fmt.Fprintf(&b, ", ttl=%d", d.TTL)
	}
	b.WriteString(")")
	return b.String()
}

// MaxSyncInterfaceLen is the longest interface name the kernel takes
// (IFNAMSIZ 16 less the NUL; the policy of IPVS_DAEMON_ATTR_MCAST_IFN).
const MaxSyncInterfaceLen = 15

// Sync message size bounds (start_sync_thread clamps sync_maxlen to
// [min, 65535 - IP and UDP header] without telling; Validate refuses what
// the kernel would change instead).
const (
	minBackupMaxLen = 1024
	udp4HeaderLen   = 20 + 8
	udp6HeaderLen   = 40 + 8
)

// Validate reports the first thing the kernel would refuse or silently
// change in d, in the words a configuration error needs: a state other
// than master or backup, a missing, too long or malformed interface name,
// a group that is not multicast, a maxlen the kernel would clamp.
func (d SyncDaemon) Validate() error {
	if d.State != SyncMaster && d.State != SyncBackup {
		return fmt.Errorf("sync daemon state %d: want master (1) or backup (2)", uint32(d.State))
	}
	if err := validIfName(d.Interface); err != nil {
		return err
	}
	hlen := udp4HeaderLen
	if d.Group.IsValid() {
		g := d.Group
		switch {
		case g.Zone() != "":
			return fmt.Errorf("sync group %s: a zone is not allowed (the interface names it)", g)
		case g.Is4() || g.Is4In6():
			if !g.Unmap().IsMulticast() {
				return fmt.Errorf("sync group %s is not an IPv4 multicast address (want 224.0.0.0/4; the kernel has no unicast sync)", g)
			}
		default:
			if !g.IsMulticast() {
				return fmt.Errorf("sync group %s is not an IPv6 multicast address (want ff00::/8; the kernel has no unicast sync)", g)
			}
			hlen = udp6HeaderLen
		}
	}
	if d.MaxLen != 0 {
		lo := 1
		if d.State == SyncBackup {
			lo = minBackupMaxLen
		}
		if hi := 65535 - hlen; int(d.MaxLen) < lo || int(d.MaxLen) > hi {
			return fmt.Errorf("sync maxlen %d out of range for a %s (want %d-%d, or 0 for the kernel's default)", d.MaxLen, d.State, lo, hi)
		}
	}
	return nil
}

// validIfName applies the kernel's dev_valid_name and the attribute's
// length limit.
func validIfName(s string) error {
	switch {
	case s == "":
		return errors.New("sync daemon needs a multicast interface name")
	case len(s) > MaxSyncInterfaceLen:
		return fmt.Errorf("sync interface %q is %d bytes long (at most %d)", s, len(s), MaxSyncInterfaceLen)
	case s == "." || s == "..":
		return fmt.Errorf("sync interface %q is not a valid interface name", s)
	case strings.ContainsAny(s, "/:\x00") || strings.IndexFunc(s, isSpace) >= 0:
		return fmt.Errorf("sync interface %q is not a valid interface name (no '/', ':', NUL or white space)", s)
	}
	return nil
}

func isSpace(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') }

// Generic-netlink commands and attributes of the sync daemon
// (include/uapi/linux/ip_vs.h).
const (
	ipvsGenlVersion = 1

	cmdNewDaemon = 9
	cmdDelDaemon = 10
	cmdGetDaemon = 11

	cmdAttrDaemon = 3

	daemonAttrState       = 1
	daemonAttrMcastIfn    = 2
	daemonAttrSyncID      = 3
	daemonAttrSyncMaxLen  = 4
	daemonAttrMcastGroup  = 5
	daemonAttrMcastGroup6 = 6
	daemonAttrMcastPort   = 7
	daemonAttrMcastTTL    = 8

	// nlaTypeMask drops NLA_F_NESTED and NLA_F_NET_BYTEORDER.
	nlaTypeMask = 0x3fff
	nlaHdrLen   = 4
)

// attrBuf appends netlink attributes in host byte order.
type attrBuf []byte

func (b attrBuf) add(typ uint16, val []byte) attrBuf {
	var hdr [nlaHdrLen]byte
	binary.NativeEndian.PutUint16(hdr[0:], uint16(nlaHdrLen+len(val)))
	binary.NativeEndian.PutUint16(hdr[2:], typ)
	b = append(b, hdr[:]...)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (b attrBuf) u32(typ uint16, v uint32) attrBuf {
	return b.add(typ, binary.NativeEndian.AppendUint32(nil, v))
}

func (b attrBuf) u16(typ uint16, v uint16) attrBuf {
	return b.add(typ, binary.NativeEndian.AppendUint16(nil, v))
}

// genlHeader is the 4-byte generic-netlink header of an IPVS command.
func genlHeader(cmd uint8) []byte { return []byte{cmd, ipvsGenlVersion, 0, 0} }

// encodeDaemonAttrs returns the nested IPVS_CMD_ATTR_DAEMON for d, with
// the attributes in ipvsadm's order (libipvs ipvs_start_daemon): STATE,
// MCAST_IFN, SYNC_ID, then the optional ones that are set. It does not
// validate d.
func encodeDaemonAttrs(d SyncDaemon) []byte {
	var in attrBuf
	in = in.u32(daemonAttrState, uint32(d.State))
	in = in.add(daemonAttrMcastIfn, append([]byte(d.Interface), 0))
	in = in.u32(daemonAttrSyncID, uint32(d.SyncID))
	if d.MaxLen != 0 {
		in = in.u16(daemonAttrSyncMaxLen, d.MaxLen)
	}
	if g := d.Group; g.IsValid() {
		if g.Is4() || g.Is4In6() {
			a := g.Unmap().As4() // network byte order, as nla_get_in_addr reads it
			in = in.add(daemonAttrMcastGroup, a[:])
		} else {
			a := g.As16()
			in = in.add(daemonAttrMcastGroup6, a[:])
		}
	}
	if d.Port != 0 {
		in = in.u16(daemonAttrMcastPort, d.Port)
	}
	if d.TTL != 0 {
		in = in.add(daemonAttrMcastTTL, []byte{d.TTL})
	}
	return attrBuf(nil).add(cmdAttrDaemon, in)
}

// encodeStartDaemon is the payload (after the netlink header) of
// IPVS_CMD_NEW_DAEMON for d.
func encodeStartDaemon(d SyncDaemon) []byte {
	return append(genlHeader(cmdNewDaemon), encodeDaemonAttrs(d)...)
}

// encodeStopDaemon is the payload of IPVS_CMD_DEL_DAEMON for state s: the
// kernel reads only STATE (ip_vs_genl_del_daemon).
func encodeStopDaemon(s SyncState) []byte {
	in := attrBuf(nil).u32(daemonAttrState, uint32(s))
	return append(genlHeader(cmdDelDaemon), attrBuf(nil).add(cmdAttrDaemon, in)...)
}

// encodeGetDaemons is the payload of the IPVS_CMD_GET_DAEMON dump request.
func encodeGetDaemons() []byte { return genlHeader(cmdGetDaemon) }

// parseAttrs splits b into attributes by type (flags masked off). A
// truncated attribute is an error; a repeated type keeps the last.
func parseAttrs(b []byte) (map[uint16][]byte, error) {
	m := map[uint16][]byte{}
	for len(b) > 0 {
		if len(b) < nlaHdrLen {
			return nil, fmt.Errorf("truncated attribute header (%d bytes)", len(b))
		}
		l := int(binary.NativeEndian.Uint16(b[0:]))
		typ := binary.NativeEndian.Uint16(b[2:]) & nlaTypeMask
		if l < nlaHdrLen || l > len(b) {
			return nil, fmt.Errorf("attribute %d: length %d does not fit in %d bytes", typ, l, len(b))
		}
		m[typ] = b[nlaHdrLen:l]
		l = (l + 3) &^ 3
		if l > len(b) {
			l = len(b)
		}
		b = b[l:]
	}
	return m, nil
}

// decodeDaemon reads one IPVS_CMD_NEW_DAEMON message of a GET_DAEMON dump
// (the payload after the netlink header). STATE, MCAST_IFN and SYNC_ID
// must be there; the others are optional (kernels before 4.3 do not send
// them).
func decodeDaemon(msg []byte) (SyncDaemon, error) {
	if len(msg) < 4 {
		return SyncDaemon{}, fmt.Errorf("sync daemon message of %d bytes has no generic netlink header", len(msg))
	}
	if msg[0] != cmdNewDaemon {
		return SyncDaemon{}, fmt.Errorf("sync daemon message has command %d, want %d (IPVS_CMD_NEW_DAEMON)", msg[0], cmdNewDaemon)
	}
	top, err := parseAttrs(msg[4:])
	if err != nil {
		return SyncDaemon{}, fmt.Errorf("sync daemon message: %w", err)
	}
	nest, ok := top[cmdAttrDaemon]
	if !ok {
		return SyncDaemon{}, errors.New("sync daemon message has no IPVS_CMD_ATTR_DAEMON")
	}
	a, err := parseAttrs(nest)
	if err != nil {
		return SyncDaemon{}, fmt.Errorf("sync daemon attributes: %w", err)
	}
	var d SyncDaemon
	var errs []string
	u := func(typ uint16, name string, size int, required bool, set func([]byte)) {
		v, ok := a[typ]
		switch {
		case !ok && required:
			errs = append(errs, "no "+name)
		case ok && len(v) < size:
			errs = append(errs, fmt.Sprintf("%s has %d bytes, want %d", name, len(v), size))
		case ok:
			set(v)
		}
	}
	u(daemonAttrState, "state", 4, true, func(v []byte) { d.State = SyncState(binary.NativeEndian.Uint32(v)) })
	u(daemonAttrMcastIfn, "interface", 1, true, func(v []byte) {
		if i := strings.IndexByte(string(v), 0); i >= 0 {
			v = v[:i]
		}
		d.Interface = string(v)
	})
	u(daemonAttrSyncID, "syncid", 4, true, func(v []byte) { d.SyncID = uint8(binary.NativeEndian.Uint32(v)) })
	u(daemonAttrSyncMaxLen, "maxlen", 2, false, func(v []byte) { d.MaxLen = binary.NativeEndian.Uint16(v) })
	u(daemonAttrMcastGroup, "group", 4, false, func(v []byte) { d.Group = netip.AddrFrom4([4]byte(v[:4])) })
	u(daemonAttrMcastGroup6, "group6", 16, false, func(v []byte) { d.Group = netip.AddrFrom16([16]byte(v[:16])) })
	u(daemonAttrMcastPort, "port", 2, false, func(v []byte) { d.Port = binary.NativeEndian.Uint16(v) })
	u(daemonAttrMcastTTL, "ttl", 1, false, func(v []byte) { d.TTL = v[0] })
	if len(errs) > 0 {
		return SyncDaemon{}, fmt.Errorf("sync daemon attributes: %s", strings.Join(errs, "; "))
	}
	return d, nil
}

// SatisfiedBy reports whether the running daemon r is what d asks for:
// the same state, interface and sync id, and r's value for each optional
// field d sets (a zero field of d accepts the kernel's default, whatever
// it is).
func (d SyncDaemon) SatisfiedBy(r SyncDaemon) bool {
	return d.State == r.State && d.Interface == r.Interface && d.SyncID == r.SyncID &&
		(d.MaxLen == 0 || d.MaxLen == r.MaxLen) && (!d.Group.IsValid() || d.Group == r.Group) &&
		(d.Port == 0 || d.Port == r.Port) && (d.TTL == 0 || d.TTL == r.TTL)
}

// PlanSync returns the daemons to stop and to start so that the running
// ones (Daemons) become want: a wanted state that does not run is
// started; one that runs with other settings is stopped and started
// again; one that runs as wanted is left alone, and so is a running state
// that is not wanted (someone else's).
func PlanSync(running, want []SyncDaemon) (stop []SyncState, start []SyncDaemon) {
	for _, w := range want {
		i := slices.IndexFunc(running, func(r SyncDaemon) bool { return r.State == w.State })
		switch {
		case i < 0:
			start = append(start, w)
		case !w.SatisfiedBy(running[i]):
			stop = append(stop, w.State)
			start = append(start, w)
		}
	}
	return stop, start
}
