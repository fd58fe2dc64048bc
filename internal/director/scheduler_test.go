package director

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// gaugeChecker hangs every check until its context ends and records the
// most checks in flight at once.
type gaugeChecker struct {
	mu            sync.Mutex
	inFlight, max int
}

func (g *gaugeChecker) Check(ctx context.Context, _ check.Target) check.Result {
	g.mu.Lock()
	g.inFlight++
	g.max = max(g.max, g.inFlight)
	g.mu.Unlock()
	<-ctx.Done()
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	return check.Result{Err: "timeout"}
}

func TestSchedulerBoundsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reals []ldcf.Real
		for i := range 10 {
			reals = append(reals, rl(fmt.Sprintf("10.0.0.%d:80", i+2), 1, ldcf.Gate))
		}
		g := &gaugeChecker{}
		d := New(Config{
			Kernel: &ipvstest.Kernel{}, Checkers: check.Registry{{Type: ldcf.CheckConnect}: g},
			Logger: slogNew(newLogRecorder()), MaxInFlight: 3,
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- d.Run(ctx, conf(virt("10.1.1.10:80", reals))) }()
		time.Sleep(30 * time.Second) // several timeouts' worth: every real got checked
		synctest.Wait()
		cancel()
		<-done
		if g.max != 3 {
			t.Errorf("most checks in flight = %d, want 3 (MaxInFlight)", g.max)
		}
		for _, r := range d.Status().Virtuals[0].Reals {
			if r.State != Down {
				t.Errorf("real %s = %v after its timeout, want down", r.Addr, r.State)
			}
		}
	})
}

// stubbornChecker ignores its context and blocks until released.
type stubbornChecker struct{ release chan struct{} }

func (s stubbornChecker) Check(context.Context, check.Target) check.Result {
	<-s.release
	return check.Result{Up: true}
}

func TestRunCheckIgnoringContextIsAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := stubbornChecker{release: make(chan struct{})}
		d := New(Config{
			Kernel: &ipvstest.Kernel{}, Checkers: check.Registry{{Type: ldcf.CheckConnect}: s},
			Logger: slogNew(newLogRecorder()), Jitter: func(time.Duration) time.Duration { return 0 },
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- d.Run(ctx, conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}))) }()
		time.Sleep(5*time.Second + checkGrace)
		synctest.Wait()
		r := d.Status().Virtuals[0].Reals[0]
		if r.State != Down || r.LastError != "check did not return within its timeout 5s" {
			t.Errorf("stubborn check: %+v", r)
		}
		close(s.release)
		cancel()
		<-done
	})
}

// TestStartupCost counts kernel calls for 100 healthy reals from an empty
// table: two listings, one service and one add per real (ldirectord 4.12
// needed 903 ipvsadm runs for the same start, anchors.md §2.6).
func TestStartupCost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var reals []ldcf.Real
		for i := range 100 {
			reals = append(reals, rl(fmt.Sprintf("10.0.%d.%d:80", i/200, i%200+2), 1, ldcf.Gate))
		}
		fc := newFakeChecker()
		for _, r := range reals {
			fc.set(r.Addr.String(), true)
		}
		h := start(t, "", conf(virt("10.1.1.10:80", reals)), fc)
		if got := h.k.Calls(); got != 102 {
			t.Errorf("kernel calls = %d, want 102 (1 listing + 1 service + 100 reals)", got)
		}
		if got := len(h.ops()); got != 101 {
			t.Errorf("kernel changes = %d, want 101", got)
		}
		h.stop()
	})
}
