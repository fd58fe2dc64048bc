package ldbench

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// OpEvent is one successful change of a real in an op log.
type OpEvent struct {
	At     time.Time
	Verb   string // "-a", "-e", "-d", "-D", "-C"
	Real   string // address without port ("127.1.0.1"), "" for -D/-C
	Weight int
}

// parseOpLine parses "<unix ns> rc=<n> <ipvsadm args>"; ok is false for
// listings, failed calls and anything else that does not change a real.
func parseOpLine(line string) (OpEvent, bool) {
	f := strings.Fields(line)
	if len(f) < 3 || f[1] != "rc=0" {
		return OpEvent{}, false
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return OpEvent{}, false
	}
	ev := OpEvent{At: time.Unix(0, ns), Verb: f[2], Weight: 1}
	switch ev.Verb {
	case "-a", "-e", "-d":
	case "-D", "-C":
		return ev, true
	default:
		return OpEvent{}, false
	}
	for i := 3; i+1 < len(f); i++ {
		switch f[i] {
		case "-r":
			ev.Real = hostOf(f[i+1])
		case "-w":
			ev.Weight, _ = strconv.Atoi(f[i+1])
		}
	}
	return ev, ev.Real != ""
}

func hostOf(hp string) string {
	if i := strings.LastIndexByte(hp, ':'); i > 0 {
		return strings.Trim(hp[:i], "[]")
	}
	return hp
}

// OpTail follows an op log file as it grows.
type OpTail struct {
	path string
	off  int64
	part []byte

	mu     sync.Mutex
	events []OpEvent
}

// NewOpTail follows path from its start.
func NewOpTail(path string) *OpTail { return &OpTail{path: path} }

// Poll reads what was appended since the last call.
func (t *OpTail) Poll() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return
	}
	b, _ := io.ReadAll(bufio.NewReader(f))
	t.off += int64(len(b))
	b = append(t.part, b...)
	last := bytes.LastIndexByte(b, '\n')
	if last < 0 {
		t.part = b
		return
	}
	t.part = append([]byte(nil), b[last+1:]...)
	var evs []OpEvent
	for _, line := range strings.Split(string(b[:last]), "\n") {
		if ev, ok := parseOpLine(line); ok {
			evs = append(evs, ev)
		}
	}
	t.mu.Lock()
	t.events = append(t.events, evs...)
	t.mu.Unlock()
}

// Add appends events from another source (the /proc/net/ip_vs poller).
func (t *OpTail) Add(evs ...OpEvent) {
	t.mu.Lock()
	t.events = append(t.events, evs...)
	t.mu.Unlock()
}

// Events returns the events read so far.
func (t *OpTail) Events() []OpEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]OpEvent(nil), t.events...)
}

// FirstAfter returns the first event for real with a verb in verbs at or
// after since (a -D or -C counts as a removal of every real).
func FirstAfter(evs []OpEvent, real string, since time.Time, removal bool) (time.Time, bool) {
	for _, ev := range evs {
		if ev.At.Before(since) {
			continue
		}
		gone := ev.Verb == "-d" && ev.Real == real || ev.Verb == "-e" && ev.Real == real && ev.Weight == 0 ||
			ev.Verb == "-D" || ev.Verb == "-C"
		back := (ev.Verb == "-a" || ev.Verb == "-e") && ev.Real == real && ev.Weight > 0
		if removal && gone || !removal && back {
			return ev.At, true
		}
	}
	return time.Time{}, false
}

// firstRealUp returns the time of the first event that puts one of want
// in the table with a weight above 0: with TableComplete, how long the
// subject took to start and how long to fill the table.
func firstRealUp(evs []OpEvent, want []string) (time.Time, bool) {
	for _, ev := range evs {
		if (ev.Verb == "-a" || ev.Verb == "-e") && ev.Weight > 0 && slices.Contains(want, ev.Real) {
			return ev.At, true
		}
	}
	return time.Time{}, false
}

// TableComplete replays evs and returns the first time at which every one
// of want is in the table with a weight above 0.
func TableComplete(evs []OpEvent, want []string) (time.Time, bool) {
	wantSet := make(map[string]bool, len(want))
	for _, w := range want {
		wantSet[w] = true
	}
	up := map[string]bool{}
	for _, ev := range evs {
		switch ev.Verb {
		case "-a", "-e":
			if !wantSet[ev.Real] {
				continue
			}
			if ev.Weight > 0 {
				up[ev.Real] = true
			} else {
				delete(up, ev.Real)
			}
		case "-d":
			delete(up, ev.Real)
		case "-D", "-C":
			clear(up)
		}
		if len(up) == len(wantSet) {
			return ev.At, true
		}
	}
	return time.Time{}, false
}
