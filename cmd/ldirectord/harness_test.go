package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp"
	"github.com/ultramonkey/ultramonkey/internal/director/bgp/bgptest"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// harness runs ldirectord daemons in-process against ipvstest.Kernel and
// fake checks. Each daemon ("generation") gets a pid of its own: a real
// sleeping process whose argv[0] contains "ldirectord", so the pid file
// logic (PidFile.Check reads /proc/<pid>/cmdline) runs unmodified. Kill
// and WaitExit route signals and waits by that pid to the generation.
type harness struct {
	t      *testing.T
	etc    string // EtcDir: holds ldirectord.cf, the default config
	rundir string
	cfg    string // path of ldirectord.cf
	kernel *ipvstest.Kernel
	checks *fakeChecks
	logs   *syncBuffer
	bgp    *bgptest.Speaker // every generation's BGP speaker
	sync   *syncNS          // the kernel's sync daemons and IPVS sysctls

	mu        sync.Mutex
	gens      map[int]*gen
	cmds      [][]string // RunCommand calls (callback, fallbackcommand)
	instances []string   // RunInstance calls (execute=), argv joined by blanks
	failVerb  string     // RunInstance fails this verb ("" = none)
	speakers  []ldcf.BGP // the bgp_* of every speaker built (NewSpeaker)
	// realSpeaker makes NewSpeaker build the real GoBGP speaker instead
	// of returning bgp (set before start).
	realSpeaker bool
	// syncSettle is deps.SyncSettle (300 ms unless a test sets it before
	// start).
	syncSettle time.Duration
}

// instanceCalls returns the execute= commands run so far and forgets them.
func (h *harness) instanceCalls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.instances
	h.instances = nil
	return out
}

func (h *harness) runInstance(_ context.Context, argv []string, stdout, _ io.Writer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.instances = append(h.instances, strings.Join(argv, " "))
	if h.failVerb != "" && argv[len(argv)-1] == h.failVerb {
		return errors.New("exit status 1")
	}
	if argv[len(argv)-1] == "status" {
		fmt.Fprintf(stdout, "child status of %s\n", argv[len(argv)-2])
	}
	return nil
}

func (h *harness) commands() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.cmds)
}

// gen is one in-process daemon run.
type gen struct {
	pid            int
	sigs           chan os.Signal
	done           chan struct{}
	code           int
	stdout, stderr syncBuffer
}

func newHarness(t *testing.T, config string) *harness {
	t.Helper()
	h := &harness{
		t: t, etc: t.TempDir(), rundir: t.TempDir(), kernel: &ipvstest.Kernel{},
		checks: &fakeChecks{up: map[netip.AddrPort]bool{}}, logs: &syncBuffer{}, gens: map[int]*gen{}, bgp: &bgptest.Speaker{},
		sync: newSyncNS(), syncSettle: 300 * time.Millisecond,
	}
	h.cfg = filepath.Join(h.etc, "ldirectord.cf")
	writeFile(t, h.cfg, config)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", h.logs.String())
		}
	})
	return h
}

// deps are the effects of one run; pid and sigs are a daemon's own.
func (h *harness) deps(pid int, sigs chan os.Signal) deps {
	return deps{
		OpenKernel: func() (ipvs.Kernel, func() error, error) { return h.kernel, func() error { return nil }, nil },
		Checkers: check.Registry{
			{Type: ldcf.CheckConnect}: h.checks, {Type: ldcf.CheckOn}: check.On{}, {Type: ldcf.CheckOff}: check.Off{},
		},
		Options:    &ldcf.Options{},
		LogHandler: slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		EtcDir:     h.etc,
		RunDir:     h.rundir,
		Getpid:     func() int { return pid },
		Signals:    func(context.Context) <-chan os.Signal { return sigs },
		Kill:       h.kill,
		WaitExit:   h.waitExit,
		Detach: func(context.Context, daemon.DetachConfig) (*daemon.Detached, error) {
			return nil, errors.New("in-process tests run in the foreground")
		},
		RunCommand: func(_ context.Context, argv []string) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.cmds = append(h.cmds, argv)
			return nil
		},
		NewSpeaker: func(b ldcf.BGP, log *slog.Logger) bgp.Speaker {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.speakers = append(h.speakers, b)
			if h.realSpeaker {
				return bgp.NewGoBGP(b, log)
			}
			return h.bgp
		},
		OpenSync:      h.sync.open,
		SetSysctl:     h.sync.Set,
		Self:          "/usr/sbin/ldirectord",
		RunInstance:   h.runInstance,
		WatchInterval: 10 * time.Millisecond,
		SyncSettle:    h.syncSettle,
		StopTimeout:   10 * time.Second,
	}
}

// cli runs one client command (status, stop, ...) to completion.
func (h *harness) cli(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"--rundir", h.rundir}, args...), &out, &errb, h.deps(0, nil))
	return code, out.String(), errb.String()
}

// launch starts run(args) as a daemon generation on its own goroutine.
func (h *harness) launch(args ...string) *gen {
	h.t.Helper()
	if !strings.Contains(os.Args[0], "ldirectord") {
		h.t.Fatalf("the test binary %q must contain \"ldirectord\" for the pid file checks", os.Args[0])
	}
	proc := exec.Command("sleep", "3600")
	proc.Args[0] = "ldirectord-test-generation"
	if err := proc.Start(); err != nil {
		h.t.Fatal(err)
	}
	g := &gen{pid: proc.Process.Pid, sigs: make(chan os.Signal, 8), done: make(chan struct{})}
	h.mu.Lock()
	h.gens[g.pid] = g
	h.mu.Unlock()
	go func() {
		g.code = run(append([]string{"--rundir", h.rundir}, args...), &g.stdout, &g.stderr, h.deps(g.pid, g.sigs))
		proc.Process.Kill()
		proc.Wait()
		close(g.done)
	}()
	h.t.Cleanup(func() {
		select {
		case <-g.done:
		default:
			g.sigs <- syscall.SIGTERM
			<-g.done
		}
	})
	return g
}

// start launches a foreground daemon and waits until status reports it.
func (h *harness) start(args ...string) *gen {
	h.t.Helper()
	g := h.launch(append([]string{"-d"}, append(args, "start")...)...)
	h.waitFor("the daemon to answer status", func() bool {
		select {
		case <-g.done:
			h.t.Fatalf("daemon exited with %d during start-up; stderr %q", g.code, g.stderr.String())
		default:
		}
		code, out, _ := h.cli(append(args, "status")...)
		return code == 0 && strings.Contains(out, fmt.Sprintf("with pid: %d\n", g.pid))
	})
	return g
}

func (h *harness) kill(pid int, sig syscall.Signal) error {
	h.mu.Lock()
	g, ok := h.gens[pid]
	h.mu.Unlock()
	if !ok {
		return syscall.ESRCH
	}
	select {
	case <-g.done:
		return syscall.ESRCH
	case g.sigs <- sig:
		return nil
	}
}

func (h *harness) waitExit(ctx context.Context, pid int, timeout time.Duration) error {
	h.mu.Lock()
	g, ok := h.gens[pid]
	h.mu.Unlock()
	if !ok {
		return nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-g.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("pid %d still running after %s", pid, timeout)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s\nkernel:\n%s", what, h.kernel.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitKernel waits until the fake kernel's table is want (ipvsadm -Ln
// body, reals in address order; the kernel keeps insertion order).
func (h *harness) waitKernel(want string) {
	h.t.Helper()
	h.waitFor("kernel table:\n"+want, func() bool { return h.table() == want })
}

// table is the fake kernel's table without the header, reals sorted.
func (h *harness) table() string {
	h.t.Helper()
	entries, err := ipvstest.Parse(h.kernel.String())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range entries {
		slices.SortFunc(e.Reals, func(a, b ipvs.Real) int { return a.Addr.Compare(b.Addr) })
	}
	return ipvstest.Format(entries)
}

// waitLog waits until the daemon log contains s.
func (h *harness) waitLog(s string) {
	h.t.Helper()
	h.waitFor("log line "+s, func() bool { return strings.Contains(h.logs.String(), s) })
}

// fakeChecks is a connect checker whose verdict per real the test sets.
type fakeChecks struct {
	mu sync.Mutex
	up map[netip.AddrPort]bool
}

func (f *fakeChecks) set(addr string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.up[netip.MustParseAddrPort(addr)] = up
}

// Check implements check.Checker.
func (f *fakeChecks) Check(_ context.Context, t check.Target) check.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.up[t.Addr()] {
		return check.Result{Up: true}
	}
	return check.Result{Err: "connection refused"}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instanceCallsPeek returns the execute= commands run so far.
func (h *harness) instanceCallsPeek() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.instances)
}
