package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Active returns the director holding the LAN VIP, or an error unless
// exactly one does.
func (s *Scenario) Active(ctx context.Context) (*Director, error) {
	h, err := s.Pair.Holders(ctx)
	if err != nil {
		return nil, err
	}
	if len(h) != 1 {
		names := []string{}
		for _, d := range h {
			names = append(names, d.Name)
		}
		return nil, fmt.Errorf("want exactly one director holding %s, got %v", VIP.Addr(), names)
	}
	return h[0], nil
}

// Up boots both directors, waits for test1.com (the preferred node) to
// hold the VIPs and the IPVS table while test2.com stays idle, then starts
// the client and waits for answers from every web server.
func (s *Scenario) Up(ctx context.Context) error {
	if s.Pair.Mode.WarmStandby() {
		return s.UpWarm(ctx, true)
	}
	from := time.Now()
	d1, d2 := s.Pair.Directors[0], s.Pair.Directors[1]
	s.Sayf("boot %s and %s: each runs `hbd run` with its own copy of S1's /etc/ha.d", d1.Name, d2.Name)
	s.Sayf("haresources (both): %s", strings.TrimSpace(HaResources()))
	for _, d := range s.Pair.Directors {
		if err := d.Boot(ctx); err != nil {
			return errStep("start", err)
		}
	}
	n := len(s.Pair.Webs)
	took, err := waitFor(ctx, s.Bounds.Converge, d1.Name+" to hold the VIPs and the IPVS table",
		func() (bool, string, error) { return s.holds(d1, allUp(min(n, 3))) })
	if err != nil {
		return errStep("start", err)
	}
	s.Sayf("%s is active after %.1fs: ldirectord started, %s on eth0 and %s on eth1, every real at weight 1",
		d1.Name, took.Seconds(), VIP, InsideVIP)
	if ok, why, err := s.idle(d2); err != nil || !ok {
		return errStep("start", fmt.Errorf("standby not idle: %s %v", why, err))
	}
	s.Sayf("%s is the standby: no VIP, no ldirectord, empty IPVS table", d2.Name)
	s.StartClient(ctx)
	s.Sayf("client %s starts: GET %s every 50 ms, new connection each, 1 s timeout", ClientAddr.Addr(), s.Pair.URL())
	_, err = waitFor(ctx, s.Bounds.Converge, "answers from web1, web2 and web3", func() (bool, string, error) {
		samples := s.Client.Samples()
		for _, w := range s.Pair.Webs[:min(n, 3)] {
			if _, ok := FirstAnswerFrom(samples, w.Name, from); !ok {
				return false, "no answer from " + w.Name + " yet", nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return errStep("start", err)
	}
	s.row("start", from, "test1.com active")
	s.Sayf("the client gets answers from %s", strings.Join(webNames(s.Pair.Webs[:min(n, 3)]), ", "))
	return nil
}

func webNames(ws []*Web) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}

// ShowStatus narrates `hbd status` and `ldirectord status` of both nodes
// and checks that they agree on the owner.
func (s *Scenario) ShowStatus(ctx context.Context, step string) error {
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	for _, d := range s.Pair.Directors {
		if !d.holder.Running() {
			s.Sayf("%s is powered off", d.Name)
			continue
		}
		out, code, err := d.HBD(ctx, "status")
		if err != nil {
			return errStep(step, err)
		}
		s.Sayf("%s: hbd status (exit %d)", d.Name, code)
		s.Block(out)
		out, code, err = d.Ldirectord(ctx, "status")
		if err != nil {
			return errStep(step, err)
		}
		s.Sayf("%s: ldirectord ldirectord.cf status (exit %d)", d.Name, code)
		s.Block(out)
		st, err := d.StatusJSON(ctx)
		if err != nil {
			return errStep(step, err)
		}
		if st.Owner() != active.Name {
			return errStep(step, fmt.Errorf("%s: hbd status says the owner is %q, but %s holds the VIP", d.Name, st.Owner(), active.Name))
		}
		_, running, err := d.LdStatusJSON(ctx)
		if err != nil {
			return errStep(step, err)
		}
		if want := d == active || s.Pair.Mode.WarmStandby(); running != want {
			return errStep(step, fmt.Errorf("%s: ldirectord running=%v, want %v", d.Name, running, want))
		}
	}
	tb, err := active.Table()
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("%s: IPVS table (ipvsadm -Ln)", active.Name)
	s.Block(tb.String())
	return nil
}

// observe lets the client run for d (an observation window, not a
// synchronisation: nothing waits for it to order events).
func observe(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// steadyCheck fails when the client had a failed request or a pause
// longer than Bounds.Steady in [from, to].
func (s *Scenario) steadyCheck(from, to time.Time) error {
	samples := s.Client.Samples()
	w := Summarize(samples, from, to)
	if len(w.Failed) > 0 {
		return fmt.Errorf("client affected: %d failed requests, first: %s", len(w.Failed), w.Failed[0].Err)
	}
	if g, ok := LongestGap(samples, from, to); ok && g.Len() > s.Bounds.Steady {
		return fmt.Errorf("client affected: no answer for %v (bound %v)", g.Len().Round(time.Millisecond), s.Bounds.Steady)
	}
	return nil
}

// BreakWeb makes web i fail its negotiate check, waits for ldirectord to
// quiesce it (weight 0, still in the table), checks that the client is
// unaffected and gets no new connection to it, then restores it and
// waits for weight 1 and an answer from it.
func (s *Scenario) BreakWeb(ctx context.Context, i int) error {
	const step = "web server check fails"
	from := time.Now()
	w := s.Pair.Webs[i]
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	n := s.realsIn(active)
	s.Sayf("%s breaks: its /index.html now says \"maintenance\" instead of \"ok\"", w.Name)
	w.Break()
	want := allUp(n)
	want[w.Addr] = 0
	took, err := waitFor(ctx, s.Bounds.Converge, w.Name+" at weight 0", func() (bool, string, error) { return s.holds(active, want) })
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("ldirectord on %s noticed after %.1fs: %s quiesced to weight 0, still in the table (quiescent=yes)", active.Name, took.Seconds(), w.Addr)
	if out, _, err := active.Ldirectord(ctx, "status"); err == nil {
		s.Block(out)
	}
	quiesced := time.Now()
	if err := observe(ctx, 2*time.Second); err != nil {
		return err
	}
	if got := Summarize(s.Client.Samples(), quiesced, time.Now()).ByReal[w.Name]; got != 0 {
		return errStep(step, fmt.Errorf("%s answered %d new connections at weight 0", w.Name, got))
	}
	s.Sayf("for 2 s the client got no answer from %s and lost nothing", w.Name)
	w.Restore()
	restored := time.Now()
	s.Sayf("%s is repaired: /index.html says \"ok\" again", w.Name)
	took, err = waitFor(ctx, s.Bounds.Converge, w.Name+" back at weight 1", func() (bool, string, error) { return s.holds(active, allUp(n)) })
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("ldirectord restored %s to weight 1 after %.1fs", w.Addr, took.Seconds())
	if _, err := waitFor(ctx, s.Bounds.Converge, "an answer from "+w.Name, func() (bool, string, error) {
		_, ok := FirstAnswerFrom(s.Client.Samples(), w.Name, restored)
		return ok, "none yet", nil
	}); err != nil {
		return errStep(step, err)
	}
	s.Sayf("the client gets answers from %s again", w.Name)
	if err := s.steadyCheck(from, time.Now()); err != nil {
		return errStep(step, err)
	}
	s.row(step, from, w.Name+" drained (weight 0) and back")
	return nil
}

// realsIn is the number of reals the director's table has for the VIP.
func (s *Scenario) realsIn(d *Director) int {
	tb, err := d.Table()
	if err != nil {
		return 0
	}
	w, _ := tb.Weights(vipPort())
	return len(w)
}

// FailActive is a power failure of the active director: the standby must
// take over within Bounds.FailoverGap of client silence, with one gap.
func (s *Scenario) FailActive(ctx context.Context) error {
	const step = "active director dies"
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	other := s.Pair.Other(active)
	n := s.realsIn(active)
	at, err := active.PowerOff()
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("POWER FAILURE on %s: hbd and ldirectord killed, both cables pulled", active.Name)
	took, err := waitFor(ctx, s.Bounds.Converge, other.Name+" to take over", func() (bool, string, error) { return s.holds(other, allUp(n)) })
	if err != nil {
		return errStep(step, err)
	}
	what := "ldirectord started, VIPs added with gratuitous ARP"
	if s.Pair.Mode.WarmStandby() {
		what = "VIPs added with gratuitous ARP, sync daemon now master (its ldirectord already ran)"
	}
	s.Sayf("%s took over %.1fs after the failure (deadtime %v): %s", other.Name, took.Seconds(), s.Pair.Timers.Deadtime, what)
	return s.gapStep(ctx, step, at, s.Bounds.FailoverGap, other.Name+" active")
}

// gapStep waits for the client's first answer after at, lets it run 1 s
// more, and checks that the client saw exactly one gap, bounded by bound,
// and that every failed request falls into it.
func (s *Scenario) gapStep(ctx context.Context, step string, at time.Time, bound time.Duration, result string) error {
	if _, err := waitFor(ctx, s.Bounds.Converge, "the client's next answer", func() (bool, string, error) {
		_, ok := FirstAnswer(s.Client.Samples(), at)
		return ok, "none yet", nil
	}); err != nil {
		return errStep(step, err)
	}
	if err := observe(ctx, time.Second); err != nil {
		return err
	}
	to := time.Now()
	samples := s.Client.Samples()
	g, _ := LongestGap(samples, at, to)
	s.Sayf("the client's longest gap: %.2fs (bound %.1fs)", g.Len().Seconds(), bound.Seconds())
	s.row(step, at, result)
	s.Gaps = append(s.Gaps, g)
	if g.Len() > bound {
		return errStep(step, fmt.Errorf("client gap %v exceeds the bound %v", g.Len().Round(time.Millisecond), bound))
	}
	if gaps := Gaps(samples, at, to, s.Bounds.Steady); len(gaps) > 1 {
		return errStep(step, fmt.Errorf("client saw %d gaps over %v, want one: %v", len(gaps), s.Bounds.Steady, gaps))
	}
	for _, f := range Summarize(samples, at, to).Failed {
		if !g.Overlaps(f) {
			return errStep(step, fmt.Errorf("failed request at +%v outside the gap: %s", f.Start.Sub(s.T0), f.Err))
		}
	}
	return nil
}

// Failback powers d on again: with auto_failback on it takes the group
// back; afterwards exactly one director holds each VIP and an IPVS table.
func (s *Scenario) Failback(ctx context.Context, d *Director) error {
	const step = "director comes back"
	other := s.Pair.Other(d)
	n := s.realsIn(other)
	at := time.Now()
	if err := d.PowerOn(ctx); err != nil {
		return errStep(step, err)
	}
	if s.Pair.Mode.WarmStandby() {
		s.Sayf("%s is back: rebooted (no VIP, no IPVS table, no connections), cables in, hbd and ldirectord (its init script) started", d.Name)
	} else {
		s.Sayf("%s is back: rebooted (no VIP, empty IPVS table), cables in, hbd started", d.Name)
	}
	took, err := waitFor(ctx, s.Bounds.Converge, d.Name+" to take the group back", func() (bool, string, error) {
		if ok, why, err := s.holds(d, allUp(n)); !ok || err != nil {
			return ok, why, err
		}
		if s.Pair.Mode.WarmStandby() {
			return s.warm(other, allUp(n))
		}
		return s.idle(other)
	})
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("auto_failback on: %s released the group, %s took it back (%.1fs after power-on)", other.Name, d.Name, took.Seconds())
	if err := s.gapStep(ctx, step, at, s.Bounds.FailbackGap, d.Name+" active again"); err != nil {
		return err
	}
	return s.oneHolder(ctx, step, d)
}

// oneHolder checks that d alone holds each VIP and an IPVS table.
func (s *Scenario) oneHolder(ctx context.Context, step string, d *Director) error {
	for _, vip := range []netip.Addr{VIP.Addr(), InsideVIP.Addr()} {
		var holders []string
		for _, x := range s.Pair.Directors {
			v, err := x.VIPs()
			if err != nil {
				return errStep(step, err)
			}
			if v[vip] {
				holders = append(holders, x.Name)
			}
		}
		if len(holders) != 1 || holders[0] != d.Name {
			return errStep(step, fmt.Errorf("%s held by %v, want only %s", vip, holders, d.Name))
		}
	}
	for _, x := range s.Pair.Directors {
		tb, err := x.Table()
		if err != nil {
			return errStep(step, err)
		}
		if s.Pair.Mode.WarmStandby() {
			if len(tb) == 0 {
				return errStep(step, fmt.Errorf("%s has no IPVS table, want a warm standby", x.Name))
			}
			continue
		}
		if (len(tb) != 0) != (x == d) {
			return errStep(step, fmt.Errorf("%s has %d IPVS services, want them on %s only", x.Name, len(tb), d.Name))
		}
	}
	if s.Pair.Mode.WarmStandby() {
		s.Sayf("exactly one director holds each VIP: %s; both hold the IPVS table (warm standby)", d.Name)
		return nil
	}
	s.Sayf("exactly one director holds each VIP and the IPVS table: %s", d.Name)
	return nil
}
