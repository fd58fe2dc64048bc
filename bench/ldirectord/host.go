package ldbench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HostOptions are the knobs of the host run (both ldirectords, stand-in
// tables, loopback farm).
type HostOptions struct {
	Self     []string // argv prefix that runs a role
	Work     string   // scratch directory
	GoNs     []int
	PerlNs   []int
	Window   time.Duration
	Quick    bool
	PerlOrig string // Debian's /usr/sbin/ldirectord
}

// Results is the JSON written under bench/results/.
type Results struct {
	Kind    string        `json:"kind"` // "host" or "vm"
	Date    string        `json:"date"`
	Machine string        `json:"machine"`
	Notes   []string      `json:"notes,omitempty"`
	Points  []PointResult `json:"points"`
}

// preparePerl writes a copy of ldirectord whose ipvsadm is the stand-in
// (ldirectord 4.12 hard-codes /sbin/ipvsadm, or ./ipvsadm only with -d,
// which also turns on debug logging) and links the stand-in as ipvsadm.
func preparePerl(o HostOptions) (script, standin string, err error) {
	src, err := os.ReadFile(o.PerlOrig)
	if err != nil {
		return "", "", fmt.Errorf("perl ldirectord: %w (apt-get install ldirectord)", err)
	}
	standin = filepath.Join(o.Work, "bin", "ipvsadm")
	os.MkdirAll(filepath.Dir(standin), 0o755)
	os.Remove(standin)
	self, err := filepath.Abs(o.Self[0])
	if err != nil {
		return "", "", err
	}
	if err := os.Symlink(self, standin); err != nil {
		return "", "", fmt.Errorf("stand-in link: %w", err)
	}
	text := strings.ReplaceAll(string(src), `"/sbin/ipvsadm"`, `"`+standin+`"`)
	if !strings.Contains(text, standin) {
		return "", "", fmt.Errorf("perl ldirectord: no /sbin/ipvsadm to replace in %s", o.PerlOrig)
	}
	script = filepath.Join(o.Work, "bin", "ldirectord")
	return script, standin, os.WriteFile(script, []byte(text), 0o755)
}

func hostPoint(o HostOptions, impl Impl, n int) PointConfig {
	c := PointConfig{
		Impl: impl, N: n, Dir: filepath.Join(o.Work, fmt.Sprintf("%s-%d", impl, n)), Self: o.Self,
		Base: "127.1", VIP: "10.255.0.1", Port: 80, Forward: "gate", FarmCtl: "127.0.0.1:18081",
		Interval: time.Second, Timeout: 3 * time.Second, StartBound: 60 * time.Second,
		Settle: 3 * time.Second, Window: o.Window, DetectKinds: []Mode{ModeWrong, ModeRefuse, ModeHang},
		Rounds: 4, PerRound: 25, HangPerRound: 10, StretchK: []int{1, 10},
	}
	if o.Quick {
		c.Rounds, c.StretchK = 2, []int{10}
	}
	if impl == ImplPerl {
		// Serial checks: every hanging real adds a timeout to each pass, so
		// fewer at once, and a longer bound to reach a complete table.
		c.StartBound, c.Rounds, c.PerRound, c.HangPerRound, c.StretchK = 150*time.Second, 2, 10, 2, []int{1, 3}
		c.Window = max(o.Window, 30*time.Second)
		if o.Quick {
			c.StretchK = []int{1}
		}
	}
	if n >= 10000 && impl == ImplPerl {
		c.StartBound = 120 * time.Second
	}
	return c
}

// RunHost measures every host point, this project's and Perl's at each N
// in turn, and returns the results.
func RunHost(ctx context.Context, o HostOptions, logf func(string, ...any)) (Results, error) {
	res := Results{Kind: "host", Date: time.Now().UTC().Format(time.RFC3339), Machine: machine()}
	script, standin, perlErr := preparePerl(o)
	if perlErr != nil {
		res.Notes = append(res.Notes, "perl not measured: "+perlErr.Error())
	}
	for _, n := range union(o.GoNs, o.PerlNs) {
		for _, impl := range []Impl{ImplGo, ImplPerl} {
			if !contains(map[Impl][]int{ImplGo: o.GoNs, ImplPerl: o.PerlNs}[impl], n) || impl == ImplPerl && perlErr != nil {
				continue
			}
			c := hostPoint(o, impl, n)
			c.PerlScript, c.Standin = script, standin
			p, err := RunPoint(ctx, c, logf)
			if err != nil {
				p.Error = err.Error()
				logf("%s N=%d: %v", impl, n, err)
			}
			res.Points = append(res.Points, p)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	return res, nil
}

func union(a, b []int) []int {
	var out []int
	for _, x := range append(append([]int{}, a...), b...) {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	sortInts(out)
	return out
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// machine describes the CPU and kernel.
func machine() string {
	model := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	cpus := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpus = strings.Count(string(b), "processor\t:")
	}
	return fmt.Sprintf("%d x %s, kernel %s", cpus, model, strings.TrimSpace(string(rel)))
}
