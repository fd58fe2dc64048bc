package heartbeat_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
)

// eventLog is an Observer that writes one line per event.
type eventLog struct {
	mu     sync.Mutex
	events []string
	took   map[string]time.Duration
}

var _ heartbeat.Observer = (*eventLog)(nil)

func (l *eventLog) Live(e member.LiveEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Kind {
	case member.LinkUp:
		l.events = append(l.events, "link up "+e.Node+":"+e.Link)
	case member.LinkDead:
		l.events = append(l.events, "link dead "+e.Node+":"+e.Link)
	case member.NodeDead:
		l.events = append(l.events, "node dead "+e.Node)
	case member.NodeWarn:
		l.events = append(l.events, "late "+e.Node)
	}
}

func (l *eventLog) GroupDone(group string, start, ok bool, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("group %s start=%v ok=%v", group, start, ok)
	l.events = append(l.events, s)
	if l.took == nil {
		l.took = map[string]time.Duration{}
	}
	l.took[s] = took
}

func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

// TestObserver: node2's observer hears node1's links come up, node1's
// death at deadtime, and its takeover of node1's group, with the time
// the takeover took (virtual time: the group's agents start at once).
func TestObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		obs := &eventLog{}
		c.hosts["node2"].obs = obs
		c.settle()
		got := obs.take()
		for _, want := range []string{"link up node1:eth0", "link up node1:eth1", "group " + vip2 + " start=true ok=true"} {
			if !slices.Contains(got, want) {
				t.Errorf("after start: no %q in %q", want, got)
			}
		}
		c.kill("node1")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		got = obs.take()
		takeover := "group " + vip1 + " start=true ok=true"
		for _, want := range []string{"link dead node1:eth0", "link dead node1:eth1", "node dead node1", takeover} {
			if !slices.Contains(got, want) {
				t.Errorf("after the kill: no %q in %q", want, got)
			}
		}
		if i, j := slices.Index(got, "node dead node1"), slices.Index(got, takeover); i < 0 || j < i {
			t.Errorf("the takeover came before the death: %q", got)
		}
		if took := obs.took[takeover]; took < 0 || took > time.Second {
			t.Errorf("takeover took %v (virtual time), want 0 to 1 s", took)
		}
	})
}
