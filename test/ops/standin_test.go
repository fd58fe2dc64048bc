package ops

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The stand-in for a running ldirectord. ldirectord cannot start on a
// kernel without IPVS, so the running state of /etc/init.d/ldirectord is
// tested against this process instead: the test binary re-executed with
// argv[0] "ldirectord-standin", which is all ldirectord's (and the
// script's) liveness test looks at: /proc/PID/cmdline contains
// "ldirectord". The real ldirectord binary still reads the pid file, sends
// the signals and waits for the exit.

// standinEnv switches TestMain into the stand-in.
const standinEnv = "OPS_LDIRECTORD_STANDIN"

// standinLife bounds a stand-in that nobody stops.
const standinLife = 5 * time.Minute

// standinMain prints "ready" once its handlers are set, "HUP" for each
// SIGHUP, and exits 0 on SIGTERM or SIGINT.
func standinMain() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("ready")
	limit := time.After(standinLife)
	for {
		select {
		case s := <-sigs:
			if s != syscall.SIGHUP {
				return 0
			}
			fmt.Println("HUP")
		case <-limit:
			return 1
		}
	}
}

// standin is a running stand-in.
type standin struct {
	pid   int
	lines chan string
	done  chan struct{} // closed once the process has been reaped
}

// startStandin starts a stand-in and writes its pid to pidfile, as the
// daemon would. It outlives t (a step) and belongs to owner (the sequence),
// whose Cleanup kills it if it still runs.
func startStandin(t, owner *testing.T, pidfile string) *standin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{"ldirectord-standin"}, Env: append(os.Environ(), standinEnv+"=1")}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &standin{pid: cmd.Process.Pid, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		cmd.Wait()
		close(s.done)
	}()
	owner.Cleanup(func() {
		if s.alive() {
			cmd.Process.Kill()
			<-s.done
		}
	})
	s.expect(t, "ready")
	writeFile(t, pidfile, strconv.Itoa(s.pid)+"\n", 0o644)
	return s
}

// expect waits (bounded) for the stand-in to print want.
func (s *standin) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-s.lines:
		if got != want {
			t.Fatalf("stand-in printed %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("stand-in did not print %q within 10s", want)
	}
}

// quiet asserts that the stand-in printed nothing (no signal arrived) by now.
func (s *standin) quiet(t *testing.T) {
	t.Helper()
	select {
	case got := <-s.lines:
		t.Fatalf("stand-in printed %q, want nothing", got)
	default:
	}
}

func (s *standin) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// exited waits (bounded) for the stand-in to exit.
func (s *standin) exited(limit time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(limit):
		return false
	}
}
