// Package bgptest has a recording fake of bgp.Speaker for unit tests.
package bgptest

import (
	"context"
	"errors"
	"net/netip"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
)

// ErrRefused is what the fake returns while told to fail.
var ErrRefused = errors.New("bgptest: refused")

// Speaker records every call as "start", "+PREFIX", "-PREFIX", "stop", and
// keeps the announced set as a router would see it. Like the real speaker,
// it refuses Announce and Withdraw before Start and after Stop. Safe for
// concurrent use.
type Speaker struct {
	mu        sync.Mutex
	log       []string
	running   bool
	announced map[netip.Prefix]bool
	// FailStarts is how many Start calls fail before one succeeds.
	FailStarts int
	// Fail makes Announce and Withdraw fail while true.
	Fail bool
	// Peers are the sessions Sessions reports (AS 65000 each).
	Peers []netip.Addr
}

var _ bgp.Speaker = (*Speaker)(nil)

// Start implements bgp.Speaker.
func (s *Speaker) Start(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "start")
	if s.FailStarts > 0 {
		s.FailStarts--
		return ErrRefused
	}
	s.running = true
	s.announced = map[netip.Prefix]bool{}
	return nil
}

// Announce implements bgp.Speaker.
func (s *Speaker) Announce(_ context.Context, p netip.Prefix) error {
	return s.change("+", p, true)
}

// Withdraw implements bgp.Speaker.
func (s *Speaker) Withdraw(_ context.Context, p netip.Prefix) error {
	return s.change("-", p, false)
}

func (s *Speaker) change(sign string, p netip.Prefix, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running || s.Fail {
		s.log = append(s.log, sign+p.String()+" refused")
		return ErrRefused
	}
	s.log = append(s.log, sign+p.String())
	if on {
		s.announced[p] = true
	} else {
		delete(s.announced, p)
	}
	return nil
}

// Stop implements bgp.Speaker: the peers drop everything.
func (s *Speaker) Stop(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "stop")
	s.running = false
	s.announced = nil
	return nil
}

// SetFail sets Fail under the lock.
func (s *Speaker) SetFail(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Fail = fail
}

// Take returns the calls recorded since the last Take.
func (s *Speaker) Take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

// Sessions implements bgp.Speaker: one session per address of Peers,
// "established" while the speaker runs, "idle" otherwise.
func (s *Speaker) Sessions() []bgp.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []bgp.Session{}
	for _, p := range s.Peers {
		st := "idle"
		if s.running {
			st = "established"
		}
		out = append(out, bgp.Session{Peer: p, ASN: 65000, State: st})
	}
	return out
}

// Announced reports whether p is announced now.
func (s *Speaker) Announced(p netip.Prefix) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.announced[p]
}
