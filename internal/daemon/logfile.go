package daemon

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// fileSink appends lines to a log file. Before each line it checks that the
// path still names the open file and reopens it if not, so a rename by
// logrotate is followed even without SIGHUP; ldirectord got the same effect
// by opening the file for every line (ld_log).
type fileSink struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openFileSink(path string) (*fileSink, error) {
	s := &fileSink{path: path}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening log file: %w", err)
	}
	s.f = f
	return nil
}

func (s *fileSink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("writing log: closed")
	}
	if !s.current() {
		s.f.Close()
		if err := s.open(); err != nil {
			s.f = nil
			return err
		}
	}
	if _, err := s.f.Write(p); err != nil {
		return fmt.Errorf("writing log file: %w", err)
	}
	return nil
}

// current reports whether the path still names the open file.
func (s *fileSink) current() bool {
	pfi, err := os.Stat(s.path)
	if err != nil {
		return false
	}
	ffi, err := s.f.Stat()
	return err == nil && os.SameFile(pfi, ffi)
}

func (s *fileSink) reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
	}
	return s.open()
}

func (s *fileSink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
