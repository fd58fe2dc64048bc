package ldbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// run is one point in progress: the farm, the subject and what is known.
type run struct {
	c       PointConfig
	farm    *exec.Cmd
	fc      *FarmClient
	subj    *exec.Cmd
	pid     int // the measured process (keepalived: its checker child)
	ops     *OpTail
	start   time.Time
	cancel  context.CancelFunc
	pollCtx context.Context
	log     func(format string, args ...any)
}

func (r *run) selfCmd(ctx context.Context, wrap []string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, wrap...), r.c.Self...), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile(r.c.Dir, filepath.Base(args[0])+".out")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func logFile(dir, name string) (*os.File, *os.File) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, nil
	}
	return f, f
}

// startFarm starts the farm process and waits for its control API.
func (r *run) startFarm(ctx context.Context) error {
	args := []string{"farm", "-n", strconv.Itoa(r.c.N), "-base", r.c.Base,
		"-port", strconv.Itoa(int(r.c.Port)), "-ctl", r.c.FarmCtl}
	if r.c.FarmAny {
		args = append(args, "-anyip")
	}
	r.farm = r.selfCmd(ctx, r.c.FarmWrap, args...)
	if len(r.c.FarmEnv) > 0 {
		r.farm.Env = append(os.Environ(), r.c.FarmEnv...)
	}
	if err := r.farm.Start(); err != nil {
		return fmt.Errorf("start farm: %w", err)
	}
	r.fc = &FarmClient{Base: "http://" + r.c.FarmCtl}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return r.fc.Ready(wctx)
}

// startSubject starts the implementation under test.
func (r *run) startSubject(ctx context.Context) error {
	cf := filepath.Join(r.c.Dir, fmt.Sprintf("bench%d.cf", r.c.N))
	oplog := filepath.Join(r.c.Dir, "ops.log")
	os.Remove(oplog)
	r.ops = NewOpTail(oplog)
	var cmd *exec.Cmd
	switch r.c.Impl {
	case ImplGo:
		if err := writeLdirectordCf(r.c, cf, filepath.Join(r.c.Dir, "ldirectord.log")); err != nil {
			return err
		}
		args := []string{"engine", "-config", cf, "-oplog", oplog, "-log", filepath.Join(r.c.Dir, "director.log")}
		if r.c.Netlink {
			args = append(args, "-netlink")
		}
		args = append(args, r.c.EngineArgs...)
		cmd = r.selfCmd(ctx, nil, args...)
		if len(r.c.EngineEnv) > 0 {
			cmd.Env = append(os.Environ(), r.c.EngineEnv...)
		}
	case ImplPerl:
		if err := writeLdirectordCf(r.c, cf, filepath.Join(r.c.Dir, "ldirectord.log")); err != nil {
			return err
		}
		state := filepath.Join(r.c.Dir, "ipvs.state")
		os.Remove(state)
		cmd = exec.CommandContext(ctx, "/usr/bin/perl", r.c.PerlScript, cf, "start")
		cmd.Env = append(os.Environ(), StandinStateEnv+"="+state, StandinLogEnv+"="+oplog)
		cmd.Stdout, cmd.Stderr = logFile(r.c.Dir, "perl.out")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	case ImplKeepalived:
		kc := filepath.Join(r.c.Dir, "keepalived.conf")
		if err := writeKeepalivedConf(r.c, kc); err != nil {
			return err
		}
		cmd = exec.CommandContext(ctx, r.c.KeepalivedBin, "-n", "-l", "-D", "-G", "-C", "-B", "-f", kc,
			"-p", filepath.Join(r.c.Dir, "ka.pid"), "-c", filepath.Join(r.c.Dir, "ka-checkers.pid"))
		cmd.Stdout, cmd.Stderr = logFile(r.c.Dir, "keepalived.out")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		go PollProcIPVS(r.pollCtx, r.ops, 20*time.Millisecond)
	default:
		return fmt.Errorf("unknown implementation %q", r.c.Impl)
	}
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", r.c.Impl, err)
	}
	r.subj, r.pid = cmd, cmd.Process.Pid
	if r.c.Impl == ImplKeepalived {
		return r.findChecker()
	}
	return nil
}

// findChecker waits for keepalived's checker child: the process measured.
func (r *run) findChecker() error {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if kids := ChildrenOf(r.subj.Process.Pid); len(kids) > 0 {
			r.pid = kids[0]
			return nil
		}
	}
	return errors.New("keepalived: no checker child after 10 s")
}

// stop ends the subject (SIGTERM, then SIGKILL) and the farm.
func (r *run) stop() {
	if r.cancel != nil {
		r.cancel()
	}
	for _, cmd := range []*exec.Cmd{r.subj, r.farm} {
		if cmd == nil || cmd.Process == nil {
			continue
		}
		pg := -cmd.Process.Pid
		syscall.Kill(pg, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(pg, syscall.SIGKILL)
			<-done
		}
	}
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
