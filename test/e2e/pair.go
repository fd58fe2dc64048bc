package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
	"github.com/ultramonkey/ultramonkey/test/vm/vmnet"
)

// Pair is the S1 topology of the package doc, built by NewPair.
type Pair struct {
	Switch, Client *vmnet.NS
	Directors      [2]*Director
	Webs           []*Web
	Timers         Timers
	Mode           Mode
	Bins           Binaries

	// t makes the directors' fresh namespaces at power-on (a reboot);
	// used only from the test goroutine, which runs the scenario's steps.
	t testing.TB
}

// Web is one real HTTP server. GET /index.html answers "ok" (ldirectord's
// negotiate check) unless Break was called; every other path answers the
// server's name, so the client can tell which real answered; SlowPath is
// a slow download (ServeSlow).
type Web struct {
	Name   string
	Addr   netip.Addr
	NS     *vmnet.NS
	broken atomic.Bool

	mu     sync.Mutex
	served map[string]int // requests for "/?id=X" per X (ServedIDs)
}

// Break makes /index.html answer "maintenance" (200, but without "ok").
func (w *Web) Break() { w.broken.Store(true) }

// Restore makes /index.html answer "ok" again.
func (w *Web) Restore() { w.broken.Store(false) }

// ServeHTTP implements the web server.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path == SlowPath {
		ServeSlow(w.Name, rw, r)
		return
	}
	if id := r.URL.Query().Get("id"); id != "" {
		w.mu.Lock()
		if w.served == nil {
			w.served = map[string]int{}
		}
		w.served[id]++
		w.mu.Unlock()
	}
	rw.Header().Set("Content-Type", "text/plain")
	body := w.Name
	if r.URL.Path == "/index.html" {
		body = "ok"
		if w.broken.Load() {
			body = "maintenance"
		}
	}
	io.WriteString(rw, body+"\n")
}

// ServedIDs returns how often the server answered each request id
// (GET /?id=X), to find a request served twice or by both servers.
func (w *Web) ServedIDs() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.served))
	for id, n := range w.served {
		out[id] = n
	}
	return out
}

// Binaries are the programs the directors run.
type Binaries struct {
	HBD, Ldirectord string
}

// FindBinaries returns /opt/bin/{hbd,ldirectord} in the test VM, else
// bin/ of the repository (found by walking up to go.mod from the working
// directory).
func FindBinaries() (Binaries, error) {
	if fileExists("/opt/bin/hbd") && fileExists("/opt/bin/ldirectord") {
		return Binaries{HBD: "/opt/bin/hbd", Ldirectord: "/opt/bin/ldirectord"}, nil
	}
	root, err := netlab.RepoRoot()
	if err != nil {
		return Binaries{}, fmt.Errorf("find binaries: no /opt/bin/hbd, and %w", err)
	}
	b := Binaries{HBD: filepath.Join(root, "bin", "hbd"), Ldirectord: filepath.Join(root, "bin", "ldirectord")}
	if !fileExists(b.HBD) || !fileExists(b.Ldirectord) {
		return Binaries{}, fmt.Errorf("find binaries: %s or %s missing (run make build)", b.HBD, b.Ldirectord)
	}
	return b, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Bridge names on the switch.
const (
	lanBridge    = "br-lan"
	insideBridge = "br-in"
)

// NewPair builds the stock S1 pair (ModeStock) with webs real servers.
func NewPair(t testing.TB, webs int, tm Timers) *Pair {
	t.Helper()
	return NewPairConfig(t, PairConfig{Webs: webs, Timers: tm, Mode: ModeStock})
}

// PairConfig says which pair NewPairConfig builds.
type PairConfig struct {
	Webs   int // web servers behind NAT (at most len(WebAddrs); 0 in ModeColocatedDR)
	Timers Timers
	Mode   Mode
}

// NewPairConfig builds the topology with c.Webs real servers and writes
// each director's /etc/ha.d for c.Mode. Nothing runs yet: Boot each
// director. Everything is removed in t.Cleanup, processes first.
func NewPairConfig(t testing.TB, c PairConfig) *Pair {
	t.Helper()
	webs, tm := c.Webs, c.Timers
	if os.Geteuid() != 0 {
		t.Skip("the pair needs root (network namespaces)")
	}
	bins, err := FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	p := &Pair{Switch: vmnet.NewNS(t, "switch"), Client: vmnet.NewNS(t, "client"), Timers: tm, Mode: c.Mode, Bins: bins, t: t}
	p.Switch.Bridge(t, lanBridge)
	p.Switch.Bridge(t, insideBridge)
	p.Switch.VethToBridge(t, lanBridge, "client", p.Client, "eth0", ClientAddr)
	for i := range p.Directors {
		p.Directors[i] = p.newDirector(t, i)
	}
	for i := range webs {
		name := fmt.Sprintf("web%d", i+1)
		w := &Web{Name: name, Addr: WebAddrs[i], NS: vmnet.NewNS(t, name)}
		p.Switch.VethToBridge(t, insideBridge, name, w.NS, "eth0", netip.PrefixFrom(w.Addr, InsideVIP.Bits()))
		w.NS.AddRoute(t, netip.Prefix{}, InsideVIP.Addr())
		w.NS.ServeHTTP(t, netip.AddrPortFrom(w.Addr, HTTPPort), w)
		p.Webs = append(p.Webs, w)
	}
	return p
}

// URL is the service's URL on the VIP.
func (p *Pair) URL() string {
	return fmt.Sprintf("http://%s/", netip.AddrPortFrom(VIP.Addr(), HTTPPort))
}

// NewClient returns the client of the scenario: GET / on the VIP every
// 50 ms, each bounded by timeout.
func (p *Pair) NewClient(timeout time.Duration) *Client {
	return &Client{URL: p.URL(), Interval: 50 * time.Millisecond, Timeout: timeout, HTTP: p.Client.HTTPClient(timeout)}
}

// Other returns the director that is not d.
func (p *Pair) Other(d *Director) *Director { return p.Directors[1-d.Index] }

// Holders returns the powered-on directors that hold the LAN VIP (a
// powered-off director keeps its addresses in its namespace, but nothing
// reaches them).
func (p *Pair) Holders(ctx context.Context) ([]*Director, error) {
	var out []*Director
	for _, d := range p.Directors {
		if !d.PoweredOn() {
			continue
		}
		v, err := d.VIPs()
		if err != nil {
			return nil, err
		}
		if v[VIP.Addr()] {
			out = append(out, d)
		}
	}
	return out, nil
}

// WriteLdirectordCf rewrites ldirectord.cf on both directors with the
// first reals web servers (as an operator copies the file to both).
func (p *Pair) WriteLdirectordCf(reals int) error {
	for _, d := range p.Directors {
		if err := writeFileAtomic(filepath.Join(d.EtcDir(), "ldirectord.cf"), p.Mode.LdirectordCf(reals, p.Timers), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a
// reader (ldirectord's autoreload) never sees half a file.
func writeFileAtomic(path, text string, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// lookPath is exec.LookPath with a clear error.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is needed: %w", name, err)
	}
	return p, nil
}
