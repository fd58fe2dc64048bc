package respawn

import "time"

// Heartbeat 3.0.6's respawn limits (heartbeat/heartbeat.c
// ManagedChildDied, start_a_child_client).
const (
	// ShortRun: an exit this soon after the start counts as a fast one.
	ShortRun = 30 * time.Second
	// MaxFast: more fast exits in a row than this stop the respawning.
	MaxFast = 10
	// FastDelay: the pause before restarting after a fast exit.
	FastDelay = time.Second
	// NoRespawnCode: a program that exits with this code is not restarted.
	NoRespawnCode = 100
)

// Verdict is what to do after a program exited.
type Verdict int

// Verdicts.
const (
	Restart Verdict = iota + 1 // start it again after Delay
	Done                       // it exited 100: leave it stopped
	TooFast                    // more than MaxFast fast exits: leave it stopped
)

// Decision is the verdict, the pause before a restart, and the count of
// fast exits in a row to carry to the next exit.
type Decision struct {
	Verdict Verdict
	Delay   time.Duration
	Fast    int
}

// AfterExit decides what follows the exit of a program started at start,
// which exited at now with code (-1 when killed by a signal), given the
// fast exits in a row before this one.
func AfterExit(fast int, start, now time.Time, code int) Decision {
	if code == NoRespawnCode {
		return Decision{Verdict: Done}
	}
	if now.Sub(start) < ShortRun {
		fast++
	} else {
		fast = 0
	}
	if fast > MaxFast {
		return Decision{Verdict: TooFast}
	}
	d := Decision{Verdict: Restart, Fast: fast}
	if fast > 0 {
		d.Delay = FastDelay
	}
	return d
}
