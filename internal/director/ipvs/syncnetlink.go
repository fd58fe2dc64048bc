package ipvs

// This file talks to the kernel's connection-sync daemon over generic
// netlink (IPVS_CMD_NEW_DAEMON, DEL_DAEMON, GET_DAEMON), on a socket of its
// own: moby/ipvs has no daemon commands. The messages are built by the
// pure syncdaemon.go.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Sentinels of the sync daemon calls; the errors also wrap the kernel's
// errno (syscall.EEXIST, syscall.ESRCH).
var (
	// ErrSyncRunning: Start of a state that already runs (EEXIST;
	// ipvsadm: "Daemon has already run").
	ErrSyncRunning = errors.New("sync daemon already running")
	// ErrSyncNotRunning: Stop of a state that does not run (ESRCH;
	// ipvsadm: "No daemon is running").
	ErrSyncNotRunning = errors.New("sync daemon not running")
)

// syncReplyTimeout bounds every wait for the kernel's answer; starting a
// daemon creates a socket and a kernel thread, milliseconds even under
// emulation.
const syncReplyTimeout = 10 // seconds

// SyncNetlink starts, stops and lists the connection-sync daemons of the
// network namespace it was opened in. It is safe for concurrent use: a
// mutex serialises the calls on its one socket.
type SyncNetlink struct {
	mu     sync.Mutex
	family uint16
	sh     *nl.SocketHandle // nil once closed
}

// OpenSyncNetlink opens a generic-netlink socket in the network namespace
// of the calling OS thread (lock the thread and switch it first to manage
// another namespace; the socket stays in that namespace). It first checks
// that the kernel has the "IPVS" family and returns an error wrapping
// ErrNoIPVS if not.
func OpenSyncNetlink() (*SyncNetlink, error) {
	fam, err := ipvsFamily()
	if err != nil {
		return nil, fmt.Errorf("open ipvs sync netlink: %w", err)
	}
	s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("open ipvs sync netlink: %w", err)
	}
	tv := unix.Timeval{Sec: syncReplyTimeout}
	if err := errors.Join(s.SetSendTimeout(&tv), s.SetReceiveTimeout(&tv)); err != nil {
		s.Close()
		return nil, fmt.Errorf("open ipvs sync netlink: set timeouts: %w", err)
	}
	return &SyncNetlink{family: fam, sh: &nl.SocketHandle{Socket: s}}, nil
}

// Close closes the socket; the SyncNetlink must not be used after. It
// leaves the kernel's daemons running.
func (n *SyncNetlink) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sh != nil {
		n.sh.Close()
		n.sh = nil
	}
	return nil
}

// Start starts daemon d (IPVS_CMD_NEW_DAEMON) after d.Validate. A state
// already running gives an error wrapping ErrSyncRunning and
// syscall.EEXIST; an interface missing from the namespace one wrapping
// syscall.ENODEV.
func (n *SyncNetlink) Start(d SyncDaemon) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("start %s: %w", d, err)
	}
	err := n.exchange(request{payload: encodeStartDaemon(d), flags: unix.NLM_F_ACK})[0]
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EEXIST):
		return fmt.Errorf("start %s: %w (%w)", d, ErrSyncRunning, err)
	case errors.Is(err, syscall.ENODEV):
		return fmt.Errorf("start %s: no interface %q in this network namespace: %w", d, d.Interface, err)
	}
	return fmt.Errorf("start %s: %w", d, err)
}

// Stop stops the daemon of state s (IPVS_CMD_DEL_DAEMON). One not running
// gives an error wrapping ErrSyncNotRunning and syscall.ESRCH.
//
// The request goes without NLM_F_ACK and is followed by a GET_DAEMON dump
// on the same socket: the kernel handles a socket's requests in order, so
// an error for the stop arrives before the dump's answer. This is needed
// because stopping a daemon whose kernel thread has not run yet (a stop
// right after the start) makes kthread_stop return EINTR, which
// netlink_rcv_skb swallows without any answer, even to NLM_F_ACK: a
// caller waiting for the acknowledgement would hang although the daemon
// is stopped. The dump then confirms that s no longer runs.
func (n *SyncNetlink) Stop(s SyncState) error {
	if s != SyncMaster && s != SyncBackup {
		return fmt.Errorf("stop sync daemon: state %d: want master (1) or backup (2)", uint32(s))
	}
	var left []SyncDaemon
	errs := n.exchange(
		request{payload: encodeStopDaemon(s)},
		request{payload: encodeGetDaemons(), flags: unix.NLM_F_DUMP, each: decodeInto(&left)},
	)
	switch err := errs[0]; {
	case errors.Is(err, syscall.ESRCH):
		return fmt.Errorf("stop %s sync daemon: %w (%w)", s, ErrSyncNotRunning, err)
	case err != nil:
		return fmt.Errorf("stop %s sync daemon: %w", s, err)
	case errs[1] != nil:
		return fmt.Errorf("stop %s sync daemon: confirm: %w", s, errs[1])
	}
	for _, d := range left {
		if d.State == s {
			return fmt.Errorf("stop %s sync daemon: the kernel answered nothing and still lists it", s)
		}
	}
	return nil
}

// Daemons lists the running daemons (IPVS_CMD_GET_DAEMON dump): none, one,
// or master then backup, with the kernel's effective settings. None is an
// empty, non-nil slice.
func (n *SyncNetlink) Daemons() ([]SyncDaemon, error) {
	out := []SyncDaemon{}
	if err := n.exchange(request{payload: encodeGetDaemons(), flags: unix.NLM_F_DUMP, each: decodeInto(&out)})[0]; err != nil {
		return nil, fmt.Errorf("list sync daemons: %w", err)
	}
	return out, nil
}

// decodeInto returns a reply handler appending decoded daemons to out.
func decodeInto(out *[]SyncDaemon) func([]byte) error {
	return func(msg []byte) error {
		d, err := decodeDaemon(msg)
		if err == nil {
			*out = append(*out, d)
		}
		return err
	}
}

// request is one generic-netlink request of an exchange: its payload
// (generic-netlink header and attributes), its flags (NLM_F_ACK,
// NLM_F_DUMP or none) and, for a dump, the handler of each reply.
type request struct {
	payload []byte
	flags   int
	each    func([]byte) error
}

// exchange sends reqs in order and reads until the last one is answered
// (an NLMSG_ERROR, or NLMSG_DONE for a dump). The kernel answers a
// socket's requests in order, so an earlier request still unanswered then
// got no answer at all: success for a request without NLM_F_ACK. It
// returns one error per request (kernel errors as syscall.Errno).
func (n *SyncNetlink) exchange(reqs ...request) []error {
	errs := make([]error, len(reqs))
	fail := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sh == nil {
		return fail(errors.New("ipvs sync netlink handle is closed"))
	}
	s := n.sh.Socket
	pid, err := s.GetPid()
	if err != nil {
		return fail(err)
	}
	seqs := make(map[uint32]int, len(reqs))
	var last uint32
	for i, r := range reqs {
		req := nl.NewNetlinkRequest(int(n.family), r.flags)
		n.sh.Seq++
		req.Seq = n.sh.Seq
		req.AddRawData(r.payload)
		if err := s.Send(req); err != nil {
			return fail(err)
		}
		seqs[req.Seq], last = i, req.Seq
	}
	for {
		msgs, from, err := s.Receive()
		if err != nil {
			return fail(err)
		}
		if from.Pid != nl.PidKernel {
			continue
		}
		for _, m := range msgs {
			i, ok := seqs[m.Header.Seq]
			if !ok || m.Header.Pid != pid {
				continue // a late answer to an earlier, timed-out exchange
			}
			done := false
			switch m.Header.Type {
			case unix.NLMSG_ERROR, unix.NLMSG_DONE:
				if len(m.Data) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(m.Data[:4])); e < 0 {
						errs[i] = errors.Join(errs[i], syscall.Errno(-e))
					}
				}
				done = true
			case n.family:
				if reqs[i].each != nil {
					errs[i] = errors.Join(errs[i], reqs[i].each(m.Data))
				}
			}
			if done && m.Header.Seq == last {
				return errs
			}
		}
	}
}
