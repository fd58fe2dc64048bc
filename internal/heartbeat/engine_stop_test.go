package heartbeat_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
)

// countPrefix counts the records that start with prefix.
func (s *logSink) countPrefix(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recs {
		if strings.HasPrefix(r.msg, prefix) {
			n++
		}
	}
	return n
}

// TestStopFailureKeepsTheGroup: node1's hb_standby cannot stop httpd.
// Heartbeat would reboot; hbd must not tell node2 it released the group
// (node2 would start the VIP beside node1's), so node2 waits while node1
// logs CRIT and retries the stop; once the stop succeeds the hand-over
// completes.
func TestStopFailureKeepsTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		h1 := c.hosts["node1"]
		fail := errors.New("httpd: stop failed")
		h1.agents["httpd"].StopErrs = []error{fail, fail} // set before any goroutine runs
		c.settle()
		done := make(chan error, 1)
		go func() {
			_, err := h1.node.Standby(context.Background(), r1.HoldLocal)
			done <- err
		}()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		c.wantHolders("after the first failed stop", map[string][]string{vip1: {}, "httpd": {"node1"}, vip2: {"node2"}})
		if n := h1.logs.countPrefix("Resource STOP failure. Reboot required! (group"); n != 1 {
			t.Fatalf("CRIT lines after the first stop: %d, want 1\n%s", n, c.dumpLogs())
		}
		st, err := h1.node.Status(context.Background())
		if err != nil || !st.Groups[0].StopFailed || st.Groups[0].Owner != "node1" {
			t.Fatalf("status after the failed stop: %+v, %v", st.Groups, err)
		}
		time.Sleep(10 * time.Second) // the first retry fails too
		synctest.Wait()
		c.wantHolders("after the second failed stop", map[string][]string{vip1: {}, "httpd": {"node1"}, vip2: {"node2"}})
		if n := h1.logs.countPrefix("Resource STOP failure. Reboot required! (group"); n != 2 {
			t.Fatalf("CRIT lines after the retry: %d, want 2\n%s", n, c.dumpLogs())
		}
		time.Sleep(15 * time.Second) // the second retry succeeds
		synctest.Wait()
		c.wantHolders("after the stop succeeded", map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}})
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("standby: %v\n%s", err, c.dumpLogs())
			}
		default:
			t.Errorf("standby did not return\n%s", c.dumpLogs())
		}
	})
}
