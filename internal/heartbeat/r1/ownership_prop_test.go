package r1

import (
	"math/rand/v2"
	"testing"
)

type randChooser struct{ r *rand.Rand }

func (c randChooser) pick(n int) int { return c.r.IntN(n) }

// bytesChooser feeds fuzz input; it answers 0 once the input is used up.
type bytesChooser struct{ b []byte }

func (c *bytesChooser) pick(n int) int {
	if len(c.b) == 0 {
		return 0
	}
	v := int(c.b[0]) % n
	c.b = c.b[1:]
	return v
}

// TestOwnershipProperty runs random event sequences over two machines and
// a channel that partitions, loses and recovers messages, with crashes,
// restarts, shutdowns and operator commands. After healing and letting
// messages settle, no group may be held by both nodes, and (when no start
// failed) every group has an owner.
func TestOwnershipProperty(t *testing.T) {
	modes := []struct {
		name string
		af   AutoFailback
	}{{"on", FailbackOn}, {"off", FailbackOff}, {"legacy", FailbackLegacy}}
	for _, m := range modes {
		for _, failures := range []bool{false, true} {
			name := m.name
			if failures {
				name += "/failing-starts"
			}
			t.Run(name, func(t *testing.T) {
				for seed := range uint64(300) {
					s := newSim(m.af, failures)
					c := randChooser{rand.New(rand.NewPCG(seed, 0x5eed))}
					for range 20 + c.pick(200) {
						s.randomStep(c)
					}
					if s.err != nil {
						t.Fatalf("seed %d: %v\n%s", seed, s.err, s.dump())
					}
					if !s.settle() {
						t.Fatalf("seed %d: did not settle: %v\n%s", seed, s.err, s.dump())
					}
					if bad := s.check(); len(bad) > 0 {
						t.Fatalf("seed %d: %v\n%s", seed, bad, s.dump())
					}
				}
			})
		}
	}
}

// FuzzOwnership drives the same simulation from the fuzz input: the first
// byte picks the auto_failback mode, the rest the operations.
func FuzzOwnership(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 12, 0, 8, 1, 8, 0, 7, 12, 1, 8, 0, 8, 1, 0, 0, 1, 1})
	f.Add([]byte{2, 13, 0, 8, 1, 8, 1, 3, 0, 4, 1, 4, 0, 13, 0, 8})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || len(in) > 4096 {
			return
		}
		s := newSim(AutoFailback(in[0]%3), in[0]%2 == 0)
		c := &bytesChooser{b: in[1:]}
		for len(c.b) > 0 {
			s.randomStep(c)
		}
		if s.err != nil {
			t.Fatalf("%v\n%s", s.err, s.dump())
		}
		if !s.settle() {
			t.Fatalf("did not settle: %v\n%s", s.err, s.dump())
		}
		if bad := s.check(); len(bad) > 0 {
			t.Fatalf("%v\n%s", bad, s.dump())
		}
	})
}
