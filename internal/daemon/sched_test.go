package daemon

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRealtimePriority(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rtprio int
		want   int
	}{
		{name: "unset is SCHED_RR's minimum", rtprio: 0, want: 1},
		{name: "negative is unset", rtprio: -1, want: 1},
		{name: "in range", rtprio: 50, want: 50},
		{name: "maximum", rtprio: 99, want: 99},
		{name: "above the maximum is clamped", rtprio: 120, want: 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RealtimePriority(tc.rtprio); got != tc.want {
				t.Errorf("RealtimePriority(%d) = %d, want %d", tc.rtprio, got, tc.want)
			}
		})
	}
}

// threadSim is a process whose thread set changes between listings:
// listings[i] is what the i-th listing returns (the last one repeats).
type threadSim struct {
	listings [][]int
	listErr  error
	setErr   map[int]error
	calls    int
	set      []int
}

func (s *threadSim) list() ([]int, error) {
	if s.listErr != nil && s.calls > 0 {
		return nil, s.listErr
	}
	l := s.listings[min(s.calls, len(s.listings)-1)]
	s.calls++
	return l, nil
}

func (s *threadSim) apply(tid int) error {
	s.set = append(s.set, tid)
	return s.setErr[tid]
}

func TestForEachThread(t *testing.T) {
	growing := make([][]int, maxThreadRounds+1)
	for i := range growing {
		growing[i] = []int{100 + i}
	}
	for _, tc := range []struct {
		name      string
		sim       threadSim
		wantSet   []int
		wantCalls int
		wantErr   []string // substrings; nil: no error
	}{
		{name: "stable set: two listings, each thread once",
			sim:     threadSim{listings: [][]int{{1, 2, 3}}},
			wantSet: []int{1, 2, 3}, wantCalls: 2},
		{name: "a thread created during the first pass is reached",
			sim:     threadSim{listings: [][]int{{1, 2}, {1, 2, 7}, {1, 2, 7}}},
			wantSet: []int{1, 2, 7}, wantCalls: 3},
		{name: "a thread that exited is not listed again and not an error",
			sim:     threadSim{listings: [][]int{{1, 2, 3}, {1, 3}}, setErr: map[int]error{2: syscall.ESRCH}},
			wantSet: []int{1, 2, 3}, wantCalls: 2},
		{name: "EPERM is reported per thread and the others are still set",
			sim:     threadSim{listings: [][]int{{1, 2}}, setErr: map[int]error{1: syscall.EPERM, 2: syscall.EPERM}},
			wantSet: []int{1, 2}, wantCalls: 2,
			wantErr: []string{"thread 1: operation not permitted", "thread 2: operation not permitted"}},
		{name: "listing fails",
			sim:     threadSim{listings: [][]int{{1}}, listErr: errors.New("no /proc")},
			wantSet: []int{1}, wantCalls: 1, wantErr: []string{"listing threads: no /proc"}},
		{name: "threads keep appearing: bounded",
			sim:     threadSim{listings: growing},
			wantSet: seq(100, maxThreadRounds), wantCalls: maxThreadRounds,
			wantErr: []string{fmt.Sprintf("new threads kept appearing after %d listings", maxThreadRounds)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := tc.sim
			err := forEachThread(sim.list, sim.apply)
			if diff := cmp.Diff(tc.wantSet, sim.set); diff != "" {
				t.Errorf("threads set (-want +got):\n%s", diff)
			}
			if sim.calls != tc.wantCalls {
				t.Errorf("listings: %d, want %d", sim.calls, tc.wantCalls)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantErr != nil && err == nil:
				t.Errorf("no error, want %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if err != nil && !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func seq(from, n int) []int {
	var s []int
	for i := range n {
		s = append(s, from+i)
	}
	return s
}
