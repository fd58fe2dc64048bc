//go:build vmbench

package ldbench

// The in-VM profile of issue 14 (bench/run.sh with BENCH_VM_PROFILE=1):
// for this project's engine, a CPU profile of a steady window; for it and
// keepalived's checker, strace -c over another window, both divided by
// the checks the farm counted. The profile and the strace tables go to
// the serial log between marker lines, base64 for the profile.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVMProfile(t *testing.T) {
	self := vmSetup(t)
	window := time.Duration(vmEnvInt("window", 15)) * time.Second
	for _, n := range vmNs() {
		for _, impl := range []Impl{ImplGo, ImplKeepalived} {
			exec.Command("/opt/bin/ipvsadm", "-C").Run()
			dir := fmt.Sprintf("/tmp/prof-%s-%d", impl, n)
			c := vmPointConfig(impl, n, dir, self, window, nil)
			prof := filepath.Join(dir, "cpu.pprof")
			if impl == ImplGo {
				c.EngineArgs = []string{"-cpuprofile-signal", prof}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			if err := profilePoint(ctx, c, prof, t.Logf); err != nil {
				t.Errorf("%s N=%d: %v", impl, n, err)
			}
			cancel()
		}
	}
}

// profilePoint starts c's farm and subject, waits for the complete table,
// then profiles one window (Go only) and straces another.
func profilePoint(ctx context.Context, c PointConfig, prof string, logf func(string, ...any)) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	r := &run{c: c, cancel: cancel, pollCtx: pctx, log: logf}
	defer r.stop()
	if err := r.startFarm(ctx); err != nil {
		return err
	}
	if err := r.startSubject(ctx); err != nil {
		return err
	}
	if st, err := r.waitComplete(ctx); err != nil {
		return err
	} else if !st.Reached {
		logf("%s N=%d: %s; profiling anyway", c.Impl, c.N, st.Note)
		if b, err := os.ReadFile(filepath.Join(c.Dir, "director.log")); err == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			logf("last lines of director.log:\n%s", strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
	}
	if err := sleepCtx(ctx, c.Settle); err != nil {
		return err
	}
	tag := fmt.Sprintf("%s N=%d", c.Impl, c.N)
	if c.Impl == ImplGo {
		syscall.Kill(r.pid, syscall.SIGUSR1)
		s, err := r.steady(ctx, nil)
		syscall.Kill(r.pid, syscall.SIGUSR2)
		if err != nil {
			return err
		}
		time.Sleep(2 * time.Second) // the profile is written on SIGUSR2
		b, err := os.ReadFile(prof)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		fmt.Printf("\nLDBENCH-PPROF-BEGIN %s checks=%d cpu_ms=%.0f window_s=%.1f\n", tag, s.Checks, s.CPUms, s.WindowS)
		enc := base64.StdEncoding.EncodeToString(b)
		for len(enc) > 0 {
			k := min(76, len(enc))
			fmt.Println(enc[:k])
			enc = enc[k:]
		}
		fmt.Printf("LDBENCH-PPROF-END %s\n", tag)
	}
	return straceWindow(ctx, r, tag)
}

// straceWindow counts the subject's syscalls (every thread) over one
// window with strace -c, and the farm's checks over the same window.
// ptrace slows the subject: the counts per check hold, its rate does not.
func straceWindow(ctx context.Context, r *run, tag string) error {
	out := filepath.Join(r.c.Dir, "strace.txt")
	cmd := exec.CommandContext(ctx, "/usr/bin/strace", "-c", "-f", "-p", fmt.Sprint(r.pid), "-o", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("strace: %w", err)
	}
	time.Sleep(2 * time.Second) // attached to every thread
	if err := r.fc.Reset(); err != nil {
		return err
	}
	t0 := time.Now()
	if err := sleepCtx(ctx, r.c.Window); err != nil {
		return err
	}
	stats, err := r.fc.Stats()
	el := time.Since(t0)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if err != nil {
		return err
	}
	var checks int64
	for _, s := range stats {
		checks += s.Hits
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("strace output: %w", err)
	}
	fmt.Printf("\nLDBENCH-STRACE-BEGIN %s checks=%d window_s=%.1f (+2 s attach before, ~0.1 s after)\n%s\nLDBENCH-STRACE-END %s\n",
		tag, checks, el.Seconds(), strings.TrimSpace(string(b)), tag)
	return nil
}
