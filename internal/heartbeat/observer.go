package heartbeat

import (
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
)

// Observer is told what the node does, for metrics (cmd/hbd turns it into
// Prometheus counters and histograms; the gauges come from Status). Every
// method is called from the node's loop goroutine, in order, and must not
// block.
type Observer interface {
	// Live reports a liveness event: a link up or dead, a late heartbeat
	// (NodeWarn), a node dead, up or active.
	Live(e member.LiveEvent)
	// GroupDone reports a finished group start (a takeover: start true)
	// or stop, whether it succeeded and how long it took from launch,
	// a hand-over wait included.
	GroupDone(group string, start, ok bool, took time.Duration)
}

// noObserver is the Observer of a Config without one.
type noObserver struct{}

func (noObserver) Live(member.LiveEvent)                       {}
func (noObserver) GroupDone(string, bool, bool, time.Duration) {}
