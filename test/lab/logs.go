package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// LogPoll is how often WaitLog re-reads a node's log files.
const LogPoll = 10 * time.Millisecond

// Logs returns the node's log file followed by hbd's captured output
// (either may be missing).
func (n *Node) Logs() string {
	var b bytes.Buffer
	for _, p := range []string{n.LogFile(), n.OutFile()} {
		data, err := os.ReadFile(p)
		if err == nil {
			b.Write(data)
		}
	}
	return b.String()
}

// LogCount counts the lines of Logs that contain s.
func (n *Node) LogCount(s string) int {
	c := 0
	for _, line := range strings.Split(n.Logs(), "\n") {
		if strings.Contains(line, s) {
			c++
		}
	}
	return c
}

// WaitLog waits until the node's logs have more than already lines
// containing s (pass LogCount(s) taken before the action), re-reading them
// every LogPoll; it fails the test when ctx ends first.
func (n *Node) WaitLog(ctx context.Context, t testing.TB, s string, already int) {
	t.Helper()
	tick := time.NewTicker(LogPoll)
	defer tick.Stop()
	for n.LogCount(s) <= already {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: log line %q not seen: %v", n.Name, s, context.Cause(ctx))
		case <-tick.C:
		}
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
		t.Logf("---- %s logs (%s, %s):\n%s", n.Name, n.LogFile(), n.OutFile(), tail(n.Logs(), 300))
	}
	var b strings.Builder
	for _, e := range l.Addrs.Since(0) {
		fmt.Fprintln(&b, e)
	}
	t.Logf("---- address events:\n%s", b.String())
	b.Reset()
	for _, e := range l.ARPs.Since(0) {
		fmt.Fprintln(&b, e)
	}
	t.Logf("---- ARP frames at the client:\n%s", b.String())
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) <= lines {
		return s
	}
	return fmt.Sprintf("[… %d lines]\n%s", len(ls)-lines, strings.Join(ls[len(ls)-lines:], "\n"))
}
