package ldcf

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testFile is the file name every snippet is parsed as.
const testFile = "ldirectord.cf"

// fakeHosts is the fake resolver's table.
var fakeHosts = map[string][]netip.Addr{
	"sql01":   {netip.MustParseAddr("10.0.1.1")},
	"sql03":   {netip.MustParseAddr("10.0.1.3")},
	"www":     {netip.MustParseAddr("2001:db8::80"), netip.MustParseAddr("10.1.1.10")},
	"v6only":  {netip.MustParseAddr("2001:db8::6")},
	"mapped":  {netip.MustParseAddr("::ffff:10.9.9.9")},
	"web1":    {netip.MustParseAddr("192.168.2.236")},
	"fallbk":  {netip.MustParseAddr("127.0.0.1")},
	"backup6": {netip.MustParseAddr("::1")},
}

// fakeOptions resolves names from fakeHosts and service names from the
// built-in table.
func fakeOptions() Options {
	return Options{
		LookupHost: func(h string) ([]netip.Addr, error) {
			if a, ok := fakeHosts[h]; ok {
				return a, nil
			}
			return nil, errors.New("no such host")
		},
		Hostname: "lb1.example.com",
	}
}

// cmpOpts compares netip values by ==.
var cmpOpts = []cmp.Option{cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{})}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func mustParse(t *testing.T, src string, opt Options) *Config {
	t.Helper()
	c, err := Parse(testFile, []byte(src), opt)
	if err != nil {
		t.Fatalf("Parse: %v\n--- src\n%s", err, src)
	}
	return c
}

// defaultVirtual is what "virtual=10.0.0.1:80" with one
// "real=10.0.0.2:80 gate" yields with no other directive.
func defaultVirtual() *Virtual {
	return &Virtual{
		Line: 1, Text: "10.0.0.1:80", Addr: ap("10.0.0.1:80"), Protocol: "tcp",
		Reals:     []Real{{Line: 2, Text: "10.0.0.2:80", Addr: ap("10.0.0.2:80"), Forward: Gate, Weight: 1}},
		CheckType: CheckNegotiate, Service: "http", Request: "/", HTTPMethod: "GET", CheckCommand: "/bin/true",
		Scheduler: "wrr", NetmaskBits: 32,
		CheckTimeout: 5 * time.Second, NegotiateTimeout: 30 * time.Second, CheckInterval: 10 * time.Second,
		CheckCount: 1, FailureCount: 1, CleanStop: true, EmailAlertStatus: "all",
	}
}

// defaultGlobal is Global with ldirectord 4.12's code defaults.
func defaultGlobal() Global {
	return Global{CheckInterval: 10 * time.Second, CheckCount: 1, FailureCount: 1, LogFile: "/var/log/ldirectord.log",
		EmailAlertStatus: "all", CleanStop: true}
}
