package main

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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
	h.waitKernel("TCP  10.1.1.10:80 mh (mh-fallback,mh-port)\n  -> 192.168.2.236:80             Route   1      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")

	h.checks.set("192.168.2.236:80", false)
	h.waitKernel("TCP  10.1.1.10:80 mh (mh-fallback,mh-port)\n  -> 192.168.2.236:80             Route   0      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")
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

// TestBGPStatusAndMetrics: status (text and JSON) and the metrics show the
// sessions and the routes announced, and follow a withdrawal.
func TestBGPStatusAndMetrics(t *testing.T) {
	h := newHarness(t, bgpConfig)
	h.bgp.Peers = []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	vip := netip.MustParsePrefix("10.1.1.10/32")
	h.checks.set("192.168.2.236:80", true)
	addr := freeAddr(t)
	h.start("--metrics-address", addr)
	h.waitFor("the VIP announced", func() bool { return h.bgp.Announced(vip) })
	h.waitFor("status to show it", func() bool {
		_, out, _ := h.cli("status")
		return strings.Contains(out, "BGP: asn 65001, router id 192.0.2.11, announcing 10.1.1.10/32\n  peer 192.0.2.1 asn 65000: established\n")
	})
	code, out, stderr := h.cli("status", "--json")
	if code != exitOK {
		t.Fatalf("status --json: exit %d, %s", code, stderr)
	}
	var rep struct {
		Status struct {
			Virtuals []json.RawMessage `json:"virtuals"`
			BGP      struct {
				ASN       uint32   `json:"asn"`
				RouterID  string   `json:"router_id"`
				Started   bool     `json:"started"`
				Announced []string `json:"announced"`
				Possible  []string `json:"possible"`
				Sessions  []struct {
					Peer, State string
					ASN         uint32
				} `json:"sessions"`
			} `json:"bgp"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	b := rep.Status.BGP
	if len(rep.Status.Virtuals) != 1 || b.ASN != 65001 || b.RouterID != "192.0.2.11" || !b.Started ||
		!slices.Equal(b.Announced, []string{"10.1.1.10/32"}) || !slices.Equal(b.Possible, []string{"10.1.1.10/32"}) ||
		len(b.Sessions) != 1 || b.Sessions[0].Peer != "192.0.2.1" || b.Sessions[0].State != "established" {
		t.Errorf("status --json:\n%s", out)
	}
	text := scrape(t, addr)
	promtoolCheck(t, text)
	for series, want := range map[string]string{
		`ldirectord_bgp_session_up{peer="192.0.2.1"}`:          "1",
		`ldirectord_bgp_route_announced{route="10.1.1.10/32"}`: "1",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	h.checks.set("192.168.2.236:80", false)
	h.waitFor("the withdrawal in the metrics", func() bool {
		return metricValue(scrape(t, addr), `ldirectord_bgp_route_announced{route="10.1.1.10/32"}`) == "0"
	})
	if _, out, _ := h.cli("status"); !strings.Contains(out, "BGP: asn 65001, router id 192.0.2.11, announcing nothing\n") {
		t.Errorf("status after the withdrawal:\n%s", out)
	}
}

// TestBGPReload: a reload that changes bgp_* restarts the speaker with the
// new settings and announces the current routes again; one that removes
// them withdraws and stops it; one that adds them starts it.
func TestBGPReload(t *testing.T) {
	h := newHarness(t, bgpConfig)
	vip := netip.MustParsePrefix("10.1.1.10/32")
	h.checks.set("192.168.2.236:80", true)
	g := h.start()
	h.waitFor("the VIP announced", func() bool { return h.bgp.Announced(vip) })
	h.bgp.Take()

	writeFile(t, h.cfg, strings.Replace(bgpConfig, "holdtime 3", "holdtime 6", 1))
	if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitLog("bgp_* directives changed: restarting the BGP speaker (its sessions reset)")
	h.waitFor("the VIP announced by the new speaker", func() bool { return h.bgp.Announced(vip) })
	if diff := cmp.Diff([]string{"-10.1.1.10/32", "stop", "start", "+10.1.1.10/32"}, h.bgp.Take()); diff != "" {
		t.Errorf("speaker calls (-want +got):\n%s", diff)
	}
	h.mu.Lock()
	last := h.speakers[len(h.speakers)-1]
	h.mu.Unlock()
	if len(last.Peers) != 1 || last.Peers[0].HoldTime != 6*time.Second {
		t.Errorf("the new speaker's bgp_* %+v, want holdtime 6s", last)
	}

	var plain []string
	for _, l := range strings.Split(bgpConfig, "\n") {
		if !strings.HasPrefix(l, "bgp_") {
			plain = append(plain, l)
		}
	}
	writeFile(t, h.cfg, strings.Join(plain, "\n"))
	if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitLog("bgp_* directives removed: stopping the BGP speaker")
	h.waitFor("the speaker stopped", func() bool { return slices.Contains(h.bgp.Take(), "stop") })
	if _, out, _ := h.cli("status"); strings.Contains(out, "BGP:") {
		t.Errorf("status with bgp_* removed still shows BGP:\n%s", out)
	}

	writeFile(t, h.cfg, bgpConfig)
	if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the VIP announced again", func() bool { return h.bgp.Announced(vip) })
}

func TestSameBGP(t *testing.T) {
	a := ldcf.BGP{ASN: 65001, Line: 2, Peers: []ldcf.BGPPeer{{Line: 4, Addr: netip.MustParseAddr("192.0.2.1"), ASN: 65000, HoldTime: 3 * time.Second}}}
	b := a
	b.Line, b.Peers = 3, []ldcf.BGPPeer{a.Peers[0]}
	b.Peers[0].Line = 5
	if !sameBGP(a, b) {
		t.Error("bgp_* moved to other lines: want the same configuration")
	}
	b.Peers[0].HoldTime = 6 * time.Second
	if sameBGP(a, b) {
		t.Error("another holdtime: want a different configuration")
	}
	if a.Peers[0].Line != 4 {
		t.Error("sameBGP changed its argument")
	}
}

// TestBGPUnreachablePeer runs the real GoBGP speaker against a peer that
// refuses every connection (a closed loopback port): the daemon starts,
// builds the IPVS table and follows the checks as without BGP, logs the
// peer that is not established after two hold times, shows it in status,
// and stops promptly.
func TestBGPUnreachablePeer(t *testing.T) {
	port := strings.TrimPrefix(freeAddr(t), "127.0.0.1:") // nothing listens there
	cfg := strings.Replace(bgpConfig, "bgp_peer = 192.0.2.1 asn 65000 holdtime 3", "bgp_peer = 127.0.0.1 asn 65000 holdtime 3 port "+port, 1)
	h := newHarness(t, cfg)
	h.realSpeaker = true
	h.checks.set("192.168.2.236:80", true)
	h.checks.set("192.168.2.237:80", true)
	g := h.start()
	h.waitKernel("TCP  10.1.1.10:80 mh (mh-fallback,mh-port)\n  -> 192.168.2.236:80             Route   1      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")
	h.checks.set("192.168.2.236:80", false)
	h.waitKernel("TCP  10.1.1.10:80 mh (mh-fallback,mh-port)\n  -> 192.168.2.236:80             Route   0      0          0\n  -> 192.168.2.237:80             Route   1      0          0\n")
	h.waitLog("BGP peer not established: unreachable, or refusing the session")
	_, out, _ := h.cli("status")
	if !strings.Contains(out, "BGP: asn 65001, router id 192.0.2.11, announcing 10.1.1.10/32\n  peer 127.0.0.1 asn 65000: ") ||
		strings.Contains(out, "127.0.0.1 asn 65000: established") {
		t.Errorf("status:\n%s\nwant the route originated and the peer not established", out)
	}
	start := time.Now()
	if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-g.done
	if g.code != exitOK {
		t.Errorf("exit %d, want %d", g.code, exitOK)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stop took %v with the peer unreachable", d)
	}
}
