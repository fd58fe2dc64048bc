package bgp_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// birdRouter is a real BIRD 2 (Debian's bird2) on loopback, standing for
// the upstream router: it listens on a free port of 127.0.0.1 and accepts
// the sessions of the neighbors it is given.
type birdRouter struct {
	t    *testing.T
	sock string
	port uint16
}

// startBIRD starts BIRD with AS 65000 and one passive session per
// neighbor (address -> AS), hold time 3 s.
func startBIRD(t *testing.T, neighbors map[string]uint32) *birdRouter {
	t.Helper()
	bin, err := exec.LookPath("bird")
	if err != nil {
		t.Fatalf("bird not installed (Debian bird2; .ci/run installs it): %v", err)
	}
	dir := t.TempDir()
	port := freePort(t)
	var conf strings.Builder
	// Loopback addresses are host-scope for BIRD, which refuses them as
	// direct neighbors ("Invalid next hop"): the sessions are multihop,
	// and the routes stay unreachable (nothing is forwarded here; the
	// paths and their BGP next hops are what the test reads).
	fmt.Fprintf(&conf, "router id 192.0.2.254;\nprotocol device {}\n")
	i := 0
	for addr, asn := range neighbors {
		i++
		fmt.Fprintf(&conf, "protocol bgp d%d {\n  local 127.0.0.1 port %d as 65000;\n  neighbor %s as %d;\n  passive on;\n  multihop;\n  hold time 3;\n  connect retry time 1;\n  ipv4 { import all; export none; gateway recursive; };\n}\n", i, port, addr, asn)
	}
	cf := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &birdRouter{t: t, sock: filepath.Join(dir, "bird.ctl"), port: port}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-f", "-c", cf, "-s", r.sock, "-P", filepath.Join(dir, "bird.pid"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("bird output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.birdc("show status"); err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("bird did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) uint16 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func (r *birdRouter) birdc(cmd string) (string, error) {
	out, err := exec.Command("birdc", append([]string{"-s", r.sock}, strings.Fields(cmd)...)...).CombinedOutput()
	return string(out), err
}

// routes returns, for each prefix BIRD holds, the BGP next hops of its
// paths (one per director announcing it).
func (r *birdRouter) routes() map[string][]string {
	out, err := r.birdc("show route all")
	if err != nil {
		r.t.Fatalf("birdc show route: %v: %s", err, out)
	}
	got := map[string][]string{}
	var cur string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "/") {
			cur = f[0]
		}
		if f[0] == "BGP.next_hop:" && len(f) > 1 && cur != "" {
			got[cur] = append(got[cur], f[1])
		}
	}
	return got
}

// waitRoute waits until prefix has exactly the next hops want (none: gone)
// and returns how long that took.
func (r *birdRouter) waitRoute(prefix string, bound time.Duration, want ...string) time.Duration {
	r.t.Helper()
	start := time.Now()
	for {
		got := r.routes()[prefix]
		if strings.Join(sorted(got), ",") == strings.Join(sorted(want), ",") {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			proto, _ := r.birdc("show protocols all")
			all, _ := r.birdc("show route all")
			r.t.Fatalf("route %s: next hops %v after %v, want %v\n%s\n%s", prefix, got, bound, want, proto, all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// director returns the bgp_* configuration of a director at local
// (127.0.0.x) with AS asn, peering with r.
func (r *birdRouter) director(local string, asn uint32, hold time.Duration) ldcf.BGP {
	return ldcf.BGP{ASN: asn, RouterID: netip.MustParseAddr(local), Peers: []ldcf.BGPPeer{{
		Addr: netip.MustParseAddr("127.0.0.1"), ASN: 65000, HoldTime: hold, Port: r.port, Local: netip.MustParseAddr(local),
	}}}
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestGoBGPWithBIRD: two directors (GoBGP in process, from 127.0.0.2 and
// .3) announce one VIP to a real BIRD: it holds two paths (ECMP); a
// withdrawal and a stop each remove one path; the other director's stays.
// The times are logged (docs/scale-out.md quotes them).
func TestGoBGPWithBIRD(t *testing.T) {
	r := startBIRD(t, map[string]uint32{"127.0.0.2": 65001, "127.0.0.3": 65002})
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	d1 := bgp.NewGoBGP(r.director("127.0.0.2", 65001, 3*time.Second), logger)
	d2 := bgp.NewGoBGP(r.director("127.0.0.3", 65002, 3*time.Second), logger)
	for _, d := range []*bgp.GoBGP{d1, d2} {
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Stop(context.Background()) })
	}
	vip := netip.MustParsePrefix("10.1.1.10/32")
	start := time.Now()
	for _, d := range []*bgp.GoBGP{d1, d2} {
		if err := d.Announce(ctx, vip); err != nil {
			t.Fatal(err)
		}
	}
	r.waitRoute("10.1.1.10/32", 15*time.Second, "127.0.0.2", "127.0.0.3")
	t.Logf("sessions up and both paths at BIRD %v after the announcements (GoBGP dials at once; connect retry 2 s)", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(logs.String(), "BGP session established") {
		t.Errorf("no session logged:\n%s", logs.String())
	}
	if ss := d1.Sessions(); len(ss) != 1 || !ss[0].Established() || ss[0].Peer != netip.MustParseAddr("127.0.0.1") || ss[0].ASN != 65000 || ss[0].Since.IsZero() {
		t.Errorf("d1's sessions %+v, want 127.0.0.1 AS 65000 established", ss)
	}

	if err := d1.Withdraw(ctx, vip); err != nil {
		t.Fatal(err)
	}
	t.Logf("withdraw: BIRD dropped the path in %v", r.waitRoute("10.1.1.10/32", 5*time.Second, "127.0.0.3").Round(time.Millisecond))
	if err := d1.Announce(ctx, vip); err != nil {
		t.Fatal(err)
	}
	t.Logf("announce on an established session: BIRD had the path in %v", r.waitRoute("10.1.1.10/32", 5*time.Second, "127.0.0.2", "127.0.0.3").Round(time.Millisecond))

	// Stop without a withdrawal: the Cease removes the path.
	if err := d2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop (Cease): BIRD dropped the path in %v", r.waitRoute("10.1.1.10/32", 5*time.Second, "127.0.0.2").Round(time.Millisecond))
	if err := d2.Announce(ctx, vip); err == nil {
		t.Error("Announce after Stop succeeded")
	}
	if ss := d2.Sessions(); len(ss) != 1 || ss[0].Established() {
		t.Errorf("d2's sessions after Stop %+v, want it not established", ss)
	}
}

// TestGoBGPRefusedPeer: a peer that refuses the session (BIRD expects
// another AS) is logged after two hold times; the speaker still takes
// routes (it would announce them once the session comes up).
func TestGoBGPRefusedPeer(t *testing.T) {
	r := startBIRD(t, map[string]uint32{"127.0.0.4": 65099})
	var logs logBuffer
	d := bgp.NewGoBGP(r.director("127.0.0.4", 65004, 3*time.Second), slog.New(slog.NewTextHandler(&logs, nil)))
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	if err := d.Announce(context.Background(), netip.MustParsePrefix("10.1.1.10/32")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "BGP peer not established: unreachable, or refusing the session") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the refusing peer after 10 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := r.routes()["10.1.1.10/32"]; len(got) != 0 {
		t.Errorf("BIRD holds %v from a refused session", got)
	}
	if ss := d.Sessions(); len(ss) != 1 || ss[0].Established() || ss[0].State == "" {
		t.Errorf("sessions %+v, want one, not established", ss)
	}
}

// TestGoBGPDiesWithProcess: the session lives in the speaker's process, so
// when that process is killed (SIGKILL: no withdrawal, no Cease) the
// kernel resets its TCP connection and BIRD drops the route at once, well
// within the hold time. This is what takes a dead director's routes away.
func TestGoBGPDiesWithProcess(t *testing.T) {
	r := startBIRD(t, map[string]uint32{"127.0.0.5": 65005})
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%d", speakerChildEnv, r.port))
	var out logBuffer
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	r.waitRoute("10.1.1.10/32", 15*time.Second, "127.0.0.5")
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	took := r.waitRoute("10.1.1.10/32", 3*time.Second)
	t.Logf("speaker process killed: BIRD dropped its route in %v (hold time 3 s)", took.Round(time.Millisecond))
}
