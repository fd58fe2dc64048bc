//go:build race

package check

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// the regexp machines it pools get allocated again; allocation counts
// are measured without it.
func init() { raceEnabled = true }
