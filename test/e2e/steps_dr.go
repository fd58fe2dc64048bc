package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// VIPARP watches who claims the VIP on the LAN (seed S2: the standby
// holds the VIP on lo and must never answer ARP for it): every ARP frame
// that crosses a director's switch port, while the client asks who has
// the VIP every 200 ms.
type VIPARP struct {
	Events *netlab.Events[netlab.ARPEvent]
	MACs   map[string]string // director name -> its eth0 MAC
}

// WatchVIPARP starts the watch until the test ends.
func (s *Scenario) WatchVIPARP(t testing.TB, ctx context.Context) *VIPARP {
	t.Helper()
	w := &VIPARP{Events: netlab.NewEvents[netlab.ARPEvent](), MACs: map[string]string{}}
	for _, d := range s.Pair.Directors {
		mac, err := d.NS.MAC("eth0") // eth0 keeps its MAC across reboots (Director.reboot)
		if err != nil {
			t.Fatal(err)
		}
		w.MACs[d.Name] = mac.String()
		netlab.WatchARPPort(t, s.Pair.Switch.NS, d.port("lan"), w.Events)
	}
	var c *arp.Client
	err := s.Pair.Client.Do(func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		c, err = arp.Dial(ifi)
		return err
	})
	if err != nil {
		t.Fatalf("ARP client in %s: %v", s.Pair.Client.Name, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = c.Request(VIP.Addr()) // a lost request is the next tick's
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		c.Close()
	})
	return w
}

// claims returns the frames in [from, to] in which d tells the LAN that
// it has the VIP: any ARP frame with the VIP as sender address and d's MAC
// as sender hardware address (a reply, an announcement, or a request that
// updates the receivers' caches all the same).
func (w *VIPARP) claims(d *Director, from, to time.Time) []netlab.ARPEvent {
	var out []netlab.ARPEvent
	for _, e := range w.Events.Since(0) {
		if e.SenderIP == VIP.Addr() && e.SenderHW.String() == w.MACs[d.Name] && !e.At.Before(from) && !e.At.After(to) {
			out = append(out, e)
		}
	}
	return out
}

// CheckStandbySilent fails if standby claimed the VIP in [from, to], or if
// active never did (the watch would then see nothing at all).
func (s *Scenario) CheckStandbySilent(w *VIPARP, active, standby *Director, from, to time.Time) error {
	if c := w.claims(standby, from, to); len(c) > 0 {
		return fmt.Errorf("the standby %s answered ARP for the VIP %d times between +%.1fs and +%.1fs, first: %s",
			standby.Name, len(c), from.Sub(s.T0).Seconds(), to.Sub(s.T0).Seconds(), c[0])
	}
	n := len(w.claims(active, from, to))
	if n == 0 {
		return fmt.Errorf("the active %s never answered ARP for the VIP between +%.1fs and +%.1fs: the watch sees nothing", active.Name, from.Sub(s.T0).Seconds(), to.Sub(s.T0).Seconds())
	}
	s.Sayf("ARP for %s over %.1fs: %d answers from %s, none from the standby %s", VIP.Addr(), to.Sub(from).Seconds(), n, active.Name, standby.Name)
	return nil
}

// CheckStandbyVIP checks that the standby holds the VIP on lo (IPaddrDR:
// it serves the VIP as a real server) and narrates its ARP sysctls.
func (s *Scenario) CheckStandbyVIP(standby *Director) error {
	addrs, err := standby.NS.Addrs()
	if err != nil {
		return err
	}
	if !slices.Contains(addrs["lo"], netip.PrefixFrom(VIP.Addr(), 32)) {
		return fmt.Errorf("the standby %s does not hold %s/32 on lo (addresses: %v)", standby.Name, VIP.Addr(), addrs)
	}
	var sysctls []string
	for _, k := range []string{"all/arp_ignore", "all/arp_announce", "eth0/arp_ignore", "eth0/arp_announce"} {
		v, err := standby.readSysctl("net/ipv4/conf/" + k)
		if err != nil {
			v = err.Error()
		}
		sysctls = append(sysctls, k+"="+v)
	}
	s.Sayf("%s (standby) holds %s/32 on lo; %s", standby.Name, VIP.Addr(), strings.Join(sysctls, " "))
	return nil
}

// Alternation sends n requests one after the other, each on a new
// connection, through the VIP (GET /?id=label-i). With rr they must
// alternate between the two directors' web servers; each request must be
// served exactly once (no request served twice, by one server or both);
// and only the active director's IPVS may have scheduled them: exactly n
// connections there, none and no packet at all in the standby's IPVS (a
// packet loop would run through both tables).
func (s *Scenario) Alternation(ctx context.Context, label string, n int) error {
	step := "alternation " + label
	from := time.Now()
	active, err := s.Active(ctx)
	if err != nil {
		return errStep(step, err)
	}
	standby := s.Pair.Other(active)
	// Entries the standby scheduled while it was active (TIME_WAIT lasts
	// 2 min) are not new; a new one would be a connection it scheduled as
	// the standby.
	earlier, err := localConns(standby)
	if err != nil {
		return errStep(step, err)
	}
	before := map[*Director]IPVSStats{}
	for _, d := range s.Pair.Directors {
		if before[d], err = s.settledStats(ctx, d); err != nil {
			return errStep(step, err)
		}
	}
	hc := s.Pair.Client.HTTPClient(5 * time.Second)
	var seq []string
	for i := range n {
		body, err := get(ctx, hc, fmt.Sprintf("%s?id=%s-%d", s.Pair.URL(), label, i))
		if err != nil {
			return errStep(step, fmt.Errorf("request %d: %w", i, err))
		}
		seq = append(seq, body)
	}
	s.Sayf("%d requests through %s answered by %s", n, VIP.Addr(), strings.Join(seq, " "))
	for i := 1; i < len(seq); i++ {
		if seq[i] == seq[i-1] {
			return errStep(step, fmt.Errorf("answers do not alternate: request %d and %d both by %s: %v", i-1, i, seq[i], seq))
		}
	}
	if !slices.Contains(seq, NodeNames[0]) || !slices.Contains(seq, NodeNames[1]) {
		return errStep(step, fmt.Errorf("answers %v: want both %s and %s", seq, NodeNames[0], NodeNames[1]))
	}
	for i := range n {
		id := fmt.Sprintf("%s-%d", label, i)
		var by []string
		for _, d := range s.Pair.Directors {
			for range d.Web.ServedIDs()[id] {
				by = append(by, d.Name)
			}
		}
		if len(by) != 1 || by[0] != seq[i] {
			return errStep(step, fmt.Errorf("request %s served by %v, want once, by %s (who answered)", id, by, seq[i]))
		}
	}
	// The totals are summed from per-CPU counters by the estimator timer
	// every 2 s (ip_vs_est.c): wait for the active's to count the
	// requests, then one more period for the standby's.
	var da, ds IPVSStats
	if _, err := waitFor(ctx, s.Bounds.Converge, "the active's IPVS totals to count the requests", func() (bool, string, error) {
		st, err := active.IPVSStats()
		da = st.Sub(before[active])
		return da.Conns >= uint64(n), fmt.Sprintf("%d connections counted", da.Conns), err
	}); err != nil {
		return errStep(step, err)
	}
	if err := observe(ctx, 2500*time.Millisecond); err != nil {
		return err
	}
	for d, out := range map[*Director]*IPVSStats{active: &da, standby: &ds} {
		st, err := d.IPVSStats()
		if err != nil {
			return errStep(step, err)
		}
		*out = st.Sub(before[d])
	}
	s.Sayf("IPVS totals over the %d requests: %s (active) %d connections, %d packets in; %s (standby) %d connections, %d packets",
		n, active.Name, da.Conns, da.InPkts, standby.Name, ds.Conns, ds.InPkts)
	if da.Conns != uint64(n) {
		return errStep(step, fmt.Errorf("the active %s's IPVS scheduled %d connections for %d requests", active.Name, da.Conns, n))
	}
	if ds.Conns != 0 || ds.InPkts != 0 {
		return errStep(step, fmt.Errorf("the standby %s's IPVS handled %d connections and %d packets: traffic ran through it (a loop)", standby.Name, ds.Conns, ds.InPkts))
	}
	conns, err := standby.Conns()
	if err != nil {
		return errStep(step, err)
	}
	synced := 0
	for _, c := range conns {
		switch {
		case c.Virtual != vipPort():
		case c.Origin == ipvs.OriginSync:
			synced++
		case !earlier[c.Client]:
			return errStep(step, fmt.Errorf("the standby %s scheduled a connection itself: %s -> %s (%s, origin %s)", standby.Name, c.Client, c.Real, c.State, c.Origin))
		}
	}
	s.Sayf("%s (standby) holds %d connections to the VIP synced from %s, and scheduled none", standby.Name, synced, active.Name)
	s.row(step, from, fmt.Sprintf("%d requests alternate, each served once", n))
	return nil
}

// get fetches url and returns the body, trimmed.
func get(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// CrashDRDuringDownloads is a power failure of the active director of S2
// while plan's downloads run: the downloads its own web server served die
// with it (a real server lost), every one served by the survivor must be
// kept.
func (s *Scenario) CrashDRDuringDownloads(ctx context.Context, plan DownloadPlan) (DownloadStep, error) {
	active, err := s.Active(ctx)
	if err != nil {
		return DownloadStep{}, err
	}
	survivor := s.Pair.Other(active)
	rec, err := s.CrashDuringDownloads(ctx, plan, false)
	if err != nil {
		return rec, err
	}
	var bySurvivor, keptBySurvivor, byDead int
	for _, d := range rec.Downloads {
		switch d.Real {
		case survivor.Name:
			bySurvivor++
			if d.OK() {
				keptBySurvivor++
			}
		case active.Name:
			byDead++
		}
	}
	s.Sayf("downloads served by %s (survivor): %d/%d kept; %d were served by %s's own web server, which died with it",
		survivor.Name, keptBySurvivor, bySurvivor, byDead, active.Name)
	if bySurvivor == 0 || keptBySurvivor != bySurvivor {
		return rec, errStep(rec.Step, fmt.Errorf("downloads served by the survivor %s: %d/%d kept, want all (and some)", survivor.Name, keptBySurvivor, bySurvivor))
	}
	return rec, nil
}

// readSysctl reads /proc/sys/<key> in the director's namespace (the
// net.* sysctls a thread sees are its own namespace's).
func (d *Director) readSysctl(key string) (string, error) {
	var b []byte
	err := d.NS.Do(func() error {
		var err error
		b, err = os.ReadFile("/proc/sys/" + key)
		return err
	})
	return strings.TrimSpace(string(b)), err
}

// settledStats returns d's IPVS totals once earlier traffic is all
// counted: two reads an estimator period (2 s) apart agree.
func (s *Scenario) settledStats(ctx context.Context, d *Director) (IPVSStats, error) {
	var last IPVSStats
	first := true
	_, err := waitFor(ctx, s.Bounds.Converge, d.Name+"'s IPVS totals to settle", func() (bool, string, error) {
		st, err := d.IPVSStats()
		if err != nil {
			return false, "", err
		}
		same := !first && st == last
		first, last = false, st
		if !same {
			time.Sleep(2200 * time.Millisecond) // one estimator period; waitFor's own tick is 100 ms
		}
		return same, fmt.Sprintf("%+v still changing", st), nil
	})
	return last, err
}

// localConns returns the clients of d's connections to the VIP that d
// scheduled itself (origin LOCAL).
func localConns(d *Director) (map[netip.AddrPort]bool, error) {
	conns, err := d.Conns()
	if err != nil {
		return nil, err
	}
	out := map[netip.AddrPort]bool{}
	for _, c := range conns {
		if c.Virtual == vipPort() && c.Origin != ipvs.OriginSync {
			out[c.Client] = true
		}
	}
	return out, nil
}
