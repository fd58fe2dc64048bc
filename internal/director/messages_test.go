package director

import (
	"net/netip"
	"testing"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// TestMessages pins ldirectord's log lines word for word (ldirectord.in
// _restore_service, _remove_service, _service_up/_down, purge_*, ld_start).
func TestMessages(t *testing.T) {
	vs := ipvs.Service{Key: ipvs.ServiceKey{Proto: ipvs.TCP, Addr: netip.MustParseAddrPort("10.1.1.10:80")}}
	fw := ipvs.Service{Key: ipvs.FWMarkKey(80, false)}
	r := func(w int) ipvs.Real { return ipvs.Real{Addr: netip.MustParseAddrPort("10.0.0.2:80"), Weight: w} }
	v := &ldcf.Virtual{Protocol: "tcp", Addr: netip.MustParseAddrPort("10.1.1.10:80"), FailureCount: 3}
	tests := []struct{ got, want string }{
		{opMessage(Op{Kind: AddReal, Service: vs, Real: r(2), Role: RoleReal}, phaseEvent), "Added real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 2)"},
		{opMessage(Op{Kind: AddReal, Service: vs, Real: r(1), Role: RoleFallback}, phaseEvent), "Added fallback server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)"},
		{opMessage(Op{Kind: UpdateReal, Service: vs, Real: r(1), Role: RoleReal}, phaseEvent), "Restored real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 1)"},
		{opMessage(Op{Kind: UpdateReal, Service: vs, Real: r(0), Role: RoleReal}, phaseEvent), "Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)"},
		{opMessage(Op{Kind: AddReal, Service: vs, Real: r(0), Role: RoleReal}, phaseEvent), "Readd Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)"},
		{opMessage(Op{Kind: AddReal, Service: vs, Real: r(0), Role: RoleReal}, phaseStart), "Quiescent real server: 10.0.0.2:80 (10.1.1.10:80) (Weight set to 0)"},
		{opMessage(Op{Kind: DelReal, Service: vs, Real: r(0), Role: RoleReal}, phaseEvent), "Deleted real server: 10.0.0.2:80 (10.1.1.10:80)"},
		{opMessage(Op{Kind: DelReal, Service: vs, Real: r(0), Role: RoleFallback}, phaseEvent), "Deleted fallback server: 10.0.0.2:80 (10.1.1.10:80)"},
		{opMessage(Op{Kind: DelReal, Service: vs, Real: r(0)}, phaseStart), "Purged real server (start): 10.0.0.2:80 (10.1.1.10:80)"},
		{opMessage(Op{Kind: DelReal, Service: fw, Real: r(0)}, phaseStop), "Purged real server (stop): 10.0.0.2:80 (80)"},
		{opMessage(Op{Kind: AddService, Service: vs}, phaseStart), "Added virtual server: 10.1.1.10:80"},
		{opMessage(Op{Kind: UpdateService, Service: fw}, phaseStart), "Changed virtual server: 80"},
		{opMessage(Op{Kind: DelService, Service: vs}, phaseStop), "Purged virtual server (stop): 10.1.1.10:80"},
		{softFailureMessage(r(1).Addr, v, 2), "Soft failure real server: 10.0.0.2:80 (tcp:10.1.1.10:80) failure 2/3"},
		{resetSoftMessage(r(1).Addr, v), "Resetting soft failure count: 10.0.0.2:80 (tcp:10.1.1.10:80)"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got  %q\nwant %q", tc.got, tc.want)
		}
	}
}

func TestFallbackArgv(t *testing.T) {
	v := &ldcf.Virtual{Protocol: "udp", Addr: netip.MustParseAddrPort("10.1.1.10:53")}
	fw := &ldcf.Virtual{Protocol: "fwm", FWMark: 7}
	tests := []struct {
		name    string
		command string
		v       *ldcf.Virtual
		want    []string
	}{
		{name: "plain", command: "/usr/bin/sorry", v: v, want: []string{"/usr/bin/sorry", "start", "10.1.1.10:53", "udp"}},
		{name: "with args", command: "/usr/bin/sorry -q", v: fw, want: []string{"/usr/bin/sorry", "-q", "start", "7", "fwm"}},
		{name: "shell", command: "/usr/bin/sorry >>/tmp/log 2>&1", v: v,
			want: []string{"/bin/sh", "-c", `/usr/bin/sorry >>/tmp/log 2>&1 "$@"`, "sh", "start", "10.1.1.10:53", "udp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fallbackArgv(tc.command, "start", tc.v)
			if len(got) != len(tc.want) {
				t.Fatalf("argv = %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("argv = %q, want %q", got, tc.want)
				}
			}
		})
	}
}
