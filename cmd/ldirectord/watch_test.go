package main

import (
	"path/filepath"
	"testing"
)

// TestFileWatch: an mtime change alone is no change, a content change is
// one, and a reload's load() becomes the baseline (an edit reverted after
// a SIGHUP reload is a change).
func TestFileWatch(t *testing.T) {
	type step struct {
		content string
		load    bool // reload: load() instead of changed()
		want    bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{name: "touch only", steps: []step{{content: "a"}}},
		{name: "edit", steps: []step{{content: "b", want: true}, {content: "b"}}},
		{name: "edit then revert", steps: []step{{content: "b", want: true}, {content: "a", want: true}}},
		{name: "revert after a reload", steps: []step{{content: "b", load: true}, {content: "a", want: true}}},
		{name: "reload then nothing new", steps: []step{{content: "b", load: true}, {content: "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.cf")
			writeFile(t, path, "a")
			w := newFileWatch(path)
			for i, s := range tc.steps {
				edit(t, path, s.content)
				if s.load {
					b, err := w.load()
					if err != nil || string(b) != s.content {
						t.Fatalf("step %d: load = %q, %v", i, b, err)
					}
					continue
				}
				got, err := w.changed()
				if err != nil || got != s.want {
					t.Errorf("step %d (%q): changed = %v, %v; want %v", i, s.content, got, err, s.want)
				}
			}
		})
	}
}
