package netlab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// ReadFiles returns the contents of paths one after the other; a missing
// or unreadable file adds nothing.
func ReadFiles(paths ...string) string {
	var b bytes.Buffer
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			b.Write(data)
		}
	}
	return b.String()
}

// CountLines counts the lines of text that contain s.
func CountLines(text, s string) int {
	c := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			c++
		}
	}
	return c
}

// WaitLines waits until the text that read returns has more than already
// lines containing one of subs, calling read every poll, and returns the
// first of subs that does. When ctx ends first it returns an error with
// ctx's cause.
func WaitLines(ctx context.Context, poll time.Duration, read func() string, already int, subs ...string) (string, error) {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		text := read()
		for _, s := range subs {
			if CountLines(text, s) > already {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			if len(subs) == 1 {
				return "", fmt.Errorf("log line %q not seen: %w", subs[0], context.Cause(ctx))
			}
			return "", fmt.Errorf("none of the log lines %q seen: %w", subs, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// Tail returns the last lines lines of s, preceded by a line counting
// what it left out.
func Tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) <= lines {
		return s
	}
	return fmt.Sprintf("[… %d lines]\n%s", len(ls)-lines, strings.Join(ls[len(ls)-lines:], "\n"))
}

// Lines renders one event a line, for a test log.
func Lines[E fmt.Stringer](evs []E) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}
