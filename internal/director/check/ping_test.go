package check

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

func fixed(s string) func(testing.TB) netip.AddrPort {
	return func(testing.TB) netip.AddrPort { return netip.MustParseAddrPort(s) }
}

func TestPingLoopback(t *testing.T) {
	cases := []checkCase{
		{name: "ipv4 loopback answers", server: fixed("127.0.0.1:0"), wantUp: true},
		{name: "ipv6 loopback answers", server: fixed("[::1]:0"), wantUp: true},
		{name: "several attempts, first answers", server: fixed("127.0.0.1:0"), target: func(t *Target) { t.CheckCount = 3 }, wantUp: true},
	}
	runCases(t, Ping{}, Target{Options: &Options{Type: ldcf.CheckPing}}, cases)
	t.Run("connect of a udp virtual pings", func(t *testing.T) {
		runCases(t, Connect{}, Target{Options: &Options{Type: ldcf.CheckConnect, Protocol: "udp"}}, []checkCase{
			{name: "udp real on loopback", server: fixed("127.0.0.1:53"), wantUp: true},
		})
	})
}

// enterNetns moves the calling goroutine, locked to its thread for good
// (the thread ends with the goroutine), into a new network namespace with
// lo up, and writes the given sysctls (path under /proc/sys/net → value)
// there. Root only.
func enterNetns(t *testing.T, loUp bool, sysctls map[string]string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	runtime.LockOSThread()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("new netns: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	if loUp {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatalf("lo: %v", err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatalf("lo up: %v", err)
		}
	}
	for path, v := range sysctls {
		if err := os.WriteFile("/proc/sys/net/"+path, []byte(v), 0o644); err != nil {
			t.Fatalf("sysctl %s: %v", path, err)
		}
	}
}

func TestPingNetns(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		loUp    bool
		sysctls map[string]string
		count   int
		wantErr string
	}{
		{name: "ipv4 echo ignored: timeout", addr: "127.0.0.1", loUp: true, sysctls: map[string]string{"ipv4/icmp_echo_ignore_all": "1"}, wantErr: "ping: no reply: timeout"},
		{name: "ipv4 echo ignored, 2 attempts", addr: "127.0.0.1", loUp: true, count: 2, sysctls: map[string]string{"ipv4/icmp_echo_ignore_all": "1"}, wantErr: "ping: no reply: timeout (2 attempts)"},
		{name: "ipv6 echo ignored: timeout", addr: "::1", loUp: true, sysctls: map[string]string{"ipv6/icmp/echo_ignore_all": "1"}, wantErr: "ping: no reply: timeout"},
		{name: "lo down: unreachable", addr: "127.0.0.1", wantErr: "ping: network is unreachable"},
		{name: "answers in the namespace", addr: "127.0.0.1", loUp: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enterNetns(t, tc.loUp, tc.sysctls)
			target := Target{Real: netip.AddrPortFrom(netip.MustParseAddr(tc.addr), 0), Options: &Options{Type: ldcf.CheckPing, Timeout: 300 * time.Millisecond, CheckCount: tc.count}}
			before := runtime.NumGoroutine()
			got := Ping{}.Check(context.Background(), target)
			t.Logf("Err: %q", got.Err)
			if got.Up != (tc.wantErr == "") || got.Err != tc.wantErr {
				t.Errorf("Check = {Up: %v, Err: %q}, want Err %q", got.Up, got.Err, tc.wantErr)
			}
			if got.Duration > target.Budget()+2*time.Second {
				t.Errorf("Check took %s, beyond its deadline %s", got.Duration, target.Budget())
			}
			waitGoroutines(t, before)
		})
	}
}
