//go:build vm

package ldirectord

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// Reload under load (issue 17 §7): sizes.
const (
	loadReals   = 1000 // reals in the checked service (rs1 is the streamed one, beside them)
	loadReloads = 100
	metricsAddr = "127.0.0.1:9117"
	bulkPort    = 8080
)

// bulkAddr is the i-th (0-based) address of the bulk reals, all in rs1's
// namespace on one /16 the director's bridge also has.
func bulkAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 20, byte(i / 250), byte(i%250 + 1)})
}

// loadConfig has the streamed service (rs1 alone, never changed) and the
// bulk service with loadReals checked reals, scheduled by sched: each
// reload toggles it between wrr and wlc (an edit of the service in place).
func loadConfig(sched string) string {
	var b strings.Builder
	b.WriteString("checktimeout=5\ncheckinterval=5\nfailurecount=3\nquiescent=yes\nautoreload=no\n")
	b.WriteString("virtual=203.0.113.10:80\n\treal=" + rs1 + " masq\n\tchecktype=connect\n\tscheduler=rr\n\tprotocol=tcp\n")
	b.WriteString("virtual=203.0.113.10:8080\n")
	for i := range loadReals {
		fmt.Fprintf(&b, "\treal=%s:%d masq\n", bulkAddr(i), bulkPort)
	}
	b.WriteString("\tchecktype=connect\n\tscheduler=" + sched + "\n\tprotocol=tcp\n")
	return b.String()
}

// procFigures are the daemon's own figures from its metrics endpoint.
type procFigures struct {
	goroutines, fds, rss, heap float64
}

func (f procFigures) String() string {
	return fmt.Sprintf("goroutines %.0f, open fds %.0f, RSS %.1f MiB, heap in use %.1f MiB",
		f.goroutines, f.fds, f.rss/(1<<20), f.heap/(1<<20))
}

// figures reads go_goroutines and go_memstats_heap_inuse_bytes from the
// daemon's metrics endpoint, its open fds and RSS from /proc.
func (l *lab) figures() procFigures {
	l.t.Helper()
	// The emulated CPU makes a scrape of 1001 reals' metrics slow: the
	// endpoint answers 503 past its 10 s; a few tries.
	var body string
	var err error
	for try := 1; try <= 3; try++ {
		ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
		t0 := time.Now()
		body, err = l.Director.Get(ctx, "http://"+metricsAddr+"/metrics")
		cancel()
		if err == nil {
			l.t.Logf("metrics scrape %d took %s", try, time.Since(t0).Round(time.Millisecond))
			break
		}
		l.t.Logf("metrics scrape %d after %s: %v", try, time.Since(t0).Round(time.Millisecond), err)
	}
	var f procFigures
	f.goroutines, f.heap = -1, -1 // unknown unless the scrape answers
	if err != nil {
		l.t.Logf("metrics unavailable (the emulated CPU is too slow for the endpoint's 10 s bound): %v", err)
		body = ""
	}
	want := map[string]*float64{"go_goroutines": &f.goroutines, "go_memstats_heap_inuse_bytes": &f.heap}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if p := want[name]; ok && p != nil {
			*p, _ = strconv.ParseFloat(val, 64)
			delete(want, name)
		}
	}
	if body != "" && len(want) > 0 {
		l.t.Fatalf("metrics lack %v", want)
	}
	pf := daemon.PidFile{Path: filepath.Join(l.rundir, "ldirectord.lab.cf.pid"), Program: "ldirectord"}
	pid, state, err := pf.Check()
	if state != daemon.PidRunning {
		l.t.Fatalf("ldirectord not running: %v", err)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		l.t.Fatal(err)
	}
	f.fds = float64(len(fds))
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		l.t.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			f.rss = kb * 1024
		}
	}
	return f
}

// streamer downloads rs1's stream through the VIP again and again until
// stopped. A download that started (its first line came) and ended before
// its last byte, other than by the stop, is broken; a connection the
// director refused (no real available: rs1 quiesced by a failed check, as
// the emulated CPU makes happen) is counted apart and retried.
type streamer struct {
	mu                    sync.Mutex
	done, broken, refused int
	errs                  []string
	bytes                 int64
	cancel                context.CancelFunc
	wg                    sync.WaitGroup
}

// streamBytes is what a complete download of realServer.stream carries
// after its first line.
const streamBytes = 6000 * 1024

func (l *lab) startStreamer() *streamer {
	ctx, cancel := context.WithCancel(l.ctx)
	s := &streamer{cancel: cancel}
	client := l.Client.HTTPClient(0)
	s.wg.Go(func() {
		for ctx.Err() == nil {
			n, started, err := download(ctx, client, "http://203.0.113.10/stream")
			s.mu.Lock()
			s.bytes += n
			switch {
			case ctx.Err() != nil: // stopped: not a break
			case !started:
				s.refused++
			case err != nil || n != streamBytes:
				s.broken++
				s.errs = append(s.errs, fmt.Sprintf("after %d bytes: %v", n, err))
			default:
				s.done++
			}
			s.mu.Unlock()
			if !started {
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
	return s
}

// download fetches url to the end; started reports whether the first
// line (the real's name) came.
func download(ctx context.Context, c *http.Client, url string) (n int64, started bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		return 0, false, fmt.Errorf("first line: %w", err)
	}
	n, err = io.Copy(io.Discard, br)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, true, err
}

func (s *streamer) stop() (done, broken, refused int, bytes int64, errs []string) {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done, s.broken, s.refused, s.bytes, s.errs
}

// TestReloadUnderLoad: ldirectord with 1001 checked reals (connect checks
// every 5 s, quiescent) is reloaded 100 times, each reload switching the
// bulk service's scheduler (an edit in place), while a client downloads
// through the VIP from a service the reloads leave alone. No download
// breaks; every reload is applied (the scheduler in the kernel); the
// daemon's goroutines, fds and memory do not grow.
//
// It takes about 9 minutes under TCG, beyond the VM stage's per-binary
// timeout, so it is a reliability run, not part of make test-vm: it runs
// only when the VM's run filter names it:
//
//	IPVSVM_PKGS=./test/vm/ldirectord IPVSVM_TIMEOUT=1500 test/vm/run.sh TestReloadUnderLoad
func TestReloadUnderLoad(t *testing.T) {
	if run, _ := os.ReadFile("/etc/vm/run"); !strings.Contains(string(run), "TestReloadUnderLoad") {
		t.Skip("a ~9 min reliability run: test/vm/run.sh TestReloadUnderLoad (docs/reliability.md)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l := newLab(t, ctx, 1)
	rsNS := l.Reals[0]
	l.Director.AddAddr(t, "br0", netip.MustParsePrefix("10.20.255.254/16"))
	for i := range loadReals {
		rsNS.AddAddr(t, "eth0", netip.PrefixFrom(bulkAddr(i), 16))
	}
	rsNS.ServeHTTP(t, netip.AddrPortFrom(netip.IPv4Unspecified(), bulkPort), vmnet.Text("bulk"))
	t.Setenv("LDIRECTORD_METRICS_ADDRESS", metricsAddr)
	l.writeConfig(loadConfig("wrr"))
	start := time.Now()
	if code, out, errOut := l.ld("start"); code != 0 {
		t.Fatalf("ldirectord start = %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	l.waitReals(1+loadReals, "start")
	t.Logf("start: %d reals in the kernel after %s", 1+loadReals, time.Since(start).Round(time.Millisecond))
	rs1Up := ipvsTable{vs: {rs1: "Masq 1"}}
	for deadline := time.Now().Add(60 * time.Second); l.table().only(rs1Up).String() != rs1Up.String(); time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("rs1 not up in the streamed service: %s", l.table().only(rs1Up))
		}
	}
	time.Sleep(15 * time.Second) // three check rounds
	t.Logf("reals up (weight > 0) before the reloads: %d of %d", l.realsUp(), 1+loadReals)
	before := l.figures()
	t.Logf("before the reloads: %v", before)

	s := l.startStreamer()
	t0 := time.Now()
	for i := 1; i <= loadReloads; i++ {
		sched := []string{"wrr", "wlc"}[i%2]
		l.writeConfig(loadConfig(sched))
		if code, out, errOut := l.ld("reload"); code != 0 {
			t.Fatalf("reload %d = %d\nstdout %s\nstderr %s", i, code, out, errOut)
		}
		l.waitSched(sched, fmt.Sprintf("reload %d", i))
	}
	took := time.Since(t0)
	time.Sleep(5 * time.Second)
	done, broken, refused, bytes, errs := s.stop()
	after := l.figures()
	t.Logf("reals up (weight > 0) after the reloads: %d of %d", l.realsUp(), 1+loadReals)
	t.Logf("%d reloads of %d reals in %s (%s each), checks running; downloads through the VIP: %d complete, %d broken, %.1f MiB; %d connections refused while rs1 was quiesced by a failed check",
		loadReloads, 1+loadReals, took.Round(time.Millisecond), (took / loadReloads).Round(time.Millisecond), done, broken, float64(bytes)/(1<<20), refused)
	t.Logf("after the reloads:  %v", after)
	if broken > 0 {
		t.Errorf("%d downloads broke during the reloads: %q", broken, errs)
	}
	if done == 0 && bytes < 1<<20 {
		t.Errorf("the downloads carried %d bytes: the client did not stream", bytes)
	}
	// Growth bounds: a leak of one goroutine or fd per reload would add
	// 100, of one per real and reload 100,000. Checks in flight make the
	// goroutine count move by up to a few hundred between samples.
	if before.goroutines >= 0 && after.goroutines >= 0 && after.goroutines > before.goroutines+400 {
		t.Errorf("goroutines grew from %.0f to %.0f over %d reloads", before.goroutines, after.goroutines, loadReloads)
	}
	if after.fds > before.fds+50 {
		t.Errorf("open fds grew from %.0f to %.0f over %d reloads", before.fds, after.fds, loadReloads)
	}
	if after.rss > 2*before.rss+(32<<20) {
		t.Errorf("RSS grew from %.1f to %.1f MiB over %d reloads", before.rss/(1<<20), after.rss/(1<<20), loadReloads)
	}
	if before.heap >= 0 && after.heap >= 0 && after.heap > 2*before.heap+(16<<20) {
		t.Errorf("heap in use grew from %.1f to %.1f MiB over %d reloads", before.heap/(1<<20), after.heap/(1<<20), loadReloads)
	}
}

// waitReals polls ipvsadm until the table holds n reals, up or quiesced
// (bounded: 5 min; the emulated VM adds them slowly).
func (l *lab) waitReals(n int, what string) {
	l.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	got := 0
	for time.Now().Before(deadline) {
		got = strings.Count(l.ipvsadm("-Ln"), "->") - 1 // the header line has one
		if got == n {
			return
		}
		time.Sleep(time.Second)
	}
	l.t.Fatalf("%s: %d reals in the kernel, want %d", what, got, n)
}

// realsUp counts the reals with a weight above 0.
func (l *lab) realsUp() int {
	up := 0
	for _, line := range strings.Split(l.ipvsadm("-Ln"), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "->" && f[3] != "0" && f[3] != "Weight" {
			up++
		}
	}
	return up
}

// waitSched polls until the bulk service is scheduled by sched.
func (l *lab) waitSched(sched, what string) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(l.ipvsadm("-Ln", "-t", "203.0.113.10:8080"), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "TCP" && f[1] == "203.0.113.10:8080" && f[2] == sched {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.t.Fatalf("%s: 203.0.113.10:8080 never scheduled by %s", what, sched)
}
