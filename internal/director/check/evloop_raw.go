package check

// The engine's socket syscalls, made without telling Go's scheduler. Each
// of them is non-blocking (the sockets are O_NONBLOCK, epoll_wait is
// called with timeout 0): it returns at once, so there is nothing for the
// scheduler to do meanwhile. Through the ordinary wrappers each would
// enter and leave a "syscall" state, and under TCG a connect or close
// lasts long enough (1-2 ms) for sysmon to take the loop's P away and
// wake another thread to run whatever is queued, then to put the loop
// back: the futex and nanosleep storms of the first engine profile
// (bench/README.md). Errors are syscall.Errno values, as x/sys returns.

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSockaddr is a socket address in the kernel's layout, built once per
// check.
type rawSockaddr struct {
	v4  unix.RawSockaddrInet4
	v6  unix.RawSockaddrInet6
	is6 bool
}

func newRawSockaddr(a netip.AddrPort, zone uint32) rawSockaddr {
	var s rawSockaddr
	port := (*[2]byte)(unsafe.Pointer(&s.v4.Port))
	if a.Addr().Is4() {
		s.v4.Family = unix.AF_INET
		s.v4.Addr = a.Addr().As4()
	} else {
		s.is6 = true
		s.v6.Family = unix.AF_INET6
		s.v6.Addr = a.Addr().As16()
		s.v6.Scope_id = zone
		port = (*[2]byte)(unsafe.Pointer(&s.v6.Port))
	}
	port[0], port[1] = byte(a.Port()>>8), byte(a.Port()) // network order
	return s
}

func (s *rawSockaddr) family() int {
	if s.is6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func rawSocket(family int) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawConnect(fd int, s *rawSockaddr) error {
	p, n := unsafe.Pointer(&s.v4), unsafe.Sizeof(s.v4)
	if s.is6 {
		p, n = unsafe.Pointer(&s.v6), unsafe.Sizeof(s.v6)
	}
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(p), n)
	return errnoErr(e)
}

func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func rawClose(fd int) { unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

// abortiveClose is the socket option that makes close send a reset
// rather than a FIN (SO_LINGER, on, 0 s): see rawAbortOnClose.
var abortiveClose = unix.Linger{Onoff: 1, Linger: 0}

// rawAbortOnClose makes the close of fd abortive. A check's connection has
// nothing left to say when it is closed (the answer is judged, or the
// check gave up), and an orderly close leaves a TIME_WAIT socket behind on
// one side for 60 s: at 10,000 checks a second on the bench host they
// filled the kernel's whole TIME_WAIT table (131,072), and the real pays a
// FIN handshake per check. keepalived and HAProxy close their health
// checks the same way.
func rawAbortOnClose(fd int) error {
	_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(&abortiveClose)), unsafe.Sizeof(abortiveClose), 0)
	return errnoErr(e)
}

func rawShutdownWrite(fd int) { unix.RawSyscall(unix.SYS_SHUTDOWN, uintptr(fd), unix.SHUT_WR, 0) }

func rawEpollAdd(epfd, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), unix.EPOLL_CTL_ADD, uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errnoErr(e)
}

// rawEpollPoll is epoll_wait with timeout 0 (epoll_pwait without a mask:
// arm64 has no epoll_wait).
func rawEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
