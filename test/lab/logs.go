package lab

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// LogPoll is how often WaitLog re-reads a node's log files.
const LogPoll = 10 * time.Millisecond

// WaitLog waits until the node's logs have more than already lines
// containing s (pass LogCount(s) taken before the action), re-reading them
// every LogPoll; it fails the test when ctx ends first.
func (n *Node) WaitLog(ctx context.Context, t testing.TB, s string, already int) {
	t.Helper()
	if _, err := netlab.WaitLines(ctx, LogPoll, n.Logs, already, s); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
}

// dump logs every node's configuration, log file and output, and the
// address and ARP timelines.
func (l *Lab) dump(t testing.TB) {
	for _, n := range l.Nodes {
		for _, f := range []string{"ha.cf", "authkeys", "haresources"} {
			data, _ := os.ReadFile(n.ConfDir() + "/" + f)
			t.Logf("---- %s %s:\n%s", n.Name, f, data)
		}
		t.Logf("---- %s logs (%s, %s):\n%s", n.Name, n.LogFile(), n.OutFile(), netlab.Tail(n.Logs(), 300))
	}
	t.Logf("---- address events:\n%s", netlab.Lines(l.Addrs.Since(0)))
	t.Logf("---- ARP frames at the client:\n%s", netlab.Lines(l.ARPs.Since(0)))
}
