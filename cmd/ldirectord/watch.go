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

// changed reports whether the content differs from the last look (or the
// last record); a file that cannot be read is reported as an error and
// looked at again later.
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
	return w.record(fi.ModTime(), b) && !first, nil
}

// record makes content (with its mtime) the baseline and reports whether
// it differs from the previous one. A reload records what it loaded, so
// the next look compares with the running config, not with what an earlier
// look saw: an edit reverted after a SIGHUP reload is still a change
// (ldirectord's check_cfgfile would miss it).
func (w *fileWatch) record(mtime time.Time, content []byte) bool {
	w.mtime = mtime
	sum := sha256.Sum256(content)
	if sum == w.sum {
		return false
	}
	w.sum = sum
	return true
}

// load reads the file for a reload, records it as the baseline and returns
// its content.
func (w *fileWatch) load() ([]byte, error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(w.path)
	if err != nil {
		return nil, err
	}
	w.record(fi.ModTime(), b)
	return b, nil
}
