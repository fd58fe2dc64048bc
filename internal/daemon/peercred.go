package daemon

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Peer is the process at the other end of a control connection, as the
// kernel saw it connect (SO_PEERCRED), with its supplementary groups.
type Peer struct {
	PID    int32
	UID    uint32
	GID    uint32   // primary group
	Groups []uint32 // supplementary groups, from /proc/PID/status
}

// InGroup reports whether gid is the peer's primary or a supplementary
// group.
func (p Peer) InGroup(gid uint32) bool {
	if p.GID == gid {
		return true
	}
	for _, g := range p.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

type peerKey struct{}

// WithPeer returns ctx carrying p, as Serve passes it to a Handler (for
// handler wrappers and their tests).
func WithPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

// PeerFrom returns the peer of the control connection a Handler answers;
// false when the credentials could not be read (the handler should then
// allow only what anyone may do).
func PeerFrom(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// peerCred reads SO_PEERCRED of c and the peer's supplementary groups.
func peerCred(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, err
	}
	if serr != nil {
		return Peer{}, fmt.Errorf("SO_PEERCRED: %w", serr)
	}
	p := Peer{PID: cred.Pid, UID: cred.Uid, GID: cred.Gid}
	// The groups are read after the connect: a peer that exits at once
	// keeps only its primary group, which can only narrow what it may do.
	p.Groups, _ = procGroups(cred.Pid)
	return p, nil
}

// procGroups reads the "Groups:" line of /proc/PID/status.
func procGroups(pid int32) ([]uint32, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(int(pid)) + "/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var out []uint32
		for _, w := range strings.Fields(rest) {
			n, err := strconv.ParseUint(w, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("/proc/%d/status: bad group %q", pid, w)
			}
			out = append(out, uint32(n))
		}
		return out, nil
	}
	return nil, sc.Err()
}

// ShareWithGroup opens the socket to group gid: owner root (or whoever
// runs the daemon), group gid, mode 0660. Every request still carries
// its peer's credentials (PeerFrom), which the handler checks verb by
// verb; the mode only keeps everybody else from connecting at all.
func (l *ControlListener) ShareWithGroup(gid int) error {
	if err := os.Chown(l.path, -1, gid); err != nil {
		return fmt.Errorf("control socket %s: %w", l.path, err)
	}
	if err := os.Chmod(l.path, 0o660); err != nil {
		return fmt.Errorf("control socket %s: %w", l.path, err)
	}
	return nil
}
