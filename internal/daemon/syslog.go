package daemon

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// facilities maps syslog facility names to codes (glibc <syslog.h>
// facilitynames, which Heartbeat's logfacility and ldirectord's logfile use).
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4,
	"syslog": 5, "lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10,
	"ftp": 11, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

func facilityNames() string {
	names := make([]string, 0, len(facilities))
	for n := range facilities {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// syslogSink sends each line as one message to the syslog socket. It dials
// lazily and redials once after a failed write (syslogd restarted).
type syslogSink struct {
	mu            sync.Mutex
	network, addr string // empty: the local socket
	conn          net.Conn
}

// localSyslog lists the places a local syslog daemon listens (as log/syslog).
var localSyslog = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}

func (s *syslogSink) dial() (net.Conn, error) {
	if s.network != "" {
		return net.DialTimeout(s.network, s.addr, 5*time.Second)
	}
	var errs []error
	for _, path := range localSyslog {
		for _, network := range []string{"unixgram", "unix"} {
			c, err := net.Dial(network, path)
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
	}
	return nil, errors.Join(errs...)
}

func (s *syslogSink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for range 2 {
		if s.conn == nil {
			if s.conn, err = s.dial(); err != nil {
				s.conn = nil
				continue
			}
		}
		if _, err = s.conn.Write(p); err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
	}
	return fmt.Errorf("writing to syslog: %w", err)
}

func (s *syslogSink) reopen() error { return s.close() }

func (s *syslogSink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
