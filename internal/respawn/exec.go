package respawn

// The effects: looking the user up, starting the shell, signalling the
// process group.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// Credential is the uid, gid and supplementary groups a program runs as.
type Credential struct {
	UID, GID uint32
	Groups   []uint32
}

// LookupUser returns the credential of a user name (getpwnam and
// initgroups, as start_a_child_client).
func LookupUser(name string) (Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Credential{}, fmt.Errorf("invalid uid [%s] specified for client child: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return Credential{}, fmt.Errorf("user %s: %w", name, err)
	}
	c := Credential{UID: uint32(uid), GID: uint32(gid)}
	gids, err := u.GroupIds()
	if err != nil {
		return Credential{}, fmt.Errorf("user %s: groups: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			c.Groups = append(c.Groups, uint32(n))
		}
	}
	return c, nil
}

// CheckExecutable is Heartbeat's access(path, X_OK|F_OK) check of a
// respawn program.
func CheckExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("client child command [%s] is not executable: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("client child command [%s] is not executable (want an executable file)", path)
	}
	return nil
}

// start runs `/bin/sh -c "exec COMMAND"` as cred in a new process group,
// at SCHED_OTHER, with /dev/null as stdin, stdout and stderr.
func start(command string, cred Credential, env []string) (*exec.Cmd, error) {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Env = env
	cmd.Dir = "/"
	attr := &syscall.SysProcAttr{Setpgid: true}
	if uint32(os.Getuid()) != cred.UID || uint32(os.Getgid()) != cred.GID {
		attr.Credential = &syscall.Credential{Uid: cred.UID, Gid: cred.GID, Groups: cred.Groups}
	}
	cmd.SysProcAttr = attr
	if err := daemon.StartNormal(cmd); err != nil {
		return nil, err
	}
	return cmd, nil
}

// signalGroup sends sig to the program's process group.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// exitCode returns the exit code, or -1 and the signal when killed.
func exitCode(st *os.ProcessState) (int, syscall.Signal) {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return st.ExitCode(), 0
}
