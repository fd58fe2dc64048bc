package ipvs

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// Lines below follow the kernel's seq_printf formats character for
// character (ip_vs_conn.c): "%-3s %08X %04X %08X %04X %s %04X %-11s
// %7u%s" and, for ip_vs_conn_sync, "... %-11s %-6s %7u".
const connText = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED     899
UDP C6336402 8A3B CB00710A 0035 C000020C 0035 UDP             279
SCTP C6336402 0B59 CB00710A 0B59 C000020B 0B59 ESTABLISHED     900
IP  C6336402 0000 00000000 0000 C000020B 0000 NONE            359
TCP 2001:0db8:0100:0000:0000:0000:0000:0002 B8E6 2001:0db8:0203:0000:0000:0000:0000:0010 0050 2001:0db8:0002:0000:0000:0000:0000:0011 0050 TIME_WAIT         2
UDP C6336402 13C4 CB00710A 13C4 C000020B 13C4 UDP             179 sip a84b4c76e66710@pc33.atlanta.com
`

const connSyncText = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires
TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED SYNC       899
TCP C6336402 A0F4 CB00710A 0050 C000020C 1F90 SYN_RECV    LOCAL       59
TCP CB00710A 0050 CB00710A 0050 2001:0db8:0002:0000:0000:0000:0000:0011 0050 FIN_WAIT    LOCAL      119
`

func TestParseConns(t *testing.T) {
	tests := []struct {
		name, text string
		want       []Conn
	}{
		{"ip_vs_conn", connText, []Conn{
			{Proto: TCP, Client: ap("198.51.100.2:41202"), Virtual: ap("203.0.113.10:80"), Real: ap("192.0.2.11:80"), State: "ESTABLISHED", Expires: 899 * time.Second},
			{Proto: UDP, Client: ap("198.51.100.2:35387"), Virtual: ap("203.0.113.10:53"), Real: ap("192.0.2.12:53"), State: "UDP", Expires: 279 * time.Second},
			{Proto: SCTP, Client: ap("198.51.100.2:2905"), Virtual: ap("203.0.113.10:2905"), Real: ap("192.0.2.11:2905"), State: "ESTABLISHED", Expires: 900 * time.Second},
			{Proto: 0, Client: ap("198.51.100.2:0"), Virtual: ap("0.0.0.0:0"), Real: ap("192.0.2.11:0"), State: "NONE", Expires: 359 * time.Second},
			{Proto: TCP, Client: ap("[2001:db8:100::2]:47334"), Virtual: ap("[2001:db8:203::10]:80"), Real: ap("[2001:db8:2::11]:80"), State: "TIME_WAIT", Expires: 2 * time.Second},
			{Proto: UDP, Client: ap("198.51.100.2:5060"), Virtual: ap("203.0.113.10:5060"), Real: ap("192.0.2.11:5060"), State: "UDP", Expires: 179 * time.Second, PEName: "sip", PEData: "a84b4c76e66710@pc33.atlanta.com"},
		}},
		{"ip_vs_conn_sync", connSyncText, []Conn{
			{Proto: TCP, Client: ap("198.51.100.2:41202"), Virtual: ap("203.0.113.10:80"), Real: ap("192.0.2.11:80"), State: "ESTABLISHED", Origin: OriginSync, Expires: 899 * time.Second},
			{Proto: TCP, Client: ap("198.51.100.2:41204"), Virtual: ap("203.0.113.10:80"), Real: ap("192.0.2.12:8080"), State: "SYN_RECV", Origin: OriginLocal, Expires: 59 * time.Second},
			{Proto: TCP, Client: ap("203.0.113.10:80"), Virtual: ap("203.0.113.10:80"), Real: ap("[2001:db8:2::11]:80"), State: "FIN_WAIT", Origin: OriginLocal, Expires: 119 * time.Second},
		}},
		{"header only", "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n", []Conn{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConns(tt.name, []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("ParseConns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConnsErrors(t *testing.T) {
	const hdr = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
	const shdr = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n"
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "f: empty, want at least the header line"},
		{"no header", "TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED 899\n", "f:1: not an IPVS connection table header"},
		{"short line", hdr + "TCP C6336402 A0F2 CB00710A 0050\n", "f:2: 5 fields, want 9 or more"},
		{"sync line with PE", shdr + "TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED SYNC 899 sip x\n", "f:2: 12 fields, want 10"},
		{"bad hex", hdr + "TCP C633640G A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED 899\n", `f:2: client address: bad IPv4 hex "C633640G"`},
		{"bad v6", hdr + "TCP 2001:0db8::zz 0050 CB00710A 0050 C000020B 0050 ESTABLISHED 899\n", "f:2: client address: bad address"},
		{"short port", hdr + "TCP C6336402 A0F2 CB00710A 050 C000020B 0050 ESTABLISHED 899\n", `f:2: virtual address: bad port "050"`},
		{"bad real port", hdr + "TCP C6336402 A0F2 CB00710A 0050 C000020B 00x0 ESTABLISHED 899\n", `f:2: real address: bad port "00x0"`},
		{"bad proto", hdr + "ERR! C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED 899\n", `f:2: unknown protocol "ERR!"`},
		{"bad origin", shdr + "TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED REMOTE 899\n", `f:2: origin "REMOTE", want SYNC or LOCAL`},
		{"bad expires", hdr + "TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED -1\n", `f:2: expires "-1" is not a number of seconds`},
		{"third line", hdr + "TCP C6336402 A0F2 CB00710A 0050 C000020B 0050 ESTABLISHED 1\nTCP\n", "f:3: 1 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConns("f", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConns = %v, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}
}

// TestParseConnsCaptured parses tables captured from the VM's kernel
// (Debian's 6.1 cloud kernel, by TestVMSyncConnection): a master's
// ip_vs_conn and a backup's ip_vs_conn_sync.
func TestParseConnsCaptured(t *testing.T) {
	files, err := filepath.Glob("testdata/ip_vs_conn*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured tables in testdata (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		conns, err := ParseConns(f, b)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(strings.TrimSpace(string(b)), "\n")
		if len(conns) != lines || lines == 0 {
			t.Errorf("%s: %d entries from %d lines", f, len(conns), lines)
		}
		for _, c := range conns {
			if !c.Client.IsValid() || !c.Virtual.IsValid() || !c.Real.IsValid() || c.State == "" {
				t.Errorf("%s: incomplete entry %+v", f, c)
			}
			if strings.Contains(f, "sync") != (c.Origin != "") {
				t.Errorf("%s: origin %q in the wrong format", f, c.Origin)
			}
		}
	}
}

// TestParseConnsBackupCapture pins one capture entry by entry: a backup's
// table with a persistence template, its connection, and IPv6 and IPv4
// connections, all created by the sync daemon.
func TestParseConnsBackupCapture(t *testing.T) {
	b, err := os.ReadFile("testdata/ip_vs_conn_sync_backup.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConns("backup", b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Conn{
		{Proto: TCP, Client: ap("198.51.100.2:0"), Virtual: ap("203.0.113.10:8081"), Real: ap("192.0.2.11:8080"), State: "ASSURED", Origin: OriginSync, Expires: 299 * time.Second},
		{Proto: TCP, Client: ap("198.51.100.2:33922"), Virtual: ap("203.0.113.10:8081"), Real: ap("192.0.2.11:8080"), State: "ESTABLISHED", Origin: OriginSync, Expires: 899 * time.Second},
		{Proto: TCP, Client: ap("[2001:db8:100::2]:44372"), Virtual: ap("[2001:db8:203::10]:8080"), Real: ap("[2001:db8:2::11]:8080"), State: "ESTABLISHED", Origin: OriginSync, Expires: 897 * time.Second},
		{Proto: TCP, Client: ap("198.51.100.2:55018"), Virtual: ap("203.0.113.10:8080"), Real: ap("192.0.2.11:8080"), State: "ESTABLISHED", Origin: OriginSync, Expires: 897 * time.Second},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("ParseConns (-want +got):\n%s", diff)
	}
	n := 0
	for _, c := range got {
		if c.Established() {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d established connections, want 3 (the template is not one)", n)
	}
}

func TestReadConnsHost(t *testing.T) {
	_, statErr := os.Stat("/proc/net/ip_vs")
	conns, err := ReadConns()
	if statErr == nil {
		if err != nil {
			t.Fatalf("ReadConns with IPVS: %v", err)
		}
		return
	}
	if !errors.Is(err, ErrNoIPVS) {
		t.Fatalf("ReadConns without IPVS = %v, %v; want ErrNoIPVS", conns, err)
	}
}

func FuzzParseConns(f *testing.F) {
	f.Add([]byte(connText))
	f.Add([]byte(connSyncText))
	f.Fuzz(func(t *testing.T, b []byte) {
		conns, err := ParseConns("fuzz", b)
		if err != nil {
			return
		}
		for _, c := range conns {
			if !c.Client.Addr().IsValid() || !c.Virtual.Addr().IsValid() || !c.Real.Addr().IsValid() {
				t.Fatalf("accepted an entry without addresses: %+v", c)
			}
		}
	})
}
