//go:build vm

package ldirectord

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/test/e2e"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// binary is the ldirectord under test (run.sh puts `make build`'s there).
const binary = "/opt/bin/ldirectord"

// lab is a vmnet.Lab with stoppable HTTP servers on the reals and an
// ldirectord instance whose config and run dir are the test's.
type lab struct {
	*vmnet.Lab
	t      *testing.T
	ctx    context.Context
	dir    string
	cfg    string // config path
	rundir string
	maint  string // maintenancedir
	reals  []*realServer
}

func newLab(t *testing.T, ctx context.Context, nreals int) *lab {
	t.Helper()
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("%s missing (make build before run.sh): %v", binary, err)
	}
	l := &lab{Lab: vmnet.NewLab(t, vmnet.LabConfig{Reals: nreals}), t: t, ctx: ctx, dir: t.TempDir()}
	l.cfg = filepath.Join(l.dir, "lab.cf")
	l.rundir = filepath.Join(l.dir, "run")
	l.maint = filepath.Join(l.dir, "maintenance")
	for _, d := range []string{l.rundir, l.maint} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, ns := range l.Reals {
		rs := &realServer{name: l.RealNames[i], ns: ns, addr: netip.AddrPortFrom(l.RealAddrs[i], 80)}
		rs.start(t)
		t.Cleanup(rs.stop)
		l.reals = append(l.reals, rs)
	}
	t.Cleanup(l.cleanup)
	return l
}

// cleanup stops the daemon even when the test failed half-way, and kills
// it if stop could not.
func (l *lab) cleanup() {
	pf := daemon.PidFile{Path: filepath.Join(l.rundir, "ldirectord.lab.cf.pid"), Program: "ldirectord"}
	pid, state, _ := pf.Check()
	if state != daemon.PidRunning {
		return
	}
	if code, _, stderr := l.ld("stop"); code != 0 {
		l.t.Errorf("cleanup: ldirectord stop = %d (%s); killing pid %d", code, stderr, pid)
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
	if l.t.Failed() {
		if b, err := os.ReadFile(filepath.Join(l.dir, "ldirectord.log")); err == nil {
			l.t.Logf("ldirectord log:\n%s", b)
		}
	}
}

// writeConfig writes the lab's config; logfile and maintenancedir point
// into the test dir (lines 1 and 2).
func (l *lab) writeConfig(body string) {
	l.t.Helper()
	text := fmt.Sprintf("logfile=%q\nmaintenancedir=%s\n%s", filepath.Join(l.dir, "ldirectord.log"), l.maint, body)
	fi, statErr := os.Stat(l.cfg)
	if err := os.WriteFile(l.cfg, []byte(text), 0o644); err != nil {
		l.t.Fatal(err)
	}
	if statErr == nil { // a later mtime, so autoreload sees the edit whatever the clock granularity
		later := fi.ModTime().Add(time.Second)
		if err := os.Chtimes(l.cfg, later, later); err != nil {
			l.t.Fatal(err)
		}
	}
}

// ld runs the real binary (in the director namespace) with the lab's run
// dir and config, and returns its exit code and output.
func (l *lab) ld(args ...string) (code int, stdout, stderr string) {
	l.t.Helper()
	// Not l.ctx: cleanup stops the daemon after the test's context ended.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, append([]string{"--rundir", l.rundir, l.cfg}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := l.Director.Start(cmd); err != nil {
		l.t.Fatalf("start %s: %v", binary, err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		l.t.Fatalf("%s %q: %v", binary, args, err)
	}
	return code, out.String(), errb.String()
}

// ipvsadm runs ipvsadm in the director namespace.
func (l *lab) ipvsadm(args ...string) string {
	l.t.Helper()
	out, err := l.Director.Run(l.ctx, "/opt/bin/ipvsadm", args...)
	if err != nil {
		l.t.Fatal(err)
	}
	return string(out)
}

// table is the director's IPVS table as ipvsadm -Ln shows it.
func (l *lab) table() ipvsTable {
	l.t.Helper()
	t, err := parseIpvsadm(l.ipvsadm("-Ln"))
	if err != nil {
		l.t.Fatal(err)
	}
	return t
}

// waitTable polls ipvsadm -Ln until it equals want (bounded: 60 s, the VM
// emulates its CPU) and fails the test otherwise.
func (l *lab) waitTable(what string, want ipvsTable) {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := l.table()
		if got.String() == want.String() {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: ipvsadm -Ln never became\n%s\nlast seen:\n%s", what, want, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tally makes n requests to url from the client, one connection each.
func (l *lab) tally(url string, n int) map[string]int {
	l.t.Helper()
	got, err := l.Tally(l.ctx, url, n)
	if err != nil {
		l.t.Fatalf("%v (answers so far %v)", err, got)
	}
	return got
}

// realServer is one real's HTTP server whose listener can be closed
// (its check then fails) while the connections it accepted keep going.
type realServer struct {
	name string
	ns   *vmnet.NS
	addr netip.AddrPort

	mu   sync.Mutex
	ln   net.Listener
	srvs []*http.Server
}

func (rs *realServer) start(t *testing.T) {
	t.Helper()
	ln, err := rs.ns.Listen("tcp", rs.addr.String())
	if err != nil {
		t.Fatalf("listen in %s: %v", rs.name, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", vmnet.Text(rs.name))
	mux.HandleFunc("/stream", rs.stream)
	mux.HandleFunc(e2e.SlowPath, func(w http.ResponseWriter, r *http.Request) { e2e.ServeSlow(rs.name, w, r) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	rs.mu.Lock()
	rs.ln, rs.srvs = ln, append(rs.srvs, srv)
	rs.mu.Unlock()
	go srv.Serve(ln)
}

// closeListener stops accepting; accepted connections keep being served.
func (rs *realServer) closeListener() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.ln != nil {
		rs.ln.Close()
		rs.ln = nil
	}
}

func (rs *realServer) stop() {
	rs.closeListener()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, s := range rs.srvs {
		s.Close()
	}
}

// stream answers the real's name on the first line, then 1 KiB every
// 20 ms for up to two minutes: a long download whose progress the client
// watches.
func (rs *realServer) stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	fmt.Fprintf(w, "%s\n", rs.name)
	fl := w.(http.Flusher)
	fl.Flush()
	chunk := bytes.Repeat([]byte("x"), 1024)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range 6000 {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
		fl.Flush()
	}
}

// stream is a client download in progress.
type stream struct {
	real   string // who answered
	cancel context.CancelFunc
	read   atomic.Int64
	done   chan struct{}
	err    error // set before done closes
}

// openStream starts a download of url/stream from the client namespace.
func (l *lab) openStream(url string) (*stream, error) {
	ctx, cancel := context.WithCancel(l.ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"stream", nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := l.Client.HTTPClient(0).Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	br := bufio.NewReader(resp.Body)
	name, err := br.ReadString('\n')
	if err != nil {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("reading the stream's first line: %w", err)
	}
	s := &stream{real: strings.TrimSpace(name), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := br.Read(buf)
			s.read.Add(int64(n))
			if err != nil {
				s.err = err
				return
			}
		}
	}()
	l.t.Cleanup(func() { cancel(); <-s.done })
	return s, nil
}

// streamTo opens downloads until one is served by real name (the others
// are closed); at most 8 tries.
func (l *lab) streamTo(url, name string) *stream {
	l.t.Helper()
	for range 8 {
		s, err := l.openStream(url)
		if err != nil {
			l.t.Fatal(err)
		}
		if s.real == name {
			return s
		}
		s.cancel()
		<-s.done
	}
	l.t.Fatalf("no download of %s landed on %s in 8 tries", url, name)
	return nil
}

// flowing checks that at least 20 KiB more arrive within 30 s.
func (s *stream) flowing(t *testing.T, when string) {
	t.Helper()
	start := s.read.Load()
	deadline := time.Now().Add(30 * time.Second)
	for s.read.Load() < start+20<<10 {
		select {
		case <-s.done:
			t.Fatalf("%s: the download from %s ended: %v (after %d bytes)", when, s.real, s.err, s.read.Load())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the download from %s stalled at %d bytes", when, s.real, s.read.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ipvsTable is an ipvsadm -Ln table: service line (fields joined by one
// space) → real address → "Forward Weight".
type ipvsTable map[string]map[string]string

// parseIpvsadm reads ipvsadm -Ln output (connection counters ignored)
// with the project's one reader of that text, ipvs.ParseText.
func parseIpvsadm(text string) (ipvsTable, error) {
	entries, err := ipvs.ParseText(text)
	if err != nil {
		return nil, fmt.Errorf("ipvsadm -Ln: %w", err)
	}
	t := ipvsTable{}
	for _, e := range entries {
		svc := strings.Join(strings.Fields(ipvs.ServiceLine(e.Service)), " ")
		t[svc] = map[string]string{}
		for _, r := range e.Reals {
			t[svc][r.Addr.String()] = r.Forward.String() + " " + strconv.Itoa(r.Weight)
		}
	}
	return t, nil
}

// only returns the services of t named in keep.
func (t ipvsTable) only(keep ipvsTable) ipvsTable {
	out := ipvsTable{}
	for s := range keep {
		if r, ok := t[s]; ok {
			out[s] = r
		}
	}
	return out
}

// String renders t sorted, for comparison and messages.
func (t ipvsTable) String() string {
	var lines []string
	for s, reals := range t {
		lines = append(lines, s)
		for a, v := range reals {
			lines = append(lines, s+" -> "+a+" "+v)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// statusTable parses `ldirectord status --json` into the reals it says
// are in the kernel, in ipvsTable form.
func statusTable(out string) (ipvsTable, error) {
	var rep struct {
		Running bool `json:"running"`
		Status  struct {
			Virtuals []struct {
				Service string `json:"service"`
				Reals   []struct {
					Addr         string `json:"addr"`
					Forward      string `json:"forward"`
					KernelWeight *int   `json:"kernel_weight"`
				} `json:"reals"`
			} `json:"virtuals"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return nil, fmt.Errorf("status --json: %w\n%s", err, out)
	}
	if !rep.Running {
		return nil, fmt.Errorf("status --json says not running:\n%s", out)
	}
	t := ipvsTable{}
	for _, v := range rep.Status.Virtuals {
		svc := strings.Join(strings.Fields(v.Service), " ")
		t[svc] = map[string]string{}
		for _, r := range v.Reals {
			if r.KernelWeight != nil {
				t[svc][r.Addr] = r.Forward + " " + strconv.Itoa(*r.KernelWeight)
			}
		}
	}
	return t, nil
}

// statusTextTable parses the text `ldirectord status` table the same way
// (reals with weight "-" are not in the kernel).
func statusTextTable(out string) (ipvsTable, error) {
	lines := strings.SplitN(out, "\n", 2)
	if len(lines) < 2 || !strings.Contains(lines[0], "is running with pid: ") {
		return nil, fmt.Errorf("status: no running line:\n%s", out)
	}
	t := ipvsTable{}
	var svc string
	for _, line := range strings.Split(lines[1], "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || f[0] == "Prot" || len(f) > 1 && f[1] == "RemoteAddress:Port":
		case f[0] == "->":
			if len(f) >= 4 && f[3] != "-" {
				t[svc][f[1]] = f[2] + " " + f[3]
			}
		default:
			svc = strings.Join(f[:3], " ")
			t[svc] = map[string]string{}
		}
	}
	return t, nil
}
