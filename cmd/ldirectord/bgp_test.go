package main

import (
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

const bgpConfig = `checkinterval=1
bgp_asn = 65001
bgp_router_id = 192.0.2.11
bgp_peer = 192.0.2.1 asn 65000 holdtime 3
virtual=10.1.1.10:80
	real=192.168.2.236:80 gate
	real=192.168.2.237:80 gate
	checktype=connect
	scheduler=mh
	schedflags=mh-port,mh-fallback
	quiescent=yes
`

// TestBGPDaemon: the daemon announces the VIP through its speaker once a
// real is up, keeps it while one real of two fails, withdraws it when the
// last fails, and on stop withdraws and closes the sessions.
func TestBGPDaemon(t *testing.T) {
	h := newHarness(t, bgpConfig)
	vip := netip.MustParsePrefix("10.1.1.10/32")
	h.checks.set("192.168.2.236:80", true)
	h.checks.set("192.168.2.237:80", true)
	g := h.start()
	h.waitFor("the VIP announced", func() bool { return h.bgp.Announced(vip) })
	h.waitKernel("TCP  10.1.1.10:80 mh mh-fallback,mh-port\n  -> 192.168.2.236:80             Route   1      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")

	h.checks.set("192.168.2.236:80", false)
	h.waitKernel("TCP  10.1.1.10:80 mh mh-fallback,mh-port\n  -> 192.168.2.236:80             Route   0      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")
	if !h.bgp.Announced(vip) {
		t.Error("the VIP was withdrawn while a real is up")
	}
	h.checks.set("192.168.2.237:80", false)
	h.waitFor("the VIP withdrawn", func() bool { return !h.bgp.Announced(vip) })
	h.waitLog("withdrawing route 10.1.1.10/32")
	h.checks.set("192.168.2.237:80", true)
	h.waitFor("the VIP announced again", func() bool { return h.bgp.Announced(vip) })

	if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-g.done
	calls := h.bgp.Take()
	if n := len(calls); n < 2 || calls[n-2] != "-10.1.1.10/32" || calls[n-1] != "stop" {
		t.Errorf("speaker calls end %q, want the withdrawal then stop", calls)
	}
	if i := slices.Index(calls, "start"); i != 0 {
		t.Errorf("speaker calls %q, want start first", calls)
	}
}

// TestBGPCheck: check prints the speaker's plan, and refuses malformed
// bgp_* values with file:line and exit 2.
func TestBGPCheck(t *testing.T) {
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good.cf")
	writeFile(t, good, bgpConfig)
	var out, errb strings.Builder
	if code := run([]string{good, "check"}, &out, &errb, deps{Options: &ldcf.Options{}, Checkers: allChecks()}); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	want := `BGP: asn 65001, router id 192.0.2.11 (GoBGP in process)
  peer 192.0.2.1 asn 65000 holdtime 3s port 179
  announces 10.1.1.10/32 while a real server of it is up
`
	if got := out.String(); !strings.HasSuffix(got, want) {
		t.Errorf("check output:\n%s\nwant it to end with:\n%s", got, want)
	}
	for _, tc := range []struct{ name, line, want string }{
		{"asn", "bgp_asn = 0", ":2: bgp_asn: bad value \"0\""},
		{"peer", "bgp_peer = router asn 65000", ":4: bgp_peer: bad peer address \"router\""},
		{"holdtime", "bgp_peer = 192.0.2.1 asn 65000 holdtime 1", ":4: bgp_peer: holdtime: bad value \"1\" (want seconds 3-65535)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(bgpConfig, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, strings.SplitN(tc.line, " ", 2)[0]+" ") {
					lines[i] = tc.line
				}
			}
			bad := filepath.Join(tmp, tc.name+".cf")
			writeFile(t, bad, strings.Join(lines, "\n"))
			var out, errb strings.Builder
			code := run([]string{bad, "check"}, &out, &errb, deps{Options: &ldcf.Options{}, Checkers: allChecks()})
			if code != exitConfig || !strings.Contains(errb.String(), bad+tc.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, errb.String(), exitConfig, bad+tc.want)
			}
			if diff := cmp.Diff("", out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}
