package resources

// This file is pure: it turns the haresources arguments of
// LVSSyncDaemonSwap into a SyncSpec.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// AgentLVSSync is the built-in connection-sync resource, a drop-in for the
// resource.d/LVSSyncDaemonSwap script of Heartbeat 2.x that Ultra Monkey
// pairs used: `LVSSyncDaemonSwap::master`.
const AgentLVSSync = "LVSSyncDaemonSwap"

// Timing of LVSSyncDaemonSwap. The daemon's own defaults are ipvsadm's
// (ipvs.DefaultSyncInterface, ipvs.DefaultSyncID, ipvs.DefaultSyncGroup,
// ipvs.DefaultSyncPort, ipvs.DefaultSyncTTL; maxlen is left to the kernel).
const (
	// DefaultSyncRefresh is the sync_refresh_period set by the resource:
	// every connection that passes a packet is re-sent to the backup at
	// least this often, so a backup started after a connection (a node
	// that rejoins) learns it within one period.
	DefaultSyncRefresh = time.Second
	// SyncFlushTime is how long the kernel may hold a partly filled sync
	// buffer: it sends a buffer older than IPVS_SYNC_FLUSH_TIME (2 s),
	// checked every IPVS_SYNC_CHECK_PERIOD (1 s).
	SyncFlushTime = 3 * time.Second
	// syncPacketGap is how long a slow connection may pass no packet: a
	// refresh is triggered only by the connection's next incoming packet,
	// so a connection at one packet a second is re-sent up to a second
	// after its refresh period ended.
	syncPacketGap = time.Second
	// DefaultSyncSettle bounds the waits of a planned hand-over: the peer's
	// backup must have run for a refresh period, a packet gap and a flush
	// (measured in the VM: a backup started after a connection holds it
	// 0.6-3.1 s later at 2 packets/s), and the group's last sync buffer must
	// be flushed, before the group leaves.
	DefaultSyncSettle = DefaultSyncRefresh + syncPacketGap + SyncFlushTime
)

// SyncSpec is one LVSSyncDaemonSwap resource: which sync daemon the holder
// of the group runs as master (and every other node as backup), and the
// sysctls and hand-over waits that make a move keep connections.
type SyncSpec struct {
	Interface string     // multicast interface
	SyncID    uint8      // sync id (0..255); a backup with 0 accepts every id
	MaxLen    uint16     // the master's sync message size; 0 is the kernel's default
	Group     netip.Addr // multicast group (IPv4 or IPv6)
	Port      uint16     // UDP port
	TTL       uint8      // multicast TTL
	// Refresh is the sync_refresh_period written while the resource runs
	// (whole seconds; 0 leaves the sysctl alone).
	Refresh time.Duration
	// Settle bounds each hand-over wait (0: no wait).
	Settle time.Duration
	// BackupOnly writes backup_only=1: a node whose backup daemon runs does
	// not forward, so a standby that is also a real server (seed S2, DR)
	// never sends traffic back through its own table.
	BackupOnly bool
}

// syncKeys lists the name=value arguments, in the order of the docs.
var syncKeys = []string{"interface", "syncid", "maxlen", "group", "port", "ttl", "refresh", "settle", "backup_only"}

// ParseSyncSpec parses LVSSyncDaemonSwap's arguments:
//
//	master[::IFACE[::SYNCID]][::NAME=VALUE...]
//
// with NAME one of interface, syncid, maxlen, group, port, ttl, refresh,
// settle, backup_only. The first argument is the state the holder runs,
// as the 2.x script took it; only "master" is meaningful (the script's
// "backup" inverted the roles, which no pair wants).
func ParseSyncSpec(args []string) (SyncSpec, error) {
	s := SyncSpec{Interface: ipvs.DefaultSyncInterface, SyncID: ipvs.DefaultSyncID, Group: ipvs.DefaultSyncGroup,
		Port: ipvs.DefaultSyncPort, TTL: ipvs.DefaultSyncTTL, Refresh: DefaultSyncRefresh, Settle: DefaultSyncSettle, BackupOnly: true}
	if len(args) == 0 {
		return s, fmt.Errorf("%s: missing state (want %s::master[::IFACE[::SYNCID]][::NAME=VALUE...])", AgentLVSSync, AgentLVSSync)
	}
	switch args[0] {
	case "master":
	case "backup":
		return s, fmt.Errorf("%s::backup: the node holding the group runs the master daemon and the other node the backup; write %s::master", AgentLVSSync, AgentLVSSync)
	default:
		return s, fmt.Errorf("%s: state %q: want master", AgentLVSSync, args[0])
	}
	settleSet := false
	positional := 0
	for _, a := range args[1:] {
		name, value, named := strings.Cut(a, "=")
		if !named {
			switch positional {
			case 0:
				name = "interface"
			case 1:
				name = "syncid"
			default:
				return s, fmt.Errorf("%s: argument %q: want NAME=VALUE after IFACE and SYNCID (names: %s)", AgentLVSSync, a, strings.Join(syncKeys, ", "))
			}
			positional++
			value = a
		}
		if err := s.set(name, value); err != nil {
			return s, fmt.Errorf("%s: %w", AgentLVSSync, err)
		}
		settleSet = settleSet || name == "settle"
	}
	if !settleSet {
		s.Settle = s.Refresh + syncPacketGap + SyncFlushTime
	}
	if err := s.Daemon(ipvs.SyncMaster).Validate(); err != nil {
		return s, fmt.Errorf("%s: %w", AgentLVSSync, err)
	}
	return s, nil
}

func (s *SyncSpec) set(name, value string) error {
	bad := func(want string) error { return fmt.Errorf("%s=%q: want %s", name, value, want) }
	switch name {
	case "interface":
		if value == "" || len(value) > 15 || strings.ContainsAny(value, "/ \t:") {
			return bad("an interface name of 1 to 15 characters")
		}
		s.Interface = value
	case "syncid":
		n, err := strconv.ParseUint(value, 10, 8)
		if err != nil {
			return bad("a sync id from 0 to 255")
		}
		s.SyncID = uint8(n)
	case "maxlen":
		n, err := strconv.ParseUint(value, 10, 16)
		if err != nil || n == 0 {
			return bad("a message size from 1 to 65535 bytes")
		}
		s.MaxLen = uint16(n)
	case "group":
		a, err := netip.ParseAddr(value)
		if err != nil || !a.IsMulticast() || a.Zone() != "" {
			return bad("a multicast address such as 224.0.0.81 or ff02::81 (the kernel syncs over multicast only)")
		}
		s.Group = a
	case "port":
		n, err := strconv.ParseUint(value, 10, 16)
		if err != nil || n == 0 {
			return bad("a UDP port from 1 to 65535")
		}
		s.Port = uint16(n)
	case "ttl":
		n, err := strconv.ParseUint(value, 10, 8)
		if err != nil || n == 0 {
			return bad("a multicast TTL from 1 to 255")
		}
		s.TTL = uint8(n)
	case "refresh":
		d, err := parseSeconds(value)
		if err != nil {
			return bad("whole seconds (sync_refresh_period), e.g. 1 or 2s; 0 leaves the sysctl alone")
		}
		s.Refresh = d
	case "settle":
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 || d > 5*time.Minute {
			return bad("a duration from 0s to 5m, e.g. 4s")
		}
		s.Settle = d
	case "backup_only":
		switch value {
		case "yes", "1", "on":
			s.BackupOnly = true
		case "no", "0", "off":
			s.BackupOnly = false
		default:
			return bad("yes or no")
		}
	default:
		return fmt.Errorf("unknown argument %q (names: %s)", name, strings.Join(syncKeys, ", "))
	}
	return nil
}

// parseSeconds reads "2" or "2s" as whole seconds (the sysctl's unit).
func parseSeconds(v string) (time.Duration, error) {
	if n, err := strconv.ParseUint(v, 10, 16); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d%time.Second != 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("not whole seconds")
	}
	return d, nil
}

// String is the spec as status shows it: "eth0 syncid 255 224.0.0.81:8848 ttl 1".
func (s SyncSpec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s syncid %d %s ttl %d", s.Interface, s.SyncID, netip.AddrPortFrom(s.Group, s.Port), s.TTL)
	if s.MaxLen != 0 {
		fmt.Fprintf(&b, " maxlen %d", s.MaxLen)
	}
	return b.String()
}

// CheckSyncResources validates every LVSSyncDaemonSwap resource of groups
// at load time, so that a bad argument or a missing interface is a
// configuration error (file:line) and never a surprise at takeover.
// hasIface reports whether a network interface exists.
func CheckSyncResources(file string, groups []Group, hasIface func(string) bool) []error {
	var errs []error
	for _, g := range groups {
		for _, r := range g.Resources {
			if r.Name != AgentLVSSync {
				continue
			}
			spec, err := ParseSyncSpec(r.Args)
			if err == nil && !hasIface(spec.Interface) {
				err = fmt.Errorf("%s: interface %q does not exist on this node", AgentLVSSync, spec.Interface)
			}
			if err != nil {
				errs = append(errs, &Error{File: file, Line: r.Line, Msg: err.Error()})
			}
		}
	}
	return errs
}
