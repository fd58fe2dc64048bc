package heartbeat

// The state files under the state dir (/var/lib/hbd): the generation
// number and the node's UUID, Heartbeat's /var/lib/heartbeat/hb_generation
// and hb_uuid (heartbeat.c IncrGeneration, GetUUID; anchors §1.10).

import (
	"crypto/md5"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// State file names under the state dir.
const (
	GenerationFile = "hb_generation"
	UUIDFile       = "hb_uuid"
)

// NextGeneration reads the generation stored in dir, computes the next one
// and stores it (written to a temporary file, fsync'd, renamed, and the
// directory fsync'd) before returning it, so a restarted hbd always says a
// higher hg= than any it sent before.
//
// byTime is hbgenmethod time: the generation is now's Unix time. Otherwise
// it is the stored value plus one, but never below now's Unix time: a node
// whose state dir was lost would otherwise restart at 1 and be dropped by
// its peer as a replay ("attempted replay attack") until the peer restarts.
// Heartbeat 3.0.6 sends time-like generations too (heartbeat-wire.md §4).
func NextGeneration(dir string, byTime bool, now time.Time) (uint64, error) {
	unix := uint64(max(now.Unix(), 1))
	if byTime {
		return unix, nil
	}
	path := filepath.Join(dir, GenerationFile)
	var stored uint64
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		stored, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading generation: %s: %q is not a number", path, strings.TrimSpace(string(b)))
		}
	case !errors.Is(err, os.ErrNotExist):
		return 0, fmt.Errorf("reading generation: %w", err)
	}
	gen := max(stored+1, unix)
	if err := writeSynced(path, []byte(strconv.FormatUint(gen, 10)+"\n")); err != nil {
		return 0, fmt.Errorf("storing generation: %w", err)
	}
	return gen, nil
}

// LoadUUID returns the node's UUID. fromName (uuidfrom nodename) derives it
// from the node name, the same on every start and every node that knows the
// name. Otherwise it is read from dir's hb_uuid file (16 raw bytes, as
// Heartbeat stores it), created with random bytes when absent.
func LoadUUID(dir, node string, fromName bool) ([16]byte, error) {
	var u [16]byte
	if fromName {
		return md5.Sum([]byte(node)), nil
	}
	path := filepath.Join(dir, UUIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == len(u):
		copy(u[:], b)
		return u, nil
	case err == nil:
		return u, fmt.Errorf("reading uuid: %s holds %d bytes (want 16)", path, len(b))
	case !errors.Is(err, os.ErrNotExist):
		return u, fmt.Errorf("reading uuid: %w", err)
	}
	if _, err := rand.Read(u[:]); err != nil {
		return u, fmt.Errorf("creating uuid: %w", err)
	}
	// RFC 4122 version 4 bits, as libuuid's uuid_generate sets them.
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	if err := writeSynced(path, u[:]); err != nil {
		return u, fmt.Errorf("storing uuid: %w", err)
	}
	return u, nil
}

// writeSynced replaces path with data durably: temp file, fsync, rename,
// fsync of the directory.
func writeSynced(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A temporary file left by a crash between the write and the rename
	// (the stored file is still the old one, whole) goes first; one hbd
	// owns the state dir (its pid file), so none is being written.
	if stale, err := filepath.Glob(filepath.Join(dir, "."+filepath.Base(path)+".*")); err == nil {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
