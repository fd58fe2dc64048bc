// Package stats is the benches' one summary of repeated measurements: the
// median and the range (the guide asks for the median of the runs with
// their spread). Both bench/ldirectord and bench/failover report with it.
package stats

import "slices"

// Spread is the median of some values with the smallest and largest.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"-"` // how many values; 0: none
}

// Of returns the spread of v: the median is the middle value, or the mean
// of the middle two for an even count. The zero Spread for none.
func Of(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return Spread{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}
