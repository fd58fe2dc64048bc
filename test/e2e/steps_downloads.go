package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// DownloadPlan is a batch of slow downloads: K at once, each Bytes long at
// Rate bytes per second.
type DownloadPlan struct {
	K           int
	Bytes, Rate int64
}

// Duration is how long one download of the plan takes when nothing stalls.
func (p DownloadPlan) Duration() time.Duration {
	return time.Duration(float64(p.Bytes) / float64(p.Rate) * float64(time.Second))
}

// Downloads of issue 11's proof: 20 at once, 6000 bytes per second, 12 s
// each for a crash or an ldirectord restart; a planned move (hbd standby,
// failback) waits for the sync to settle first, and a failback for a boot
// too, so its downloads last longer.
var (
	ShortDownloads  = DownloadPlan{K: 20, Bytes: 72000, Rate: 6000}  // 12 s: on a loaded VM the last of 20 started 5 s after the first
	MediumDownloads = DownloadPlan{K: 20, Bytes: 84000, Rate: 6000}  // 14 s
	LongDownloads   = DownloadPlan{K: 20, Bytes: 180000, Rate: 6000} // 30 s: a loaded VM took 24 s from start to failback
)

// SyncSettle is how long a connection must have lived before a crash for
// the backup to know it: the master sends a partly filled sync buffer
// after IPVS_SYNC_FLUSH_TIME (2 s), checked every IPVS_SYNC_CHECK_PERIOD
// (1 s) (net/netfilter/ipvs/ip_vs_sync.c). A crash can lose younger
// connections whatever the pair does.
const SyncSettle = 3 * time.Second

// DownloadStep is the record of one step run under slow downloads.
type DownloadStep struct {
	Step      string
	Event     time.Time // the crash, the move, the kill
	Downloads []Download
	Summary   DownloadSummary
	// VIPGap is the 50 ms client's longest time between two answers during
	// the step; NewConnOutage the longest time its new connections failed
	// (NewConnOutage); FirstNewConn, for a crash, the time from the crash
	// to the end of the first answer to a request made after it.
	VIPGap, NewConnOutage, FirstNewConn time.Duration
}

// Figure is the step's line for the logs and bench/README.md, one per
// step, grep-able: "FIGURE mode=sync step=crash kept=20/20 ...".
func (ds DownloadStep) Figure(m Mode) string {
	short := map[Mode]string{ModeStock: "stock", ModeSync: "sync", ModeColocatedDR: "dr"}[m]
	s := fmt.Sprintf("FIGURE mode=%s step=%q kept=%d/%d vip_gap=%.2fs newconn_outage=%.2fs longest_stall=%.2fs",
		short, ds.Step, ds.Summary.Kept, ds.Summary.Total, ds.VIPGap.Seconds(), ds.NewConnOutage.Seconds(), ds.Summary.LongestStall.Seconds())
	if ds.FirstNewConn > 0 {
		s += fmt.Sprintf(" first_newconn=%.2fs", ds.FirstNewConn.Seconds())
	}
	return s
}

// FormatDownloadSteps renders the download steps as a table.
func FormatDownloadSteps(steps []DownloadStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %7s %8s %10s %13s %10s  %s\n", "step", "kept", "VIP gap", "new-conn", "first new-conn", "stall", "lost")
	fmt.Fprintf(&b, "%s\n", strings.Repeat("-", 100))
	for _, s := range steps {
		first := "-"
		if s.FirstNewConn > 0 {
			first = fmt.Sprintf("%.2fs", s.FirstNewConn.Seconds())
		}
		var lost []string
		for o, n := range s.Summary.Lost {
			lost = append(lost, fmt.Sprintf("%d %s", n, o))
		}
		slices.Sort(lost)
		fmt.Fprintf(&b, "%-34s %7s %7.2fs %9.2fs %13s %9.2fs  %s\n", s.Step, fmt.Sprintf("%d/%d", s.Summary.Kept, s.Summary.Total),
			s.VIPGap.Seconds(), s.NewConnOutage.Seconds(), first, s.Summary.LongestStall.Seconds(), strings.Join(lost, ", "))
	}
	b.WriteString("kept: downloads that ended with every byte intact; VIP gap: the 50 ms client's longest time\n" +
		"between two answers; new-conn: the longest time its new connections failed; first new-conn: from\n" +
		"the crash to the first answer to a connection made after it; stall: a download's longest pause.\n")
	return b.String()
}

// startDownloads starts plan's downloads from the client through the VIP.
func (s *Scenario) startDownloads(ctx context.Context, plan DownloadPlan) *Downloads {
	b := &Downloads{Dial: s.Pair.Client.DialContext, Addr: vipPort(), Bytes: plan.Bytes, Rate: plan.Rate,
		Idle: 20 * time.Second, Deadline: plan.Duration() + 40*time.Second}
	s.seed += uint64(plan.K)
	b.Start(ctx, plan.K, s.seed)
	return b
}

// waitFlowing waits until every download has received a second's worth of
// bytes: all 20 connections are established and carry data.
func (s *Scenario) waitFlowing(ctx context.Context, b *Downloads, plan DownloadPlan) error {
	_, err := waitFor(ctx, s.Bounds.Converge, "every download to carry data", func() (bool, string, error) {
		return b.AllPast(plan.Rate), fmt.Sprintf("bytes so far %v", b.Progress()), nil
	})
	if err != nil {
		prog, st := b.Progress(), b.Stages()
		for i := range prog {
			if prog[i] < plan.Rate {
				s.Sayf("download #%02d: %d bytes, %s", i+1, prog[i], st[i])
			}
		}
		s.sayConns()
	}
	return err
}

// sayConns narrates each powered-on director's IPVS connection table, for
// a failure's diagnosis.
func (s *Scenario) sayConns() {
	for _, d := range s.Pair.Directors {
		if !d.PoweredOn() {
			continue
		}
		conns, err := d.Conns()
		if err != nil {
			s.Sayf("%v", err)
			continue
		}
		var b strings.Builder
		for _, c := range conns {
			fmt.Fprintf(&b, "%s %s -> %s -> %s %s %s %v\n", c.Proto, c.Client, c.Virtual, c.Real, c.State, c.Origin, c.Expires)
		}
		s.Sayf("%s: IPVS connections (%d):", d.Name, len(conns))
		s.Block(b.String())
	}
}

// sayStandbyKnows narrates how many of the downloads' connections the
// standby's kernel holds as synced entries (what lets them survive a
// crash). Narrated, not asserted: the downloads themselves are the proof.
func (s *Scenario) sayStandbyKnows(standby *Director, b *Downloads) {
	conns, err := standby.Conns()
	if err != nil {
		s.Sayf("%v", err)
		return
	}
	synced := map[netip.AddrPort]bool{}
	for _, c := range conns {
		if c.Origin == ipvs.OriginSync && c.Virtual == vipPort() {
			synced[c.Client] = true
		}
	}
	n, locals := 0, b.Locals()
	for _, l := range locals {
		if synced[l] {
			n++
		}
	}
	s.Sayf("%s's kernel holds %d of the %d downloads' connections (synced by the master)", standby.Name, n, len(locals))
}

// finishDownloads waits for the batch, records the step and narrates it.
// A download that was not in flight at event makes the step inconclusive:
// an error, whatever the downloads' outcomes.
func (s *Scenario) finishDownloads(step string, from, event time.Time, b *Downloads) (DownloadStep, error) {
	ds := b.Wait()
	to := time.Now()
	samples := s.Client.Samples()
	g, _ := LongestGap(samples, from, to)
	rec := DownloadStep{Step: step, Event: event, Downloads: ds, Summary: SummarizeDownloads(ds, event),
		VIPGap: g.Len(), NewConnOutage: NewConnOutage(samples, from, to)}
	s.DownloadSteps = append(s.DownloadSteps, rec)
	for _, d := range ds {
		if !d.OK() {
			s.Sayf("  download %s", d)
		}
	}
	s.Sayf("%s: downloads %s; the client's longest gap %.2fs, new connections failed for %.2fs at most",
		step, rec.Summary, g.Len().Seconds(), rec.NewConnOutage.Seconds())
	if rec.Summary.NotSpanning > 0 {
		return rec, fmt.Errorf("%d of %d downloads were not in flight at the event (%s): the step proves nothing",
			rec.Summary.NotSpanning, rec.Summary.Total, rec.Summary)
	}
	return rec, nil
}

// keptAll fails unless every download of the step was kept.
func keptAll(rec DownloadStep) error {
	if rec.Summary.Kept != rec.Summary.Total {
		return fmt.Errorf("downloads %s, want every one kept", rec.Summary)
	}
	return nil
}

// wantReals is every real of the mode at weight 1 (the NAT modes' first n
// web servers, or both directors in ModeColocatedDR).
func (s *Scenario) wantReals(n int) map[netip.Addr]int {
	if s.Pair.Mode == ModeColocatedDR {
		m := map[netip.Addr]int{}
		for _, a := range DRReals() {
			m[a] = 1
		}
		return m
	}
	return allUp(n)
}

// holdsVIPs reports whether d holds the mode's VIPs on its interfaces.
func (s *Scenario) holdsVIPs(d *Director) (bool, string, error) {
	v, err := d.VIPs()
	if err != nil {
		return false, "", err
	}
	if !v[VIP.Addr()] || (s.Pair.Mode != ModeColocatedDR && !v[InsideVIP.Addr()]) {
		return false, fmt.Sprintf("%s holds VIPs %v", d.Name, keys(v)), nil
	}
	return true, "", nil
}

// warm reports whether d is a warm standby: no VIP on its interfaces, an
// IPVS table with the want reals at their weights, ldirectord running.
func (s *Scenario) warm(d *Director, want map[netip.Addr]int) (bool, string, error) {
	v, err := d.VIPs()
	if err != nil {
		return false, "", err
	}
	if len(v) != 0 {
		return false, fmt.Sprintf("%s holds %v", d.Name, keys(v)), nil
	}
	if ok, why, err := s.tableHas(d, want); !ok || err != nil {
		return ok, why, err
	}
	pids, err := d.LdirectordPids()
	if err != nil || len(pids) == 0 {
		return false, fmt.Sprintf("%s runs no ldirectord", d.Name), err
	}
	return true, "", nil
}

// tableHas reports whether d's IPVS table has the VIP's service with the
// want reals at their weights (a negative weight: present, any weight).
func (s *Scenario) tableHas(d *Director, want map[netip.Addr]int) (bool, string, error) {
	tb, err := d.Table()
	if err != nil {
		return false, "", err
	}
	w, ok := tb.Weights(vipPort())
	if !ok {
		return false, fmt.Sprintf("%s has no service %s", d.Name, vipPort()), nil
	}
	for a, wt := range want {
		if got, ok := w[a]; !ok || (wt >= 0 && got != wt) {
			return false, fmt.Sprintf("%s: real %s weight %v (present %v), want %d", d.Name, a, got, ok, wt), nil
		}
	}
	return true, "", nil
}

// activeWarm reports whether d is the active side of a warm pair (the
// VIPs and the table) and its peer the warm standby.
func (s *Scenario) activeWarm(d *Director, want map[netip.Addr]int) (bool, string, error) {
	if ok, why, err := s.holdsVIPs(d); !ok || err != nil {
		return ok, why, err
	}
	if ok, why, err := s.tableHas(d, want); !ok || err != nil {
		return ok, why, err
	}
	if peer := s.Pair.Other(d); peer.PoweredOn() {
		return s.warm(peer, want)
	}
	return true, "", nil
}

// UpWarm boots both directors of a warm-standby pair (ModeSync,
// ModeColocatedDR): hbd and, as its init script would, ldirectord on
// each. test1.com must hold the VIPs, and both directors the full IPVS
// table with ldirectord running. With client set the 50 ms client starts
// and must be answered by every real.
func (s *Scenario) UpWarm(ctx context.Context, client bool) error {
	const step = "start (warm standby)"
	from := time.Now()
	d1, d2 := s.Pair.Directors[0], s.Pair.Directors[1]
	s.Sayf("boot %s and %s (%s): hbd, then ldirectord by its init script on each", d1.Name, d2.Name, s.Pair.Mode)
	s.Sayf("haresources (both): %s", strings.TrimSpace(s.Pair.Mode.HaResources()))
	for _, d := range s.Pair.Directors {
		if err := d.Boot(ctx); err != nil {
			return errStep(step, err)
		}
	}
	want := s.wantReals(min(len(s.Pair.Webs), 3))
	took, err := waitFor(ctx, s.Bounds.Converge, d1.Name+" active and "+d2.Name+" a warm standby",
		func() (bool, string, error) { return s.activeWarm(d1, want) })
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("%s is active after %.1fs; %s is a warm standby: the same IPVS table, ldirectord running, no VIP", d1.Name, took.Seconds(), d2.Name)
	s.logSyncStatus(ctx)
	if !client {
		return nil
	}
	s.StartClient(ctx)
	_, err = waitFor(ctx, s.Bounds.Converge, "answers from every real", func() (bool, string, error) {
		samples := s.Client.Samples()
		for _, name := range s.realNames() {
			if _, ok := FirstAnswerFrom(samples, name, from); !ok {
				return false, "no answer from " + name + " yet", nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return errStep(step, err)
	}
	s.row(step, from, d1.Name+" active, "+d2.Name+" warm")
	return nil
}

// realNames are the names the reals answer with.
func (s *Scenario) realNames() []string {
	if s.Pair.Mode == ModeColocatedDR {
		return NodeNames[:]
	}
	return webNames(s.Pair.Webs[:min(len(s.Pair.Webs), 3)])
}

// logSyncStatus narrates each director's resource details from `hbd
// status --json` (the sync daemon's state is there; its format is hbd's,
// narrated, not asserted).
func (s *Scenario) logSyncStatus(ctx context.Context) {
	for _, d := range s.Pair.Directors {
		if !d.PoweredOn() {
			continue
		}
		st, err := d.StatusJSON(ctx)
		if err != nil {
			s.Sayf("%s: hbd status --json: %v", d.Name, err)
			continue
		}
		for _, g := range st.Groups {
			for _, res := range slices.Sorted(maps.Keys(g.Details)) {
				s.Sayf("%s: %s: %s", d.Name, res, g.Details[res])
			}
		}
	}
}

// CrashDuringDownloads is a power failure of the active director while
// plan's downloads run through it, each established for SyncSettle. The
// peer must take over; with requireKept every download must end intact and
// the first new connection must be answered within deadtime + 1 s.
func (s *Scenario) CrashDuringDownloads(ctx context.Context, plan DownloadPlan, requireKept bool) (DownloadStep, error) {
	const step = "crash during downloads"
	active, err := s.Active(ctx)
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	other := s.Pair.Other(active)
	want := s.wantReals(s.realsIn(active))
	if s.Pair.Mode == ModeColocatedDR {
		want[LANAddrs[active.Index].Addr()] = -1 // a real that crashes too: its check soon quiesces it
	}
	from := time.Now()
	b := s.startDownloads(ctx, plan)
	if err := s.waitFlowing(ctx, b, plan); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	if err := observe(ctx, SyncSettle); err != nil {
		return DownloadStep{}, err
	}
	s.sayStandbyKnows(other, b)
	at, err := active.PowerOff()
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	unplugged := time.Now()
	s.Sayf("POWER FAILURE on %s with %d downloads in flight through it", active.Name, plan.K)
	took, err := waitFor(ctx, s.Bounds.Converge, other.Name+" to take over", func() (bool, string, error) {
		if ok, why, err := s.holdsVIPs(other); !ok || err != nil {
			return ok, why, err
		}
		return s.tableHas(other, want)
	})
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("%s took over %.1fs after the failure", other.Name, took.Seconds())
	if _, err := waitFor(ctx, s.Bounds.Converge, "an answer to a new connection", func() (bool, string, error) {
		_, ok := FirstAnswer(s.Client.Samples(), unplugged)
		return ok, "none yet", nil
	}); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	end, _ := FirstAnswer(s.Client.Samples(), unplugged)
	first := end.Sub(at)
	rec, err := s.finishDownloads(step, from, at, b)
	rec.FirstNewConn = first
	s.DownloadSteps[len(s.DownloadSteps)-1] = rec
	s.Sayf("first new connection answered %.2fs after the crash (bound deadtime + 1 s = %.1fs)", first.Seconds(), (s.Pair.Timers.Deadtime + time.Second).Seconds())
	s.row(step, from, fmt.Sprintf("%s active; downloads %d/%d kept", other.Name, rec.Summary.Kept, rec.Summary.Total))
	if err != nil {
		return rec, errStep(step, err)
	}
	if requireKept {
		if err := keptAll(rec); err != nil {
			return rec, errStep(step, err)
		}
		if bound := s.Pair.Timers.Deadtime + time.Second; first > bound {
			return rec, errStep(step, fmt.Errorf("first new connection answered %v after the crash, bound %v", first.Round(time.Millisecond), bound))
		}
	}
	return rec, nil
}

// FailbackDuringDownloads powers d on again (a reboot: hbd and, warm,
// ldirectord start) while plan's downloads run through its peer; with
// auto_failback on the group moves back to d while they are in flight.
func (s *Scenario) FailbackDuringDownloads(ctx context.Context, d *Director, plan DownloadPlan, requireKept bool) (DownloadStep, error) {
	const step = "failback during downloads"
	other := s.Pair.Other(d)
	want := s.wantReals(s.realsIn(other))
	from := time.Now()
	b := s.startDownloads(ctx, plan)
	if err := s.waitFlowing(ctx, b, plan); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	lastHeld := time.Now() // the peer holds the group until at least here
	if err := d.PowerOn(ctx); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("%s powers on (fresh kernel: no VIP, no IPVS table, no connections) with %d downloads in flight through %s", d.Name, plan.K, other.Name)
	took, err := s.waitMove(ctx, other, d, want, &lastHeld)
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("auto_failback: %s holds the group again, %.1fs after power-on", d.Name, took.Seconds())
	rec, err := s.finishDownloads(step, from, lastHeld, b)
	s.row(step, from, fmt.Sprintf("%s active again; downloads %d/%d kept", d.Name, rec.Summary.Kept, rec.Summary.Total))
	if err != nil {
		return rec, errStep(step, err)
	}
	if requireKept {
		return rec, errStep(step, s.plannedMoveOK(rec))
	}
	return rec, nil
}

// plannedMoveOK holds a planned move to every download kept and the
// client's gap within Bounds.FailbackGap (what TestPair holds a stock
// failback to).
func (s *Scenario) plannedMoveOK(rec DownloadStep) error {
	if err := keptAll(rec); err != nil {
		return err
	}
	if rec.VIPGap > s.Bounds.FailbackGap {
		return fmt.Errorf("the client's longest gap %v exceeds the bound %v", rec.VIPGap.Round(time.Millisecond), s.Bounds.FailbackGap)
	}
	return nil
}

// KillLdirectordDuringDownloads kills ldirectord on the active director
// (kill -9) while plan's downloads run, then starts it again as its unit
// does (Restart=on-failure; here after 1 s instead of RestartSec=5s). No
// failover may happen and every download must be kept.
func (s *Scenario) KillLdirectordDuringDownloads(ctx context.Context, plan DownloadPlan) (DownloadStep, error) {
	const step = "ldirectord kill -9 and restart"
	active, err := s.Active(ctx)
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	from := time.Now()
	b := s.startDownloads(ctx, plan)
	if err := s.waitFlowing(ctx, b, plan); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	pids, err := active.LdirectordPids()
	if err != nil || len(pids) == 0 {
		return DownloadStep{}, errStep(step, fmt.Errorf("no ldirectord on %s: %v", active.Name, err))
	}
	at := time.Now()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return DownloadStep{}, errStep(step, fmt.Errorf("kill -9 %d: %w", pid, err))
		}
	}
	if _, err := waitFor(ctx, s.Bounds.Converge, "ldirectord to die", func() (bool, string, error) {
		now, err := active.LdirectordPids()
		return len(now) == 0, fmt.Sprintf("pids %v", now), err
	}); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("kill -9 ldirectord on %s (pid %v) with %d downloads in flight", active.Name, pids, plan.K)
	if err := observe(ctx, time.Second); err != nil {
		return DownloadStep{}, err
	}
	if err := active.StartLdirectord(ctx); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("ldirectord started again on %s, as its unit restarts it", active.Name)
	rec, err := s.finishDownloads(step, from, at, b)
	s.row(step, from, fmt.Sprintf("%s still active; downloads %d/%d kept", active.Name, rec.Summary.Kept, rec.Summary.Total))
	if err != nil {
		return rec, errStep(step, err)
	}
	if now, err := s.Active(ctx); err != nil || now != active {
		return rec, errStep(step, fmt.Errorf("the group moved (no failover wanted): %v", err))
	}
	return rec, errStep(step, keptAll(rec))
}

// StandbyDuringDownloads runs `hbd standby` on the active director while
// plan's downloads run through it: the group moves to the peer, and every
// download must be kept.
func (s *Scenario) StandbyDuringDownloads(ctx context.Context, plan DownloadPlan) (DownloadStep, error) {
	const step = "hbd standby during downloads"
	active, err := s.Active(ctx)
	if err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	other := s.Pair.Other(active)
	from := time.Now()
	b := s.startDownloads(ctx, plan)
	if err := s.waitFlowing(ctx, b, plan); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	at := time.Now()
	lastHeld := at
	out, code, err := active.HBD(ctx, "standby")
	if err != nil || code != 0 {
		return DownloadStep{}, errStep(step, fmt.Errorf("hbd standby: exit %d, %v: %s", code, err, out))
	}
	s.Sayf("`hbd standby` on %s with %d downloads in flight (returned after %.1fs)", active.Name, plan.K, time.Since(at).Seconds())
	if _, err := s.waitMove(ctx, active, other, s.wantReals(s.realsIn(active)), &lastHeld); err != nil {
		return DownloadStep{}, errStep(step, err)
	}
	s.Sayf("%s holds the group %.1fs after `hbd standby` (the VIP left %s %.1fs after it)", other.Name, time.Since(at).Seconds(), active.Name, lastHeld.Sub(at).Seconds())
	rec, err := s.finishDownloads(step, from, lastHeld, b)
	s.row(step, from, fmt.Sprintf("%s active; downloads %d/%d kept", other.Name, rec.Summary.Kept, rec.Summary.Total))
	if err != nil {
		return rec, errStep(step, err)
	}
	return rec, errStep(step, s.plannedMoveOK(rec))
}

// waitMove waits until the group has moved from "from" to "to": to holds
// the VIPs and the IPVS table with the want reals, from holds no VIP.
// lastHeld is advanced to the last poll at which "from" still held the
// LAN VIP: the move began after it, so a download in flight then was in
// flight when the move began.
func (s *Scenario) waitMove(ctx context.Context, from, to *Director, want map[netip.Addr]int, lastHeld *time.Time) (time.Duration, error) {
	return waitFor(ctx, s.Bounds.Converge, to.Name+" to hold the group", func() (bool, string, error) {
		polled := time.Now()
		v, err := from.VIPs()
		if err != nil {
			return false, "", err
		}
		if v[VIP.Addr()] {
			*lastHeld = polled
		}
		if len(v) != 0 {
			return false, fmt.Sprintf("%s still holds %v", from.Name, keys(v)), nil
		}
		if ok, why, err := s.holdsVIPs(to); !ok || err != nil {
			return ok, why, err
		}
		return s.tableHas(to, want)
	})
}

// WithDownloads runs step while plan's downloads run through the VIP:
// they start and carry data first (for settle more, so that a crash finds
// them synced), then step runs, then they are waited for, recorded, and
// their figure is added to the result of the step's summary row. With
// requireKept every download must end intact. It is the demo's "download
// in flight".
func (s *Scenario) WithDownloads(ctx context.Context, plan DownloadPlan, settle time.Duration, requireKept bool, name string, step func() error) error {
	from := time.Now()
	b := s.startDownloads(ctx, plan)
	if err := s.waitFlowing(ctx, b, plan); err != nil {
		return errStep(name, err)
	}
	if err := observe(ctx, settle); err != nil {
		return err
	}
	s.Sayf("%d download(s) of %d bytes at %d bytes/s in flight through the VIP, every byte to be verified", plan.K, plan.Bytes, plan.Rate)
	at := time.Now()
	rows := len(s.Rows)
	if err := step(); err != nil {
		return err
	}
	rec, err := s.finishDownloads(name, from, at, b)
	if len(s.Rows) > rows {
		r := &s.Rows[len(s.Rows)-1]
		r.Result += fmt.Sprintf("; download in flight: %d/%d kept (%d bytes verified, stall %.1fs)",
			rec.Summary.Kept, rec.Summary.Total, plan.Bytes, rec.Summary.LongestStall.Seconds())
	}
	if err != nil {
		return errStep(name, err)
	}
	if requireKept {
		return errStep(name, keptAll(rec))
	}
	return nil
}

// The demo's downloads in flight: 60 kB at 6 kB/s (10 s) through the
// crash, 120 kB (20 s) through the failback (a reboot, then the hand-over
// waits for the sync).
var (
	DemoDownload     = DownloadPlan{K: 1, Bytes: 60000, Rate: 6000}
	DemoLongDownload = DownloadPlan{K: 1, Bytes: 120000, Rate: 6000}
)

// Standby runs `hbd standby` on the active director with no downloads
// running: the group moves to the peer, and the client's gap must stay
// within Bounds.FailbackGap.
func (s *Scenario) Standby(ctx context.Context) error {
	const step = "hbd standby"
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	other := s.Pair.Other(active)
	at := time.Now()
	lastHeld := at
	out, code, err := active.HBD(ctx, "standby")
	if err != nil || code != 0 {
		return errStep(step, fmt.Errorf("hbd standby: exit %d, %v: %s", code, err, out))
	}
	if _, err := s.waitMove(ctx, active, other, s.wantReals(s.realsIn(active)), &lastHeld); err != nil {
		return errStep(step, err)
	}
	s.Sayf("`hbd standby` on %s: %s holds the group %.1fs after it", active.Name, other.Name, time.Since(at).Seconds())
	if err := observe(ctx, time.Second); err != nil {
		return err
	}
	samples := s.Client.Samples()
	g, _ := LongestGap(samples, at, time.Now())
	r := s.row(step, at, other.Name+" active")
	s.Sayf("the client's longest gap: %.2fs (bound %.1fs), %d of %d requests failed", g.Len().Seconds(), s.Bounds.FailbackGap.Seconds(), r.Failed, r.Requests)
	if g.Len() > s.Bounds.FailbackGap {
		return errStep(step, fmt.Errorf("client gap %v exceeds the bound %v", g.Len().Round(time.Millisecond), s.Bounds.FailbackGap))
	}
	return nil
}
