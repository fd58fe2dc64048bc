package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Reload adds web4 to ldirectord.cf on both directors and runs
// `ldirectord ldirectord.cf reload` on the active one, with keep-alive
// sessions open to every real: each must answer again on its old
// connection, web4 must join at weight 1, and the client must not notice.
func (s *Scenario) Reload(ctx context.Context) error {
	const step = "reload adds web4"
	from := time.Now()
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	var sessions []*session
	defer func() {
		for _, ss := range sessions {
			ss.conn.Close()
		}
	}()
	for range 6 {
		ss, err := s.Pair.openSession(ctx)
		if err != nil {
			return errStep(step, err)
		}
		sessions = append(sessions, ss)
		if ss.real, err = ss.get(); err != nil {
			return errStep(step, err)
		}
	}
	s.Sayf("6 kept-alive client connections are open, answered by %v", sessionReals(sessions))
	logOff := fileSize(filepath.Join(active.LogDir(), "ldirectord.log"))
	if err := s.Pair.WriteLdirectordCf(4); err != nil {
		return errStep(step, err)
	}
	out, code, err := active.Ldirectord(ctx, "reload")
	if err != nil || code != 0 {
		return errStep(step, fmt.Errorf("ldirectord reload: exit %d, %v: %s", code, err, out))
	}
	s.Sayf("web4 (%s) added to ldirectord.cf on both directors; `ldirectord ldirectord.cf reload` on %s: exit 0", WebAddrs[3], active.Name)
	took, err := waitFor(ctx, s.Bounds.Converge, "web4 at weight 1", func() (bool, string, error) { return s.holds(active, allUp(4)) })
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("web4 is in the IPVS table at weight 1 after %.1fs", took.Seconds())
	for _, ss := range sessions {
		got, err := ss.get()
		if err != nil {
			return errStep(step, fmt.Errorf("connection broken by the reload: %w", err))
		}
		if got != ss.real {
			return errStep(step, fmt.Errorf("session %s answered by %s, first by %s", ss.conn.LocalAddr(), got, ss.real))
		}
	}
	s.Sayf("all 6 old connections answered again, each by the same real: the reload broke no connection")
	if del := deletions(filepath.Join(active.LogDir(), "ldirectord.log"), logOff); len(del) > 0 {
		return errStep(step, fmt.Errorf("the reload deleted from the IPVS table: %q", del))
	}
	if _, err := waitFor(ctx, s.Bounds.Converge, "an answer from web4", func() (bool, string, error) {
		_, ok := FirstAnswerFrom(s.Client.Samples(), "web4", from)
		return ok, "none yet", nil
	}); err != nil {
		return errStep(step, err)
	}
	s.Sayf("the client gets answers from web4")
	if err := s.steadyCheck(from, time.Now()); err != nil {
		return errStep(step, err)
	}
	s.row(step, from, "web4 added, no connection broken")
	return nil
}

func sessionReals(ss []*session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.real)
	}
	slices.Sort(out)
	return out
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns the lines of file p after byte offset off.
func logSince(p string, off int64) []string {
	b, err := os.ReadFile(p)
	if err != nil || int64(len(b)) < off {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b[off:]), "\n"), "\n")
}

// deletions returns ldirectord's "Deleted ..." lines after off.
func deletions(p string, off int64) []string {
	var out []string
	for _, l := range logSince(p, off) {
		if strings.Contains(l, "Deleted") {
			out = append(out, l)
		}
	}
	return out
}

// StopActive runs `hbd stop` on the active director: it must release the
// group in reverse haresources order (inside VIP, LAN VIP, then
// ldirectord, which removes its IPVS service), and the peer takes over.
func (s *Scenario) StopActive(ctx context.Context) error {
	const step = "hbd stop on the active node"
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	other := s.Pair.Other(active)
	n := s.realsIn(active)
	haLog := filepath.Join(active.LogDir(), "ha-log")
	off := fileSize(haLog)
	at := time.Now()
	out, code, err := active.HBD(ctx, "stop")
	if err != nil || code != 0 {
		return errStep(step, fmt.Errorf("hbd stop: exit %d, %v: %s", code, err, out))
	}
	s.Sayf("`hbd stop` on %s returned after %.1fs (exit 0)", active.Name, time.Since(at).Seconds())
	if ok, why, err := s.idle(active); err != nil || !ok {
		return errStep(step, fmt.Errorf("after hbd stop returned: %s %v", why, err))
	}
	if _, code, err := active.Ldirectord(ctx, "status"); err != nil || code != 3 {
		return errStep(step, fmt.Errorf("ldirectord status on %s: exit %d (want 3, stopped), %v", active.Name, code, err))
	}
	order, err := stopOrder(logSince(haLog, off))
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("%s released in reverse haresources order: %s; no VIP, no ldirectord, empty IPVS table", active.Name, strings.Join(order, ", then "))
	took, err := waitFor(ctx, s.Bounds.Converge, other.Name+" to take over", func() (bool, string, error) { return s.holds(other, allUp(n)) })
	if err != nil {
		return errStep(step, err)
	}
	s.Sayf("%s took over %.1fs after the stop", other.Name, took.Seconds())
	return s.gapStep(ctx, step, at, s.Bounds.FailbackGap, other.Name+" active, "+active.Name+" stopped")
}

// stopOrder finds the three stop lines in hbd's log and checks that they
// come in reverse haresources order.
func stopOrder(lines []string) ([]string, error) {
	want := []struct{ name, a, b string }{
		{"IPaddr " + InsideVIP.String(), "IP address removed", "prefix=" + InsideVIP.String()},
		{"IPaddr " + VIP.String(), "IP address removed", "prefix=" + VIP.String()},
		{"ldirectord stop", "Running ", "ldirectord ldirectord.cf stop"},
	}
	var names []string
	last := -1
	for _, w := range want {
		at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, w.a) && strings.Contains(l, w.b) })
		if at < 0 {
			return nil, fmt.Errorf("hbd log has no %q line for %s:\n%s", w.a, w.name, strings.Join(lines, "\n"))
		}
		if at < last {
			return nil, fmt.Errorf("hbd stopped %s before %s:\n%s", w.name, names[len(names)-1], strings.Join(lines, "\n"))
		}
		last = at
		names = append(names, w.name)
	}
	return names, nil
}

// KillLdirectord kills ldirectord on the active director with SIGKILL.
// The pair's choice (documented in the README): hbd restarts it on the
// same node, within Bounds.Converge, with no failover; meanwhile the IPVS
// table stays in the kernel, so the client is not affected.
func (s *Scenario) KillLdirectord(ctx context.Context) error {
	const step = "ldirectord dies"
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	pids, err := active.LdirectordPids()
	if err != nil || len(pids) == 0 {
		return errStep(step, fmt.Errorf("no ldirectord on %s: %v", active.Name, err))
	}
	at := time.Now()
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return errStep(step, fmt.Errorf("kill -9 %d: %w", pid, err))
		}
	}
	s.Sayf("kill -9 ldirectord on %s (pid %v)", active.Name, pids)
	took, err := waitFor(ctx, s.Bounds.Converge, "hbd to restart ldirectord on "+active.Name, func() (bool, string, error) {
		now, err := active.LdirectordPids()
		if err != nil {
			return false, "", err
		}
		if len(now) == 0 || slices.Contains(pids, now[0]) {
			return false, "no new ldirectord", nil
		}
		_, code, err := active.Ldirectord(ctx, "status")
		return err == nil && code == 0, fmt.Sprintf("ldirectord status exit %d", code), err
	})
	if err != nil {
		return errStep(step, fmt.Errorf("%w; %s", err, s.afterLdirectordDeath(ctx, active)))
	}
	s.Sayf("hbd restarted ldirectord on %s after %.1fs", active.Name, took.Seconds())
	if err := s.steadyCheck(at, time.Now()); err != nil {
		return errStep(step, err)
	}
	s.row(step, at, "ldirectord restarted on "+active.Name)
	return nil
}

// afterLdirectordDeath describes what the pair did instead of restarting
// ldirectord, for the failure message.
func (s *Scenario) afterLdirectordDeath(ctx context.Context, d *Director) string {
	var b strings.Builder
	if h, err := s.Pair.Holders(ctx); err == nil {
		names := []string{}
		for _, x := range h {
			names = append(names, x.Name)
		}
		fmt.Fprintf(&b, "VIP held by %v (no failover)", names)
	}
	if st, err := d.StatusJSON(ctx); err == nil && len(st.Groups) > 0 {
		fmt.Fprintf(&b, "; hbd status on %s: owner %s, here: %s, resources held: %s", d.Name, st.Owner(), st.Groups[0].Phase, st.Resources)
	}
	if tb, err := d.Table(); err == nil {
		fmt.Fprintf(&b, "; %d IPVS services left in the kernel, no longer checked", len(tb))
	}
	return b.String()
}
