package heartbeat_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// prepAgent is a timedAgent with a standby role and a hand-over delay,
// as LVSSyncDaemonSwap has.
type prepAgent struct {
	*timedAgent
	delay time.Duration

	mu       sync.Mutex
	prepared []time.Time
	retired  []time.Time
}

var (
	_ resources.Preparer   = (*prepAgent)(nil)
	_ resources.HandOverer = (*prepAgent)(nil)
)

func (a *prepAgent) Prepare(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.prepared = append(a.prepared, time.Now())
	return nil
}

func (a *prepAgent) Retire(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.retired = append(a.retired, time.Now())
	return nil
}

func (a *prepAgent) HandOverDelay() time.Duration { return a.delay }

func (a *prepAgent) counts() (prepared, retired int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.prepared), len(a.retired)
}

// withSync gives httpd (in node1's group) a standby role and a hand-over
// delay on both hosts.
func withSync(c *cluster, delay time.Duration) {
	for _, h := range c.hosts {
		h.prep = map[string]*prepAgent{"httpd": {timedAgent: h.agents["httpd"], delay: delay}}
	}
}

// TestFailbackWaitsForPeerSync: node1 comes back while node2 holds its
// group; with auto_failback on node2 hands it back, but not before node1
// has been up for the group's hand-over delay, and it logs the wait.
func TestFailbackWaitsForPeerSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 8 * time.Second
		c := newCluster(t, "on")
		withSync(c, delay)
		defer c.stopAll()
		c.start("node2")
		time.Sleep(20 * time.Second) // initdead, then node2 takes both groups
		synctest.Wait()
		c.wantHolders("node2 alone", map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}})
		if p, _ := c.hosts["node2"].prep["httpd"].counts(); p != 1 {
			t.Errorf("node2 prepared httpd %d times at start, want 1", p)
		}
		back := time.Now()
		c.start("node1")
		time.Sleep(30 * time.Second)
		synctest.Wait()
		c.wantHolders("after node1 returns", settled)
		_, stops := c.hosts["node2"].agents[vip1].times()
		if len(stops) != 1 {
			t.Fatalf("node2 stopped %s %d times, want 1\n%s", vip1, len(stops), c.dumpLogs())
		}
		waited := stops[0].Sub(back)
		t.Logf("node1 back -> node2 releases the group: %v (delay %v)", waited, delay)
		if waited < delay || waited > delay+2*time.Second {
			t.Errorf("node2 released the group %v after node1 came back, want within [%v, %v]\n%s", waited, delay, delay+2*time.Second, c.dumpLogs())
		}
		if !slices.ContainsFunc(c.hosts["node2"].logs.snapshot(), func(m string) bool {
			return strings.HasPrefix(m, "waiting ") && strings.Contains(m, "before handing over to node1")
		}) {
			t.Errorf("node2 did not log the hand-over wait\n%s", c.hosts["node2"].logs.dump())
		}
	})
}

// TestStandbyToLongUpPeerDoesNotWait: a peer up for longer than the delay
// has run its standby role long enough; hb_standby moves at once. A clean
// shutdown retires the standby roles.
func TestStandbyToLongUpPeerDoesNotWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		withSync(c, 8*time.Second)
		defer c.stopAll()
		c.settle()
		time.Sleep(10 * time.Second)
		asked := time.Now()
		if text, err := c.hosts["node1"].node.Standby(context.Background(), r1.HoldAll); err != nil {
			t.Fatalf("standby: %v (%s)\n%s", err, text, c.dumpLogs())
		}
		if took := time.Since(asked); took > 2*time.Second {
			t.Errorf("standby took %v with a long-up peer, want no hand-over wait\n%s", took, c.dumpLogs())
		}
		if err := c.hosts["node2"].node.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-c.hosts["node2"].node.Done()
		c.hosts["node2"].cancel = nil
		if _, r := c.hosts["node2"].prep["httpd"].counts(); r != 1 {
			t.Errorf("node2 retired httpd %d times after its shutdown, want 1", r)
		}
	})
}

// snapshot returns the messages logged so far.
func (s *logSink) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.recs))
	for i, r := range s.recs {
		out[i] = r.msg
	}
	return out
}
