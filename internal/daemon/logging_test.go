package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// at is the fixed record time of these tests, in local time, so the expected
// wall clock is the same under any TZ.
var at = time.Date(2024, 1, 1, 12, 0, 0, 0, time.Local)

// emit hands one record straight to h, with the fixed time.
func emit(t *testing.T, h slog.Handler, level slog.Level, msg string, attrs ...slog.Attr) {
	t.Helper()
	r := slog.NewRecord(at, level, msg, 0)
	r.AddAttrs(attrs...)
	if !h.Enabled(context.Background(), level) {
		return
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatalf("Handle: %v", err)
	}
}

// openFileLog opens a log file under t.TempDir for cfg.
func openFileLog(t *testing.T, cfg LogConfig) (*Log, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.log")
	cfg.Target = path
	l, err := OpenLog(cfg)
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLogFileFormats pins the exact line shapes Heartbeat and ldirectord
// users grep for.
func TestLogFileFormats(t *testing.T) {
	pid := os.Getpid()
	hb := LogConfig{Program: "heartbeat", Hostname: "node1", Level: slog.LevelDebug}
	ld := LogConfig{Program: "ldirectord", Name: "ldirectord.cf", Format: FormatLdirectord}
	with := func(c LogConfig, f LogFormat) LogConfig { c.Format = f; return c }
	tests := []struct {
		name  string
		cfg   LogConfig
		level slog.Level
		msg   string
		want  string
	}{
		{name: "heartbeat syslogmsgfmt (default)", cfg: hb, level: slog.LevelInfo, msg: "Heartbeat shutdown in progress.",
			want: fmt.Sprintf("Jan 01 12:00:00 node1 heartbeat: [%d]: info: Heartbeat shutdown in progress.\n", pid)},
		{name: "heartbeat plain file", cfg: with(hb, FormatHeartbeat), level: slog.LevelInfo, msg: "Link node2:eth1 dead.",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 info: Link node2:eth1 dead.\n", pid)},
		{name: "heartbeat WARN", cfg: with(hb, FormatHeartbeat), level: slog.LevelWarn, msg: "Late heartbeat: Node node2: interval 3010 ms",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 WARN: Late heartbeat: Node node2: interval 3010 ms\n", pid)},
		{name: "heartbeat ERROR", cfg: with(hb, FormatHeartbeat), level: slog.LevelError, msg: "x",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 ERROR: x\n", pid)},
		{name: "heartbeat CRIT", cfg: with(hb, FormatHeartbeat), level: LevelCrit, msg: "Resource STOP failure. Reboot required!",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 CRIT: Resource STOP failure. Reboot required!\n", pid)},
		{name: "heartbeat notice", cfg: with(hb, FormatHeartbeat), level: LevelNotice, msg: "x",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 notice: x\n", pid)},
		{name: "heartbeat debug", cfg: with(hb, FormatHeartbeat), level: slog.LevelDebug, msg: "x",
			want: fmt.Sprintf("heartbeat[%d]: 2024/01/01_12:00:00 debug: x\n", pid)},
		{name: "ldirectord logfile", cfg: ld, level: slog.LevelInfo, msg: "Starting Linux Director v1.186-ha as daemon",
			want: fmt.Sprintf("[Mon Jan  1 12:00:00 2024|ldirectord.cf|%d] Starting Linux Director v1.186-ha as daemon\n", pid)},
		{name: "ldirectord name defaults to program", cfg: LogConfig{Program: "ldirectord", Format: FormatLdirectord}, level: slog.LevelError, msg: "x",
			want: fmt.Sprintf("[Mon Jan  1 12:00:00 2024|ldirectord|%d] x\n", pid)},
		{name: "ldirectord supervised", cfg: with(ld, FormatSupervised), level: slog.LevelInfo, msg: "Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)",
			want: "[Mon Jan  1 12:00:00 2024] Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)\n"},
		{name: "ldirectord -d", cfg: with(ld, FormatPlain), level: slog.LevelInfo, msg: "Exiting from ldirectord start\n",
			want: "Exiting from ldirectord start\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, path := openFileLog(t, tt.cfg)
			emit(t, l.Handler(), tt.level, tt.msg)
			if diff := cmp.Diff(tt.want, readFile(t, path)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogAttrs(t *testing.T) {
	l, path := openFileLog(t, LogConfig{Program: "ldirectord", Format: FormatPlain})
	h := l.Handler().WithAttrs([]slog.Attr{slog.String("component", "director")})
	emit(t, h, slog.LevelInfo, "Deleted real server: 10.0.0.2:80",
		slog.String("reason", "3 consecutive failures (timeout)"),
		slog.Int("weight", 0),
		slog.String("empty", ""),
		slog.Any("err", errors.New("dial tcp: refused")),
		slog.Group("virtual", slog.String("addr", "10.0.0.1:80"), slog.String("proto", "tcp")),
		slog.Attr{},
	)
	emit(t, h.WithGroup("check").WithAttrs([]slog.Attr{slog.String("service", "http")}), slog.LevelInfo, "m",
		slog.String("k", `a"b`), slog.Duration("took", 1500*time.Millisecond))
	emit(t, h.WithGroup(""), slog.LevelInfo, "no group", slog.Bool("ok", true))
	want := `Deleted real server: 10.0.0.2:80 component=director reason="3 consecutive failures (timeout)" weight=0 empty="" err="dial tcp: refused" virtual.addr=10.0.0.1:80 virtual.proto=tcp
m component=director check.service=http check.k="a\"b" check.took=1.5s
no group component=director ok=true
`
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLogLevel(t *testing.T) {
	var lv slog.LevelVar
	l, path := openFileLog(t, LogConfig{Program: "x", Format: FormatPlain, Level: &lv})
	lg := l.Logger()
	lg.Debug("hidden")
	lg.Info("shown 1")
	lv.Set(slog.LevelDebug) // SIGUSR1: more debug
	lg.Debug("shown 2")
	lv.Set(slog.LevelWarn)
	lg.Info("hidden")
	lg.Warn("shown 3")
	if diff := cmp.Diff("shown 1\nshown 2\nshown 3\n", readFile(t, path)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLogFileRotation follows logrotate's rename (with and without SIGHUP)
// and copytruncate.
func TestLogFileRotation(t *testing.T) {
	l, path := openFileLog(t, LogConfig{Program: "x", Format: FormatPlain})
	lg := l.Logger()
	lg.Info("one")
	os.Rename(path, path+".1") // logrotate without HUP
	lg.Info("two")
	os.Rename(path, path+".2") // logrotate, then postrotate HUP
	if err := l.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	lg.Info("three")
	os.Truncate(path, 0) // copytruncate
	lg.Info("four")
	got := []string{readFile(t, path+".1"), readFile(t, path+".2"), readFile(t, path)}
	if diff := cmp.Diff([]string{"one\n", "two\n", "four\n"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("log file mode %v; want 0644", fi.Mode().Perm())
	}
	l.Close()
	if err := l.Handler().Handle(context.Background(), slog.NewRecord(at, slog.LevelInfo, "late", 0)); err == nil {
		t.Error("write after Close: nil error")
	}
}

func TestLogConcurrentLines(t *testing.T) {
	l, path := openFileLog(t, LogConfig{Program: "x", Format: FormatPlain})
	lg := l.Logger()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				lg.Info(strings.Repeat("x", 100), "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines; want 400", len(lines))
	}
	for _, ln := range lines {
		if !strings.HasPrefix(ln, strings.Repeat("x", 100)+" g=") {
			t.Fatalf("torn line %q", ln)
		}
	}
}

func TestOpenLogErrors(t *testing.T) {
	tests := []struct {
		name   string
		target string
		want   string
	}{
		{name: "unknown facility", target: "local9", want: `opening log: unknown syslog facility "local9" (want a path, stderr, stdout or one of auth, authpriv, cron, daemon, ftp, kern, local0, local1, local2, local3, local4, local5, local6, local7, lpr, mail, news, security, syslog, user, uucp)`},
		{name: "missing dir", target: "/nonexistent-dir-for-test/x.log", want: "opening log file: open /nonexistent-dir-for-test/x.log: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenLog(LogConfig{Target: tt.target, Program: "x"})
			if err == nil || err.Error() != tt.want {
				t.Errorf("OpenLog(%q) = %v; want %q", tt.target, err, tt.want)
			}
		})
	}
	for _, target := range []string{"stderr", "stdout"} {
		l, err := OpenLog(LogConfig{Target: target, Program: "x"})
		if err != nil {
			t.Errorf("OpenLog(%q): %v", target, err)
			continue
		}
		if err := errors.Join(l.Reopen(), l.Close()); err != nil {
			t.Errorf("%s Reopen/Close: %v", target, err)
		}
	}
}

// fakeSyslogd binds a unixgram socket like /dev/log under dir.
func fakeSyslogd(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLogSyslog(t *testing.T) {
	pid := os.Getpid()
	tests := []struct {
		name     string
		facility string
		format   LogFormat
		program  string
		level    slog.Level
		msg      string
		want     string
	}{
		{name: "heartbeat local0 info", facility: "local0", format: FormatHeartbeatSyslog, program: "heartbeat", level: slog.LevelInfo, msg: "Link node2:eth1 dead.",
			want: fmt.Sprintf("<134>Jan  1 12:00:00 heartbeat: [%d]: info: Link node2:eth1 dead.\n", pid)},
		{name: "heartbeat daemon WARN", facility: "daemon", format: FormatHeartbeat, program: "heartbeat", level: slog.LevelWarn, msg: "Late heartbeat",
			want: fmt.Sprintf("<28>Jan  1 12:00:00 heartbeat: [%d]: WARN: Late heartbeat\n", pid)},
		{name: "heartbeat authpriv CRIT", facility: "authpriv", format: FormatHeartbeat, program: "heartbeat", level: LevelCrit, msg: "x",
			want: fmt.Sprintf("<82>Jan  1 12:00:00 heartbeat: [%d]: CRIT: x\n", pid)},
		{name: "ldirectord local7 info", facility: "local7", format: FormatLdirectord, program: "ldirectord", level: slog.LevelInfo, msg: "Invoking ldirectord invoked as: /usr/sbin/ldirectord start",
			want: fmt.Sprintf("<190>Jan  1 12:00:00 ldirectord[%d]: Invoking ldirectord invoked as: /usr/sbin/ldirectord start\n", pid)},
		{name: "ldirectord user error", facility: "user", format: FormatSupervised, program: "ldirectord", level: slog.LevelError, msg: "x",
			want: fmt.Sprintf("<11>Jan  1 12:00:00 ldirectord[%d]: x\n", pid)},
		{name: "ldirectord debug", facility: "local0", format: FormatPlain, program: "ldirectord", level: slog.LevelDebug, msg: "x",
			want: fmt.Sprintf("<135>Jan  1 12:00:00 ldirectord[%d]: x\n", pid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			srv := fakeSyslogd(t, path)
			l, err := OpenLog(LogConfig{Target: tt.facility, Format: tt.format, Program: tt.program,
				Level: slog.LevelDebug, SyslogNetwork: "unixgram", SyslogAddr: path})
			if err != nil {
				t.Fatalf("OpenLog: %v", err)
			}
			defer l.Close()
			emit(t, l.Handler(), tt.level, tt.msg)
			if diff := cmp.Diff(tt.want, recv(t, srv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLogSyslogReconnect: syslogd absent at start, then restarted.
func TestLogSyslogReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := OpenLog(LogConfig{Target: "daemon", Format: FormatPlain, Program: "ldirectord", SyslogNetwork: "unixgram", SyslogAddr: path})
	if err != nil {
		t.Fatalf("OpenLog without syslogd: %v", err)
	}
	defer l.Close()
	if err := l.Handler().Handle(context.Background(), slog.NewRecord(at, slog.LevelInfo, "lost", 0)); err == nil {
		t.Error("Handle without syslogd: nil error")
	}
	srv := fakeSyslogd(t, path)
	emit(t, l.Handler(), slog.LevelInfo, "first")
	if got := recv(t, srv); !strings.HasSuffix(got, ": first\n") {
		t.Errorf("got %q", got)
	}
	srv.Close() // syslogd restarts
	os.Remove(path)
	srv = fakeSyslogd(t, path)
	emit(t, l.Handler(), slog.LevelInfo, "second")
	if got := recv(t, srv); !strings.HasSuffix(got, ": second\n") {
		t.Errorf("got %q", got)
	}
}
