package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// Bounds are the limits the scenario holds the pair to. They are wide
// enough for the test VM, which emulates its CPU (TCG).
type Bounds struct {
	// Converge bounds every wait for a state (VIPs, IPVS table, weights).
	Converge time.Duration
	// Steady is the longest pause between two answers that still counts as
	// "client unaffected" (the client asks every 50 ms).
	Steady time.Duration
	// FailoverGap bounds the client's longest gap when the active
	// director dies, and FailbackGap when it comes back (auto_failback).
	FailoverGap, FailbackGap time.Duration
}

// DefaultBounds derives the bounds from the timers: a failover needs
// deadtime to notice, then ldirectord's start and first check
// (checkinterval + checktimeout) and the VIPs with their gratuitous ARP;
// 3 s more absorb the VM's slowness.
func DefaultBounds(tm Timers) Bounds {
	work := tm.CheckInterval + tm.CheckTimeout + 3*time.Second
	return Bounds{
		Converge:    30 * time.Second,
		Steady:      time.Second,
		FailoverGap: tm.Deadtime + work,
		FailbackGap: work,
	}
}

// Row is one line of the summary table.
type Row struct {
	Step       string
	At, Took   time.Duration // since the scenario started; the step's duration
	Requests   int           // client requests started during the step
	Failed     int
	LongestGap time.Duration
	Result     string
}

// Scenario drives the pair through seeds.md S1 and narrates it.
type Scenario struct {
	Pair   *Pair
	Client *Client
	Bounds Bounds
	// Say receives each narration line (timestamped); nil discards them.
	Say  func(line string)
	T0   time.Time
	Rows []Row
	// Gaps are the measured failover gaps, one per failover step.
	Gaps []Gap
	// DownloadSteps are the steps run under slow downloads.
	DownloadSteps []DownloadStep

	seed uint64 // the last download seed used

	stopClient context.CancelFunc
	clientDone chan struct{}
}

// NewScenario returns the scenario for p with the default bounds. With
// LVSSyncDaemonSwap (ModeSync, ModeColocatedDR) a planned move is
// allowed resources.SyncFlushTime more: the releasing director waits that
// long after removing the VIPs, so that its sync daemon's last buffer
// reaches the peer, before the peer takes them.
func NewScenario(p *Pair, say func(string)) *Scenario {
	b := DefaultBounds(p.Timers)
	if p.Mode.WarmStandby() {
		b.FailbackGap += resources.SyncFlushTime
	}
	return &Scenario{Pair: p, Bounds: b, Say: say, T0: time.Now()}
}

// Sayf narrates one line, prefixed with the time since the start.
func (s *Scenario) Sayf(format string, a ...any) {
	if s.Say == nil {
		return
	}
	s.Say(fmt.Sprintf("[%6.2fs] %s", time.Since(s.T0).Seconds(), fmt.Sprintf(format, a...)))
}

// Block narrates a multi-line text indented under the last line.
func (s *Scenario) Block(text string) {
	if s.Say == nil {
		return
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		s.Say("           | " + l)
	}
}

// row records a summary line for the step that ran from "from" until now,
// with the client's numbers over that interval.
func (s *Scenario) row(step string, from time.Time, result string) Row {
	to := time.Now()
	var samples []Sample
	if s.Client != nil {
		samples = s.Client.Samples()
	}
	w := Summarize(samples, from, to)
	g, _ := LongestGap(samples, from, to)
	r := Row{Step: step, At: from.Sub(s.T0), Took: to.Sub(from), Requests: w.OK + len(w.Failed),
		Failed: len(w.Failed), LongestGap: g.Len(), Result: result}
	s.Rows = append(s.Rows, r)
	return r
}

// waitFor polls cond every 100 ms until it holds, for at most limit. cond
// returns whether it holds and, when not, what is still missing.
func waitFor(ctx context.Context, limit time.Duration, what string, cond func() (bool, string, error)) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		okNow, why, err := cond()
		if err != nil {
			last = err.Error()
		} else if okNow {
			return time.Since(start), nil
		} else {
			last = why
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("waited %v for %s: %s", limit, what, last)
		case <-tick.C:
		}
	}
}

// StartClient starts the client; StopClient stops it.
func (s *Scenario) StartClient(ctx context.Context) {
	s.Client = s.Pair.NewClient(time.Second)
	cctx, cancel := context.WithCancel(ctx)
	s.stopClient, s.clientDone = cancel, make(chan struct{})
	go func() {
		defer close(s.clientDone)
		s.Client.Run(cctx)
	}()
}

// StopClient stops the client and waits for its requests in flight.
func (s *Scenario) StopClient() {
	if s.stopClient != nil {
		s.stopClient()
		<-s.clientDone
		s.stopClient = nil
	}
}

// vipPort is the virtual service.
func vipPort() netip.AddrPort { return netip.AddrPortFrom(VIP.Addr(), HTTPPort) }

// holds reports whether d is the whole active side: both VIPs and an IPVS
// table with the want reals at the want weights (nil: any weights).
func (s *Scenario) holds(d *Director, want map[netip.Addr]int) (bool, string, error) {
	v, err := d.VIPs()
	if err != nil {
		return false, "", err
	}
	if !v[VIP.Addr()] || !v[InsideVIP.Addr()] {
		return false, fmt.Sprintf("%s holds VIPs %v", d.Name, keys(v)), nil
	}
	tb, err := d.Table()
	if err != nil {
		return false, "", err
	}
	w, ok := tb.Weights(vipPort())
	if !ok {
		return false, fmt.Sprintf("%s has no service %s", d.Name, vipPort()), nil
	}
	for a, wt := range want {
		if got, ok := w[a]; !ok || got != wt {
			return false, fmt.Sprintf("%s: real %s weight %v (present %v), want %d", d.Name, a, got, ok, wt), nil
		}
	}
	return true, "", nil
}

// idle reports whether d holds no VIP, has an empty IPVS table and runs no
// ldirectord.
func (s *Scenario) idle(d *Director) (bool, string, error) {
	v, err := d.VIPs()
	if err != nil {
		return false, "", err
	}
	if len(v) != 0 {
		return false, fmt.Sprintf("%s still holds %v", d.Name, keys(v)), nil
	}
	tb, err := d.Table()
	if err != nil {
		return false, "", err
	}
	if len(tb) != 0 {
		return false, fmt.Sprintf("%s still has an IPVS table:\n%s", d.Name, tb), nil
	}
	pids, err := d.LdirectordPids()
	if err != nil {
		return false, "", err
	}
	if len(pids) != 0 {
		return false, fmt.Sprintf("%s still runs ldirectord (pids %v)", d.Name, pids), nil
	}
	return true, "", nil
}

// allUp is every configured real at weight 1.
func allUp(n int) map[netip.Addr]int {
	m := map[netip.Addr]int{}
	for _, a := range WebAddrs[:n] {
		m[a] = 1
	}
	return m
}

func keys(m map[netip.Addr]bool) []netip.Addr {
	var out []netip.Addr
	for a := range m {
		out = append(out, a)
	}
	return out
}

// errStep wraps a step's failure with the step name.
func errStep(step string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", step, err)
}

// FailuresOutsideGaps returns the client's failed requests that overlap
// none of the recorded failover gaps: "the client gets answers throughout,
// except for one gap per failover" holds when it is empty.
func (s *Scenario) FailuresOutsideGaps() []Sample {
	var out []Sample
	for _, f := range Summarize(s.Client.Samples(), s.T0, time.Now()).Failed {
		if !slices.ContainsFunc(s.Gaps, func(g Gap) bool { return g.Overlaps(f) }) {
			out = append(out, f)
		}
	}
	return out
}
