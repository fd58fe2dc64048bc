package ldcf

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServiceForPort(t *testing.T) {
	tests := []struct {
		port uint16
		want string
	}{
		{21, "ftp"}, {25, "smtp"}, {53, "dns"}, {80, "http"}, {110, "pop"}, {119, "nntp"}, {143, "imap"},
		{389, "ldap"}, {443, "https"}, {587, "submission"}, {636, "ldaps"}, {993, "imaps"}, {995, "pops"},
		{1521, "oracle"}, {1812, "radius"}, {3128, "http_proxy"}, {3306, "mysql"}, {5060, "sip"},
		{5432, "pgsql"}, {0, "none"}, {22, "none"}, {8080, "none"}, {65535, "none"},
	}
	for _, tt := range tests {
		if got := ServiceForPort(tt.port); got != tt.want {
			t.Errorf("ServiceForPort(%d) = %q, want %q", tt.port, got, tt.want)
		}
		if p, ok := PortForService(tt.want); tt.want != "none" && (!ok || p != tt.port) {
			t.Errorf("PortForService(%q) = %d, %v, want %d", tt.want, p, ok, tt.port)
		}
	}
	if _, ok := PortForService("simpletcp"); ok {
		t.Error("PortForService(simpletcp) ok, want no port")
	}
}

func TestBuiltinLookupPort(t *testing.T) {
	for name, want := range map[string]uint16{"http": 80, "www": 80, "https": 443, "ftp": 21, "smtp": 25, "domain": 53,
		"pop3": 110, "nntp": 119, "imap2": 143, "imap": 143, "ldap": 389, "submission": 587, "ldaps": 636, "imaps": 993,
		"pop3s": 995, "mysql": 3306, "postgresql": 5432, "sip": 5060, "radius": 1812, "http-alt": 8080} {
		if got, err := BuiltinLookupPort("tcp", name); err != nil || got != want {
			t.Errorf("BuiltinLookupPort(%q) = %d, %v, want %d", name, got, err, want)
		}
	}
	if _, err := BuiltinLookupPort("tcp", "gopherx"); err == nil {
		t.Error("BuiltinLookupPort(gopherx) succeeded")
	}
}

func TestParseServices(t *testing.T) {
	src := "# comment\nhttp\t\t80/tcp\t\twww\t# WorldWideWeb\nsyslog\t514/udp\nshell\t514/tcp\tcmd syslog\n" +
		"bad\tline\nbad2 x/tcp\nhttp 8080/tcp\nntp 123/udp\n"
	tab, err := ParseServices(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := ServicesTable{
		"tcp": {"http": 80, "www": 80, "shell": 514, "cmd": 514, "syslog": 514},
		"udp": {"syslog": 514, "ntp": 123},
	}
	if diff := cmp.Diff(want, tab); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		proto, name string
		want        uint16
		ok          bool
	}{{"tcp", "www", 80, true}, {"udp", "ntp", 123, true}, {"tcp", "ntp", 0, false}, {"", "ntp", 123, true}, {"", "syslog", 514, true}} {
		got, err := tab.Lookup(tt.proto, tt.name)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("Lookup(%q, %q) = %d, %v, want %d ok=%v", tt.proto, tt.name, got, err, tt.want, tt.ok)
		}
	}
}

// TestLookupPortOption checks that Options.LookupPort is used with the
// virtual's protocol, and tcp then udp for fwmark reals.
func TestLookupPortOption(t *testing.T) {
	var calls []string
	opt := Options{LookupPort: func(proto, name string) (uint16, error) {
		calls = append(calls, proto+"/"+name)
		if proto == "udp" && name == "myservice" {
			return 4242, nil
		}
		return 0, errors.New("unknown")
	}}
	c := mustParse(t, "virtual=10.0.0.1:myservice\n\tprotocol=udp\n\treal=10.0.0.2:myservice gate\nvirtual=3\n\treal=10.0.0.3:myservice gate\n", opt)
	if got := []netip.AddrPort{c.Virtuals[0].Addr, c.Virtuals[0].Reals[0].Addr, c.Virtuals[1].Reals[0].Addr}; got[0] != ap("10.0.0.1:4242") ||
		got[1] != ap("10.0.0.2:4242") || got[2] != ap("10.0.0.3:4242") {
		t.Errorf("addresses %v", got)
	}
	if diff := cmp.Diff([]string{"udp/myservice", "udp/myservice", "tcp/myservice", "udp/myservice"}, calls); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.cf")
	_, err := Load(missing, Options{})
	var e *Error
	if !errors.As(err, &e) || e.File != missing || e.Line != 0 {
		t.Fatalf("Load(missing) = %v, want an *Error for the file", err)
	}
	path := filepath.Join(t.TempDir(), "bad.cf")
	if err := os.WriteFile(path, []byte("checkinterval=5\nquiescent=perhaps\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, Options{})
	if want := path + `:2: quiescent: bad value "perhaps" (want yes or no)`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}
}

// TestSystemOptions uses the real /etc/services and resolver on names that
// need no network (a literal-free lookup of "localhost" reads /etc/hosts).
func TestSystemOptions(t *testing.T) {
	opt := SystemOptions()
	if p, err := opt.LookupPort("tcp", "https"); err != nil || p != 443 {
		t.Errorf("LookupPort(tcp, https) = %d, %v, want 443", p, err)
	}
	if p, err := opt.LookupPort("tcp", "http-alt"); err != nil || p != 8080 {
		t.Errorf("LookupPort(tcp, http-alt) = %d, %v, want 8080", p, err)
	}
	c, err := Parse(testFile, []byte("virtual=localhost:http\n\treal=127.0.0.2:http gate\n"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Virtuals[0].Addr; got != ap("127.0.0.1:80") {
		t.Errorf("localhost:http = %v, want 127.0.0.1:80", got)
	}
	if opt.Hostname == "" {
		t.Error("Hostname is empty")
	}
}
