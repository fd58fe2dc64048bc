package hacf

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// LoadHaCf reads and parses the ha.cf at path. Errors name path:line.
func LoadHaCf(path string) (*Config, []Warning, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading ha.cf: %w", err)
	}
	return ParseHaCf(path, src)
}

// PermError is authkeys with group or other read permission. Its text is
// Heartbeat's, word for word.
type PermError struct {
	Path string
	Mode fs.FileMode
}

// Error returns Heartbeat's message for the file.
func (e *PermError) Error() string {
	return fmt.Sprintf("Bad permissions on keyfile [%s], 600 recommended.", e.Path)
}

// CheckAuthKeysMode refuses an authkeys file that is readable by group or
// others (st_mode & (S_IRGRP|S_IROTH), heartbeat/auth.c parse_authfile).
// Write bits and the owner are not checked, as in Heartbeat 3.0.6: modes
// 0602 and 0620 pass (anchors.md §1.4).
func CheckAuthKeysMode(path string, fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o044 != 0 {
		return &PermError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// LoadAuthKeys opens authkeys at path, checks its permissions on the open
// file (fstat, as Heartbeat does) and parses it. Errors name path:line; bad
// permissions are a *PermError.
func LoadAuthKeys(path string) (*AuthKeys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening keyfile: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &PermError{Path: path} // Heartbeat treats a failed fstat as bad permissions
	}
	if err := CheckAuthKeysMode(path, fi); err != nil {
		return nil, err
	}
	src, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading keyfile: %w", err)
	}
	return ParseAuthKeys(path, src)
}
