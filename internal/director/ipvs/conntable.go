package ipvs

// A pure parser of the kernel's IPVS connection table as /proc prints it
// (ip_vs_conn_seq_show and ip_vs_conn_sync_seq_show in
// net/netfilter/ipvs/ip_vs_conn.c). procnet.go reads the file.
//
// /proc/net/ip_vs_conn:
//
//	Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//	TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED     899
//
// /proc/net/ip_vs_conn_sync (the same, with Origin instead of the
// persistence-engine columns):
//
//	Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires
//	TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED SYNC       899
//
// An IPv4 address is 8 hex digits of the address in network order (%08X of
// ntohl), an IPv6 one is %pI6 (eight groups of four hex digits); the
// destination has its own family (an IPv4 service may tunnel to an IPv6
// real). Ports are 4 hex digits. Expires is in whole seconds.

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Conn is one entry of the kernel's IPVS connection table: a connection,
// or a persistence template (State "NONE" or "ASSURED", client port 0 for
// a persistent service without port affinity).
type Conn struct {
	// Proto is the IP protocol: TCP, UDP, SCTP; 0 ("IP") for a firewall-mark
	// template. Other protocols keep their number (ICMP 1, ICMPv6 58).
	Proto   Proto
	Client  netip.AddrPort // FromIP:FPrt
	Virtual netip.AddrPort // ToIP:TPrt
	Real    netip.AddrPort // DestIP:DPrt
	// State is the kernel's state name: "ESTABLISHED", "SYN_RECV",
	// "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", ... for TCP, "UDP"
	// for UDP, "NONE" or "ASSURED" for templates.
	State string
	// Origin is "SYNC" for an entry the backup sync daemon created, "LOCAL"
	// for one this node scheduled; empty when read from ip_vs_conn, which
	// does not say.
	Origin string
	// Expires is the time left on the entry's timer.
	Expires time.Duration
	// PEName and PEData are the persistence engine's name and data
	// (ip_vs_conn only; "sip" and its Call-ID), usually empty.
	PEName, PEData string
}

// Origins of a Conn in ip_vs_conn_sync.
const (
	OriginSync  = "SYNC"
	OriginLocal = "LOCAL"
)

// Established reports whether c is a TCP connection in state ESTABLISHED.
func (c Conn) Established() bool { return c.Proto == TCP && c.State == "ESTABLISHED" }

// ParseConns parses the text of /proc/net/ip_vs_conn or
// /proc/net/ip_vs_conn_sync, telling them apart by their header line. name
// (the file) prefixes error messages, with the line number: a malformed
// line fails the whole parse. A table with no entries is an empty,
// non-nil slice.
func ParseConns(name string, text []byte) ([]Conn, error) {
	out := []Conn{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	syncFormat := false
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 {
			f := strings.Fields(s)
			if len(f) < 9 || f[0] != "Pro" || f[1] != "FromIP" {
				return nil, fmt.Errorf("%s:1: not an IPVS connection table header: %q", name, s)
			}
			syncFormat = f[8] == "Origin"
			continue
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		c, err := parseConnLine(s, syncFormat)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s: empty, want at least the header line", name)
	}
	return out, nil
}

// parseConnLine parses one entry line.
func parseConnLine(s string, syncFormat bool) (Conn, error) {
	f := strings.Fields(s)
	want := "9 or more"
	ok := len(f) >= 9
	if syncFormat {
		want, ok = "10", len(f) == 10
	}
	if !ok {
		return Conn{}, fmt.Errorf("%d fields, want %s: %q", len(f), want, s)
	}
	var c Conn
	var err error
	if c.Proto, err = parseConnProto(f[0]); err != nil {
		return Conn{}, err
	}
	for i, dst := range []*netip.AddrPort{&c.Client, &c.Virtual, &c.Real} {
		if *dst, err = parseConnAddrPort(f[1+2*i], f[2+2*i]); err != nil {
			return Conn{}, fmt.Errorf("%s address: %w", [...]string{"client", "virtual", "real"}[i], err)
		}
	}
	c.State = f[7]
	exp := f[8]
	if syncFormat {
		c.Origin, exp = f[8], f[9]
		if c.Origin != OriginSync && c.Origin != OriginLocal {
			return Conn{}, fmt.Errorf("origin %q, want SYNC or LOCAL", c.Origin)
		}
	} else if len(f) > 9 {
		c.PEName, c.PEData = f[9], strings.Join(f[10:], " ")
	}
	secs, err := strconv.ParseUint(exp, 10, 32)
	if err != nil {
		return Conn{}, fmt.Errorf("expires %q is not a number of seconds", exp)
	}
	c.Expires = time.Duration(secs) * time.Second
	return c, nil
}

// parseConnProto maps ip_vs_proto_name's output back to the number.
func parseConnProto(s string) (Proto, error) {
	switch s {
	case "TCP":
		return TCP, nil
	case "UDP":
		return UDP, nil
	case "SCTP":
		return SCTP, nil
	case "IP":
		return 0, nil
	case "ICMP":
		return 1, nil
	case "ICMPv6":
		return 58, nil
	}
	if n, ok := strings.CutPrefix(s, "IP_"); ok {
		if v, err := strconv.ParseUint(n, 10, 8); err == nil {
			return Proto(v), nil
		}
	}
	return 0, fmt.Errorf("unknown protocol %q", s)
}

// parseConnAddrPort parses "C000020B" or "2001:0db8:...:0011" and a
// 4-digit hex port.
func parseConnAddrPort(addr, port string) (netip.AddrPort, error) {
	var a netip.Addr
	if len(addr) == 8 && !strings.Contains(addr, ":") {
		var b [4]byte
		if _, err := hex.Decode(b[:], []byte(addr)); err != nil {
			return netip.AddrPort{}, fmt.Errorf("bad IPv4 hex %q", addr)
		}
		a = netip.AddrFrom4(b)
	} else {
		var err error
		if a, err = netip.ParseAddr(addr); err != nil || !a.Is6() || a.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("bad address %q (want 8 hex digits or an IPv6 address)", addr)
		}
	}
	if len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("bad port %q (want 4 hex digits)", port)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q (want 4 hex digits)", port)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}
