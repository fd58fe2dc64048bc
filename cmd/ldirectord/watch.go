package main

// This file reads the config file's metadata and content to notice edits.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"time"
)

// fileWatch notices that the config file changed on disk, as ldirectord's
// check_cfgfile does every second: a changed mtime makes it hash the
// content, and only a changed hash counts (a touch alone does not).
// Called from the daemon's loop only.
type fileWatch struct {
	path  string
	mtime time.Time
	sum   [sha256.Size]byte
}

// newFileWatch records the file's current state.
func newFileWatch(path string) *fileWatch {
	w := &fileWatch{path: path}
	w.changed() // the first look only records
	return w
}

// changed reports whether the content differs from the last look; a file
// that cannot be read is reported as an error and looked at again later.
func (w *fileWatch) changed() (bool, error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", w.path, err)
	}
	if fi.ModTime().Equal(w.mtime) {
		return false, nil
	}
	b, err := os.ReadFile(w.path)
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", w.path, err)
	}
	first := w.mtime.IsZero()
	w.mtime = fi.ModTime()
	sum := sha256.Sum256(b)
	if sum == w.sum {
		return false, nil
	}
	w.sum = sum
	return !first, nil
}
