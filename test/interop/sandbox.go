//go:build interop

package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// RebootPaths are the commands a Heartbeat node could use to reboot the
// machine: ResourceManager's RecoverFromFailedStop runs "/sbin/reboot -nf"
// and then "/sbin/init 6", libplumb's cl_reboot runs "/sbin/reboot -nf".
// On Debian 12 they are symlinks to systemctl and systemd; the sandbox
// bind-mounts the neutraliser over each resolved target, inside the
// node's mount namespace only. (The reboot(2) system call itself only
// ends the pid namespace's init when made inside a child pid namespace,
// see pid_namespaces(7).)
var RebootPaths = []string{
	"/sbin/reboot", "/usr/sbin/reboot", "/sbin/shutdown", "/usr/sbin/shutdown",
	"/sbin/halt", "/usr/sbin/halt", "/sbin/poweroff", "/usr/sbin/poweroff",
	"/sbin/init", "/usr/sbin/init",
}

// neutraliser is bind-mounted over every RebootPaths target: it records
// the call in the node's reboot log and exits 0.
const neutraliser = `#!/bin/sh
echo "$(date +%%s.%%N) neutralised: $0 $*" >>%s
exit 0
`

// sandboxScript is the pid namespace's init. It runs in the node's
// network namespace and in fresh mount, UTS, IPC and pid namespaces with a
// private /proc (unshare --mount-proc) and mount propagation private, so
// nothing it mounts is seen outside. It sets the hostname, gives the node
// its own /run (tmpfs, with the package's tmpfiles.d directories), neutralises reboot, checks that every reboot
// path now IS the neutraliser (refusing to start otherwise), gives a
// Heartbeat node its own /etc/ha.d and /var/lib/heartbeat, and then runs
// the daemon and waits for it and for every child left behind. When it exits, the kernel kills everything
// left in the pid namespace.
//
// $1 node dir, $2 node name, $3 heartbeat|hbd, $4 reboot paths, rest: argv.
const sandboxScript = `set -eu
dir=$1 name=$2 impl=$3 paths=$4
shift 4
hostname "$name"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
neutral=$dir/neutral
for p in $paths; do
	[ -e "$p" ] || continue
	r=$(readlink -f "$p")
	cmp -s "$r" "$neutral" || mount --bind "$neutral" "$r"
done
for p in $paths; do
	if [ -e "$p" ] && ! cmp -s "$p" "$neutral"; then
		echo "interop: $name: $p is not the reboot neutraliser; refusing to start" >&2
		exit 97
	fi
done
if [ "$impl" = heartbeat ]; then
	mount --bind "$dir/etc" /etc/ha.d
	mount --bind "$dir/varlib" /var/lib/heartbeat
	for d in /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm; do
		install -d -o hacluster -g haclient -m 0750 "$d"
	done
	install -d -m 1755 /run/resource-agents # resource-agents' tmpfiles.d: IPaddr keeps state there
fi
echo "interop: $name: sandbox ready (uname -n $(uname -n), pid $$, reboot neutralised)"
: >"$dir/ready"
"$@" &
rc=0
wait $! || rc=$?
# Outlive the daemon while its children run: after a failed stop,
# ResourceManager kills heartbeat (pkill -9) and only then calls reboot.
# (The children file has no newline: read fails but still sets c.)
while c=; read -r c </proc/1/task/1/children || :; [ -n "$c" ]; do sleep 0.1; done
exit $rc
`

// sandbox is one node's namespace tree and the daemon in it.
type sandbox struct {
	proc *netlab.Proc // ip netns exec … unshare … sh: the unshare process
	init int          // host pid of the pid namespace's init (the sh)
}

// StopTimeout bounds how long a kill or an orderly stop may take.
const StopTimeout = 20 * time.Second

// startSandbox runs argv in a new sandbox for n and returns once the pid
// namespace's init is known. A sandbox that exits without Kill cancels
// the lab's context.
func (n *Node) startSandbox(t testing.TB, argv ...string) *sandbox {
	t.Helper()
	neutral := filepath.Join(n.Dir, "neutral")
	if err := os.WriteFile(neutral, fmt.Appendf(nil, neutraliser, n.RebootLog()), 0o755); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(n.Dir, "ready")
	if err := os.Remove(ready); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	out, err := netlab.OpenOutput(n.OutFile(), argv)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"netns", "exec", n.NS.Name,
		"unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private",
		"sh", "-c", sandboxScript, "sandbox", n.Dir, n.Name, n.Impl.String(), strings.Join(RebootPaths, " ")}, argv...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = out, out
	// If the test binary dies, ip/unshare gets SIGKILL, and --kill-child
	// then kills the init, which ends the whole pid namespace.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p, err := netlab.StartProc(cmd, func(err error, expected bool) {
		out.Close()
		if !expected {
			n.lab.cancel(fmt.Errorf("%s: %s sandbox exited unexpectedly: %v (see %s)", n.Name, n.Impl, err, n.OutFile()))
		}
	})
	if err != nil {
		out.Close()
		t.Fatalf("%s: start sandbox: %v", n.Name, err)
	}
	s := &sandbox{proc: p}
	t.Cleanup(func() {
		if err := s.kill(); err != nil {
			t.Errorf("%s: cleanup: %v", n.Name, err)
		}
	})
	init, err := childPid(p.Pid(), p.Done())
	if err != nil {
		t.Fatalf("%s: %v (see %s)", n.Name, err, n.OutFile())
	}
	s.init = init
	if err := waitFile(ready, p.Done()); err != nil {
		t.Fatalf("%s: %v (see %s)", n.Name, err, n.OutFile())
	}
	return s
}

// waitFile waits (bounded) for the sandbox script to create path.
func waitFile(path string, exited <-chan struct{}) error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("sandbox exited before it was ready")
		case <-time.After(5 * time.Millisecond):
		}
	}
	return fmt.Errorf("sandbox not ready after 5 s")
}

// childPid waits (bounded) for the only child of pid, the pid namespace's
// init forked by unshare.
func childPid(pid int, exited <-chan struct{}) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return 0, fmt.Errorf("sandbox exited before its init started")
		default:
		}
		data, err := os.ReadFile(path)
		if err == nil {
			if f := strings.Fields(string(data)); len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("no child of unshare (pid %d) after 5 s", pid)
}

// kill sends SIGKILL to the pid namespace's init, which makes the kernel
// kill every process in the namespace, and waits for the sandbox to exit.
// A sandbox that already exited is not an error.
func (s *sandbox) kill() error {
	target := s.init
	if target == 0 {
		target = s.proc.Pid() // --kill-child takes the init along
	}
	return s.proc.Kill(target, syscall.SIGKILL, StopTimeout)
}

// running reports whether the sandbox has not exited.
func (s *sandbox) running() bool { return s != nil && s.proc.Running() }

// exec runs argv inside the sandbox's namespaces (nsenter: mount, UTS,
// IPC, network and pid) and returns its combined output. A non-zero exit
// is an error that carries the output.
func (s *sandbox) exec(ctx context.Context, argv ...string) (string, error) {
	args := append([]string{"-t", strconv.Itoa(s.init), "-m", "-u", "-i", "-n", "-p", "--"}, argv...)
	out, err := exec.CommandContext(ctx, "nsenter", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}
