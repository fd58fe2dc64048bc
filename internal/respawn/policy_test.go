package respawn

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAfterExit(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name string
		fast int
		ran  time.Duration
		code int
		want Decision
	}{
		{"long run restarts at once", 3, time.Minute, 1, Decision{Verdict: Restart}},
		{"exactly 30 s is not fast", 0, ShortRun, 0, Decision{Verdict: Restart}},
		{"short run restarts after a pause", 0, time.Second, 1, Decision{Verdict: Restart, Delay: FastDelay, Fast: 1}},
		{"killed by a signal restarts", 2, time.Second, -1, Decision{Verdict: Restart, Delay: FastDelay, Fast: 3}},
		{"tenth fast exit still restarts", 9, time.Second, 1, Decision{Verdict: Restart, Delay: FastDelay, Fast: 10}},
		{"eleventh fast exit is too fast", 10, time.Second, 1, Decision{Verdict: TooFast}},
		{"exit 100 is never restarted", 0, time.Hour, NoRespawnCode, Decision{Verdict: Done}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AfterExit(tc.fast, t0, t0.Add(tc.ran), tc.code)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
