package e2e

import (
	"slices"
	"time"
)

// Sample is one client request: when it started and ended, which real
// answered (the body of "/"), or why it failed.
type Sample struct {
	Start, End time.Time
	Real       string // "" when Err is set
	Err        string
}

// OK reports whether the request got an answer.
func (s Sample) OK() bool { return s.Err == "" }

// Gap is the client's longest stretch without an answer in a window: From
// is the end of the last answer before it, To the end of the first answer
// after it.
type Gap struct {
	From, To time.Time
}

// Len is the gap's length (0 for the zero Gap).
func (g Gap) Len() time.Duration { return g.To.Sub(g.From) }

// Overlaps reports whether a request [start, end] overlaps the gap.
func (g Gap) Overlaps(s Sample) bool { return !s.End.Before(g.From) && !s.Start.After(g.To) }

// LongestGap returns the longest interval between two consecutive answers
// (by end time) that overlaps the window [from, to]: the answer before
// the window counts, so a gap that began just before "from" is measured
// whole. With fewer than two answers around the window it returns the
// zero Gap and false.
func LongestGap(samples []Sample, from, to time.Time) (Gap, bool) {
	ends := make([]time.Time, 0, len(samples))
	for _, s := range samples {
		if s.OK() {
			ends = append(ends, s.End)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var best Gap
	found := false
	for i := 1; i < len(ends); i++ {
		g := Gap{From: ends[i-1], To: ends[i]}
		if g.To.Before(from) || g.From.After(to) {
			continue
		}
		if !found || g.Len() > best.Len() {
			best, found = g, true
		}
	}
	return best, found
}

// Gaps returns every interval between consecutive answers longer than
// min that overlaps [from, to], in time order.
func Gaps(samples []Sample, from, to time.Time, min time.Duration) []Gap {
	ends := make([]time.Time, 0, len(samples))
	for _, s := range samples {
		if s.OK() {
			ends = append(ends, s.End)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var out []Gap
	for i := 1; i < len(ends); i++ {
		g := Gap{From: ends[i-1], To: ends[i]}
		if g.Len() > min && !g.To.Before(from) && !g.From.After(to) {
			out = append(out, g)
		}
	}
	return out
}

// Window is the client's record between two instants: requests that
// started in [From, To).
type Window struct {
	From, To time.Time
	OK       int            // answered requests
	Failed   []Sample       // failed requests
	ByReal   map[string]int // answers per real
}

// Summarize counts the requests that started in [from, to).
func Summarize(samples []Sample, from, to time.Time) Window {
	w := Window{From: from, To: to, ByReal: map[string]int{}}
	for _, s := range samples {
		if s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		if s.OK() {
			w.OK++
			w.ByReal[s.Real]++
		} else {
			w.Failed = append(w.Failed, s)
		}
	}
	return w
}

// FirstAnswerFrom returns the end of the first answer from real that
// started at or after since, and false when there is none.
func FirstAnswerFrom(samples []Sample, real string, since time.Time) (time.Time, bool) {
	var first time.Time
	for _, s := range samples {
		if s.OK() && s.Real == real && !s.Start.Before(since) && (first.IsZero() || s.End.Before(first)) {
			first = s.End
		}
	}
	return first, !first.IsZero()
}

// FirstAnswer returns the end of the first answer (from any real) to a
// request that started at or after since, and false when there is none.
func FirstAnswer(samples []Sample, since time.Time) (time.Time, bool) {
	var first time.Time
	for _, s := range samples {
		if s.OK() && !s.Start.Before(since) && (first.IsZero() || s.End.Before(first)) {
			first = s.End
		}
	}
	return first, !first.IsZero()
}

// NewConnOutage is the longest time new connections failed in [from, to]:
// for each run of failed requests (by start time, with no answered request
// started between them), from the start of its first request to the end
// of the first answer to a request started after it. Zero when no request
// failed; a run that no answer ends is measured up to "to".
func NewConnOutage(samples []Sample, from, to time.Time) time.Duration {
	var in []Sample
	for _, s := range samples {
		if !s.Start.Before(from) && !s.Start.After(to) {
			in = append(in, s)
		}
	}
	slices.SortFunc(in, func(a, b Sample) int { return a.Start.Compare(b.Start) })
	var longest time.Duration
	for i := 0; i < len(in); i++ {
		if in[i].OK() {
			continue
		}
		runStart := in[i].Start
		j := i
		for j < len(in) && !in[j].OK() {
			j++
		}
		end := to
		if answered, ok := FirstAnswer(in[j:], runStart); ok {
			end = answered
		}
		longest = max(longest, end.Sub(runStart))
		i = j
	}
	return longest
}

// FirstAnswerAfter is the time from at to the end of the first answer to a
// request started at or after at; false when none has ended yet.
func FirstAnswerAfter(samples []Sample, at time.Time) (time.Duration, bool) {
	end, ok := FirstAnswer(samples, at)
	return end.Sub(at), ok
}
