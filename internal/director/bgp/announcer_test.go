package bgp_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp/bgptest"
)

func pfx(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func run(t *testing.T, sp *bgptest.Speaker) (*bgp.Announcer, func()) {
	a := bgp.NewAnnouncer(bgp.Config{Speaker: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Retry: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	synctest.Wait()
	return a, func() { cancel(); <-done }
}

func expect(t *testing.T, sp *bgptest.Speaker, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, sp.Take()); diff != "" {
		t.Errorf("speaker calls (-want +got):\n%s", diff)
	}
}

// TestAnnouncerFollowsSets: only the difference to what is announced is
// sent; sets given while one is applied coalesce to the latest; stop
// withdraws everything before stopping.
func TestAnnouncerFollowsSets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := &bgptest.Speaker{}
		a, stop := run(t, sp)
		expect(t, sp, "start")
		a.SetRoutes(pfx("10.1.1.10/32", "2001:db8::10/128"))
		synctest.Wait()
		expect(t, sp, "+10.1.1.10/32", "+2001:db8::10/128")
		a.SetRoutes(pfx("10.1.1.20/32"))
		a.SetRoutes(pfx("10.1.1.10/32", "10.1.1.20/32"))
		synctest.Wait()
		expect(t, sp, "-2001:db8::10/128", "+10.1.1.20/32")
		a.SetRoutes(pfx("10.1.1.10/32", "10.1.1.20/32"))
		synctest.Wait()
		expect(t, sp)
		if st := a.Status(); !st.Started || !slices.Equal(st.Announced, pfx("10.1.1.10/32", "10.1.1.20/32")) {
			t.Errorf("status %+v, want started, both routes", st)
		}
		stop()
		if st := a.Status(); st.Started || len(st.Announced) != 0 {
			t.Errorf("status after stop %+v, want stopped, nothing announced", st)
		}
		got := sp.Take()
		if len(got) != 3 || got[2] != "stop" || !(got[0] == "-10.1.1.10/32" && got[1] == "-10.1.1.20/32" || got[0] == "-10.1.1.20/32" && got[1] == "-10.1.1.10/32") {
			t.Errorf("stop: calls %q, want both withdrawn then stop", got)
		}
	})
}

// TestAnnouncerRetries: a speaker that cannot start, or refuses a change,
// is retried every Retry, and SetRoutes never blocks meanwhile.
func TestAnnouncerRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := &bgptest.Speaker{FailStarts: 1}
		a, stop := run(t, sp)
		a.SetRoutes(pfx("10.1.1.10/32")) // wakes the loop: a second start, which succeeds
		synctest.Wait()
		expect(t, sp, "start", "start", "+10.1.1.10/32")

		sp.SetFail(true)
		a.SetRoutes(nil)
		synctest.Wait()
		expect(t, sp, "-10.1.1.10/32 refused")
		time.Sleep(4 * time.Second)
		synctest.Wait()
		expect(t, sp)
		sp.SetFail(false)
		time.Sleep(time.Second)
		synctest.Wait()
		expect(t, sp, "-10.1.1.10/32")
		stop()
		expect(t, sp, "stop")
	})
}

// TestAnnouncerNeverStarted: a stop before the speaker ever started calls
// nothing more.
func TestAnnouncerNeverStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sp := &bgptest.Speaker{FailStarts: 100}
		_, stop := run(t, sp)
		stop()
		expect(t, sp, "start")
	})
}
