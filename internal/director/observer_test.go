package director

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// eventLog is an Observer that writes one line per event.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

var _ Observer = (*eventLog)(nil)

func (l *eventLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, s)
}

func (l *eventLog) CheckDone(t check.Target, r check.Result) {
	l.add("check " + t.Real.String() + " up=" + map[bool]string{true: "1", false: "0"}[r.Up])
}
func (l *eventLog) RealChanged(t check.Target, tr Transition) {
	l.add("real " + t.Real.String() + " " + tr.From.String() + "->" + tr.To.String())
}
func (l *eventLog) KernelOp(op Op, err error) {
	s := "op " + op.String()
	if err != nil {
		s += " failed"
	}
	l.add(s)
}
func (l *eventLog) Reloaded() { l.add("reloaded") }

func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

// TestObserver: the observer hears every check, each transition once,
// every kernel change (cleanstop's too) and each reload, in order.
func TestObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.set("10.0.0.2:80", true)
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.2:80", 1, ldcf.Gate)}, func(v *ldcf.Virtual) { v.FailureCount = 2 }))
		obs := &eventLog{}
		h := start(t, "", cfg, fc, func(c *Config) { c.Observer = obs })
		h.expectOps("-A -t 10.1.1.10:80 -s wrr", "-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1")
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		h.advance(10 * time.Second)
		h.d.Reload(cfg)
		synctest.Wait()
		h.stop()
		want := []string{
			"op -A TCP  10.1.1.10:80 (service not in the kernel)",
			"check 10.0.0.2:80 up=1", "real 10.0.0.2:80 unknown->up",
			"op -a TCP  10.1.1.10:80 -r 10.0.0.2:80 Route w1 (real up: check succeeded)",
			"check 10.0.0.2:80 up=0",
			"check 10.0.0.2:80 up=0", "real 10.0.0.2:80 up->down",
			"op -d TCP  10.1.1.10:80 -r 10.0.0.2:80 (real down: 2 consecutive failure(s) (connection refused))",
			"reloaded", // the reload's full diff finds nothing to change
			"op -D TCP  10.1.1.10:80 (cleanstop)",
		}
		if diff := cmp.Diff(want, obs.take()); diff != "" {
			t.Errorf("observer events (-want +got):\n%s", diff)
		}
	})
}
