package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Extra levels for Heartbeat's priority words (glue cl_log.c prio2str).
const (
	// LevelNotice is syslog's notice, between info and warning.
	LevelNotice = slog.LevelInfo + 2
	// LevelCrit is syslog's crit, above error.
	LevelCrit = slog.LevelError + 4
)

// LogFormat is the shape of a log line. For file and stream targets it is the
// whole line; for syslog targets it picks Heartbeat's or ldirectord's tag.
type LogFormat int

const (
	// FormatHeartbeatSyslog is Heartbeat's default file format (ha.cf
	// syslogmsgfmt true), glue cl_log.c append_log:
	//   Nov 24 07:37:59 node1 heartbeat: [1971]: info: Heartbeat shutdown in progress.
	FormatHeartbeatSyslog LogFormat = iota
	// FormatHeartbeat is Heartbeat's file format with syslogmsgfmt false
	// (print_logline + ha_timestamp):
	//   heartbeat[1234]: 2024/01/01_12:00:00 info: Link node2:eth1 dead.
	FormatHeartbeat
	// FormatLdirectord is ldirectord's logfile format (ld_log), with Name as
	// the config name and a Perl scalar(localtime) stamp:
	//   [Mon Jan  1 12:00:00 2024|ldirectord|1234] Starting ...
	FormatLdirectord
	// FormatSupervised is ldirectord's supervised=yes format on stdout:
	//   [Mon Jan  1 12:00:00 2024] message
	FormatSupervised
	// FormatPlain is the bare message, as ldirectord -d prints on stderr.
	FormatPlain
)

// LogConfig says where and how a daemon logs.
type LogConfig struct {
	// Target is a file path (starts with "/"), "stderr", "stdout", or a syslog
	// facility name (ldirectord's logfile= rule; ha.cf logfacility).
	Target string
	// Format is the line shape; see LogFormat.
	Format LogFormat
	// Program is the syslog tag and line prefix: "heartbeat", "ldirectord".
	Program string
	// Name is the middle field of FormatLdirectord lines (the config's
	// basename, ldirectord's $CFGNAME); "" means Program.
	Name string
	// Level is the minimum level logged; nil means slog.LevelInfo. Pass a
	// *slog.LevelVar to change it at run time (SIGUSR1/SIGUSR2).
	Level slog.Leveler
	// Hostname fills FormatHeartbeatSyslog lines; "" means os.Hostname.
	Hostname string
	// SyslogNetwork and SyslogAddr pick the syslog socket, as for
	// log/syslog.Dial; empty means the local /dev/log.
	SyslogNetwork, SyslogAddr string
}

// Log is an open log destination and the slog handler writing to it.
// Its methods and its handler are safe for concurrent use.
type Log struct {
	h    *lineHandler
	sink sink
}

// sink is a destination for whole, formatted lines.
type sink interface {
	write(p []byte) error
	reopen() error
	close() error
}

// OpenLog opens the destination that cfg names. A file is created if needed
// (0644) and appended to. A syslog target does not fail when no syslog daemon
// listens yet: each write (re)connects, as glibc's syslog(3) does.
func OpenLog(cfg LogConfig) (*Log, error) {
	if cfg.Name == "" {
		cfg.Name = cfg.Program
	}
	if cfg.Level == nil {
		cfg.Level = slog.LevelInfo
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	h := &lineHandler{cfg: &cfg, pid: os.Getpid(), facility: -1}
	var s sink
	switch {
	case strings.HasPrefix(cfg.Target, "/"):
		f, err := openFileSink(cfg.Target)
		if err != nil {
			return nil, err
		}
		s = f
	case cfg.Target == "stderr":
		s = &streamSink{w: os.Stderr}
	case cfg.Target == "stdout":
		s = &streamSink{w: os.Stdout}
	default:
		fac, ok := facilities[cfg.Target]
		if !ok {
			return nil, fmt.Errorf("opening log: unknown syslog facility %q (want a path, stderr, stdout or one of %s)", cfg.Target, facilityNames())
		}
		h.facility = fac
		s = &syslogSink{network: cfg.SyslogNetwork, addr: cfg.SyslogAddr}
	}
	h.out = s
	return &Log{h: h, sink: s}, nil
}

// Handler returns the slog.Handler writing to this destination. Combine
// several (Heartbeat's logfacility + logfile + debugfile) with
// slog.NewMultiHandler.
func (l *Log) Handler() slog.Handler { return l.h }

// Logger returns a *slog.Logger over Handler.
func (l *Log) Logger() *slog.Logger { return slog.New(l.h) }

// Reopen reopens a log file (for logrotate, on SIGHUP) or drops the syslog
// connection so the next line reconnects. It is a no-op for streams.
func (l *Log) Reopen() error { return l.sink.reopen() }

// Close closes the destination; later lines are lost.
func (l *Log) Close() error { return l.sink.close() }

// lineHandler formats records as single lines in one of the LogFormats.
type lineHandler struct {
	cfg      *LogConfig
	pid      int
	facility int // -1 unless the sink is syslog
	out      sink
	attrs    []byte // preformatted " k=v" from WithAttrs
	group    string // "a.b." prefix from WithGroup
}

// Enabled implements slog.Handler.
func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.cfg.Level.Level()
}

// WithAttrs implements slog.Handler.
func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = slices.Clip(h.attrs)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.group, a)
	}
	return &h2
}

// WithGroup implements slog.Handler.
func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// Handle implements slog.Handler: the message first, then key=value attrs,
// so that greps for Heartbeat's and ldirectord's words keep working.
func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	t = t.Local()
	buf := make([]byte, 0, 256)
	if h.facility >= 0 {
		buf = h.syslogPrefix(buf, t, r.Level)
	} else {
		buf = h.linePrefix(buf, t, r.Level)
	}
	buf = append(buf, strings.TrimRight(r.Message, "\n")...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.group, a)
		return true
	})
	return h.out.write(append(buf, '\n'))
}

// linePrefix starts a file or stream line.
func (h *lineHandler) linePrefix(b []byte, t time.Time, l slog.Level) []byte {
	c := h.cfg
	switch c.Format {
	case FormatHeartbeatSyslog:
		b = t.AppendFormat(b, "Jan 02 15:04:05") // cl_log.c syslog_timestamp: "%3s %02d ..."
		b = fmt.Appendf(b, " %s %s: [%d]: %s: ", c.Hostname, c.Program, h.pid, levelWord(l))
	case FormatHeartbeat:
		b = fmt.Appendf(b, "%s[%d]: ", c.Program, h.pid)
		b = t.AppendFormat(b, "2006/01/02_15:04:05")
		b = fmt.Appendf(b, " %s: ", levelWord(l))
	case FormatLdirectord:
		b = append(b, '[')
		b = t.AppendFormat(b, time.ANSIC) // Perl scalar(localtime)
		b = fmt.Appendf(b, "|%s|%d] ", c.Name, h.pid)
	case FormatSupervised:
		b = append(b, '[')
		b = t.AppendFormat(b, time.ANSIC)
		b = append(b, "] "...)
	}
	return b
}

// syslogPrefix starts a datagram for the local syslog socket:
// "<PRI>Jan  2 15:04:05 TAG: ". Heartbeat logs "heartbeat: [pid]: info: msg"
// (cl_direct_log: syslog(prio, "%s[%d]: %s: %s", "", pid, prio, msg));
// ldirectord opens syslog with the "pid" option and logs the bare message.
// log/syslog cannot produce the first shape (it always writes tag[pid]).
func (h *lineHandler) syslogPrefix(b []byte, t time.Time, l slog.Level) []byte {
	b = fmt.Appendf(b, "<%d>", h.facility<<3|severity(l))
	b = t.AppendFormat(b, time.Stamp)
	switch h.cfg.Format {
	case FormatHeartbeatSyslog, FormatHeartbeat:
		return fmt.Appendf(b, " %s: [%d]: %s: ", h.cfg.Program, h.pid, levelWord(l))
	}
	return fmt.Appendf(b, " %s[%d]: ", h.cfg.Program, h.pid)
}

// levelWord is Heartbeat's priority word (cl_log.c prio2str).
func levelWord(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < LevelNotice:
		return "info"
	case l < slog.LevelWarn:
		return "notice"
	case l < slog.LevelError:
		return "WARN"
	case l < LevelCrit:
		return "ERROR"
	}
	return "CRIT"
}

// severity is the syslog severity for a level.
func severity(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return 7
	case l < LevelNotice:
		return 6
	case l < slog.LevelWarn:
		return 5
	case l < slog.LevelError:
		return 4
	case l < LevelCrit:
		return 3
	}
	return 2
}

// appendAttr appends " key=value", flattening groups as "g.key".
func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			b = appendAttr(b, prefix, ga)
		}
		return b
	}
	var v string
	switch a.Value.Kind() {
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			v = err.Error()
			break
		}
		v = a.Value.String()
	default:
		v = a.Value.String()
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	if needsQuote(v) {
		return strconv.AppendQuote(b, v)
	}
	return append(b, v...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// streamSink writes to stdout or stderr, one whole line per Write.
type streamSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *streamSink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(p)
	return err
}
func (s *streamSink) reopen() error { return nil }
func (s *streamSink) close() error  { return nil }
