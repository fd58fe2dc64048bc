package check

// The effect half of the event-loop engine: non-blocking sockets on one
// epoll instance, driven by one goroutine that waits in Go's poller. The pure
// half (what to send, how to read the answer) is evloop_probe.go, the
// timer heap evloop_sched.go.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Engine runs periodic probes (connect, plain http, simpletcp) the way
// keepalived runs its checkers: one loop, non-blocking sockets on one epoll
// instance, deadlines and due times from heaps in the loop, buffers reused,
// so that a check costs its syscalls and no goroutine, timer or context.
// Checks it cannot run stay on the goroutine path (NewProbe says which).
//
// Each check runs at a random delay (Jitter) after Set, then every
// Interval from the time its last run was due, moved by the difference of
// two Jitter draws (zero on average) and never before the last run ended:
// each real is checked every checkinterval on average, so N reals cost
// N/checkinterval checks a second as configured (the goroutine path waits
// Interval plus Jitter after each run ends, which stretches the period by
// the check's duration and the jitter's mean). At most InFlight checks
// run at once across both paths.
// A hanging real holds one connection until its timeout and delays no
// other check.
//
// Concurrency: Set, Remove, Ready and Take may be called from any
// goroutine; Run runs the loop and returns when ctx is done, after closing
// every socket. Results are handed over in batches (Ready fires, Take
// collects), at most FlushEvery after the first of a batch completed.
type Engine struct {
	c EngineConfig

	mu      sync.Mutex
	cmds    []engineCmd
	out     []ProbeResult
	wakeFd  int  // eventfd, -1 once Run returned
	waking  bool // a wake-up is pending in wakeFd
	ready   chan struct{}
	running bool

	// Loop-only state.
	epfd     int
	epFile   *os.File        // owns epfd, registered with Go's poller
	epConn   syscall.RawConn // waits for epfd's readiness
	harvest  func(uintptr) bool
	readDL   time.Time // the epoll fd's read deadline now
	nev      int
	evErr    error
	base     time.Time
	checks   map[uint64]*echeck
	conns    []econn
	free     []int32
	due      timeHeap // next start of each idle check
	deadline timeHeap // deadline of each connection
	batch    []ProbeResult
	batchAt  int64 // when the oldest result of batch completed (0: empty)
	blocked  bool  // a due check waits for an in-flight slot
	events   []unix.EpollEvent
	fallback sync.WaitGroup
}

// EngineProbe returns the engine's probe for t when c, the checker the
// registry gives t, is the built-in checker the engine stands in for
// (a registry with other checkers, as in tests, keeps them).
func EngineProbe(c Checker, t Target) (*Probe, bool) {
	switch c.(type) {
	case Connect, HTTP, SimpleTCP:
		return NewProbe(t)
	}
	return nil, false
}

// EngineConfig configures an Engine.
type EngineConfig struct {
	// Jitter returns the random delay added before each run (called from the
	// loop's goroutine); nil means none.
	Jitter func(interval time.Duration) time.Duration
	// InFlight bounds the checks running at once; it may be shared with the
	// goroutine path. nil means no bound.
	InFlight *Slots
	// FlushEvery bounds how long a result waits for others to share its
	// hand-over; 0 means 10 ms. Results move to the director in batches:
	// one wake-up of the reader per batch, not per check.
	FlushEvery time.Duration
	// StartTick groups starts: a check due within the current tick starts
	// with the others of that tick, up to one tick early, so that at low
	// rates one wake-up starts several checks (and their answers tend to
	// come back together) rather than one each. 0 means 25 ms; 1 ns
	// starts every check at its own time.
	StartTick time.Duration
}

// ProbeResult is the outcome of one run of a check, with the tag its Set
// gave it.
type ProbeResult struct {
	ID     uint64
	Tag    any
	Result Result
}

// engineCmd is a Set (probe non-nil), a Remove, or the end of a run that
// went to the goroutine path (done non-nil).
type engineCmd struct {
	id       uint64
	tag      any
	probe    *Probe
	interval time.Duration
	done     *fallbackDone
}

type fallbackDone struct {
	chk *echeck
	gen uint32
	res Result
}

// echeck is one check (one incarnation: Set with a new probe or interval
// makes a new one).
type echeck struct {
	id       uint64
	tag      any
	probe    *Probe
	sa       rawSockaddr
	interval int64
	dueAt    int64  // when the current or last run was due
	gen      uint32 // bumped per run and on removal; stale heap entries differ
	conn     int32  // connection in flight, -1 idle, -2 on the goroutine path
	removed  bool
}

// econn is one connection slot, reused.
type econn struct {
	idx    int32
	fd     int
	gen    uint32
	chk    *echeck
	chkGen uint32
	start  int64
	phase  uint8
	sent   int
	rdhup  bool
	buf    []byte
}

const (
	phaseConnecting = iota + 1
	phaseSending
	phaseReading
)

// maxReply bounds the bytes kept of one answer: maxBody and a generous head.
const maxReply = maxBody + maxHead

// wakeSlot is the epoll tag of the eventfd.
const wakeSlot = -1

// NewEngine opens the engine's epoll instance and wake-up eventfd; Run
// starts the loop and closes them when it returns.
func NewEngine(c EngineConfig) (*Engine, error) {
	if c.FlushEvery <= 0 {
		c.FlushEvery = 10 * time.Millisecond
	}
	if c.StartTick <= 0 {
		c.StartTick = 25 * time.Millisecond
	}
	if c.Jitter == nil {
		c.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("check engine: epoll_create1: %w", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("check engine: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("check engine: epoll_ctl: %w", err)
	}
	// The loop waits for its epoll instance through Go's own poller (the
	// epoll fd is itself pollable) rather than blocking a thread in
	// epoll_wait: the goroutine parks like any network goroutine, and no
	// thread sits in a long syscall for sysmon to take its P from.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("check engine: epoll fd: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "check-engine-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		unix.Close(wfd)
		f.Close()
		return nil, fmt.Errorf("check engine: epoll fd: %w", err)
	}
	e := &Engine{c: c, epfd: epfd, epFile: f, epConn: rc, wakeFd: wfd, ready: make(chan struct{}, 1), checks: map[uint64]*echeck{}}
	e.harvest = func(uintptr) bool {
		e.nev, e.evErr = rawEpollPoll(e.epfd, e.events)
		return e.nev != 0 || e.evErr != nil && e.evErr != unix.EINTR
	}
	return e, nil
}

// Set starts (or restarts, with a new probe or interval) check id; its
// results carry tag. A run in flight of a restarted check is dropped, its
// result never reported (unless already handed over).
func (e *Engine) Set(id uint64, p *Probe, interval time.Duration, tag any) {
	e.post(engineCmd{id: id, probe: p, interval: interval, tag: tag})
}

// Close releases an engine whose Run was never called (Run closes
// everything itself when it returns).
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running || e.wakeFd < 0 {
		return
	}
	unix.Close(e.wakeFd)
	e.wakeFd = -1
	e.epFile.Close()
}

// Remove stops check id; a run in flight is dropped.
func (e *Engine) Remove(id uint64) { e.post(engineCmd{id: id}) }

// Ready fires when results wait for Take.
func (e *Engine) Ready() <-chan struct{} { return e.ready }

// Take appends the waiting results to dst and returns it.
func (e *Engine) Take(dst []ProbeResult) []ProbeResult {
	e.mu.Lock()
	dst = append(dst, e.out...)
	e.out = e.out[:0]
	e.mu.Unlock()
	return dst
}

func (e *Engine) post(c engineCmd) {
	e.mu.Lock()
	e.cmds = append(e.cmds, c)
	e.wakeLocked()
	e.mu.Unlock()
}

// wakeLocked makes the loop's epoll_wait return (once per batch of
// commands).
func (e *Engine) wakeLocked() {
	if e.wakeFd >= 0 && !e.waking {
		e.waking = true
		var one = [8]byte{1}
		unix.Write(e.wakeFd, one[:])
	}
}

// Run runs the loop until ctx is done, then closes every connection, the
// epoll instance and the eventfd. An engine runs once.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.running || e.wakeFd < 0 {
		e.mu.Unlock()
		return errors.New("check engine: Run called twice")
	}
	e.running = true
	e.mu.Unlock()
	wfd := e.wakeFd
	e.base, e.events = time.Now(), make([]unix.EpollEvent, 256)
	stop := context.AfterFunc(ctx, func() { e.mu.Lock(); e.waking = false; e.wakeLocked(); e.mu.Unlock() })
	defer stop()
	defer e.shutdown()
	wait := time.Duration(0)
	for ctx.Err() == nil {
		// I/O first, then deadlines: a connection whose answer is in is
		// never timed out because the loop was busy starting others.
		if err := e.poll(wait); err != nil {
			return err
		}
		for _, ev := range e.events[:e.nev] {
			if ev.Fd == wakeSlot {
				var b [8]byte
				rawRead(wfd, b[:])
				continue
			}
			e.onEvent(ev.Fd, uint32(ev.Pad), ev.Events)
		}
		now := e.now()
		e.takeCommands(now)
		e.expire(now)
		more := e.startDue(now)
		wait = 0
		if !more && e.nev < len(e.events) {
			// About to sleep: hand the results over now, unless a timer
			// wakes the loop before they are due anyway (at low rates
			// that saves a wake-up of the reader per check). A busy loop
			// batches them up to FlushEvery.
			now = e.now()
			if next := e.nextTimer(now); next < 0 || next > e.batchAt+int64(e.c.FlushEvery) {
				e.flush(now, true)
			}
			wait = e.waitFor(now)
		} else {
			e.flush(now, false)
			// Busy: yield between turns rather than be preempted by
			// signal after 10 ms (which also keeps sysmon polling fast).
			runtime.Gosched()
		}
	}
	return nil
}

// poll harvests ready events into e.events[:e.nev]: at once when wait is
// 0, else parked in Go's poller until some are ready or wait passed
// (wait < 0: no limit).
func (e *Engine) poll(wait time.Duration) error {
	if wait == 0 {
		e.harvest(0)
	} else {
		var dl time.Time
		if wait > 0 {
			dl = e.base.Add(time.Duration(e.now()) + wait)
		}
		if !dl.Equal(e.readDL) { // a timer change costs the runtime more than this test
			e.epFile.SetReadDeadline(dl)
			e.readDL = dl
		}
		e.nev, e.evErr = 0, nil
		if err := e.epConn.Read(e.harvest); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("check engine: waiting for epoll: %w", err)
		}
	}
	if e.evErr != nil && e.evErr != unix.EINTR {
		return fmt.Errorf("check engine: epoll_wait: %w", e.evErr)
	}
	e.nev = max(e.nev, 0)
	return nil
}

// startBatch bounds the checks started per turn of the loop, so that
// under a burst of due checks (start-up, or a host too slow for the
// rate) the loop goes back to reading answers between batches.
const startBatch = 32

// shutdown closes every connection and the eventfd, and waits for the runs
// on the goroutine path (their context is done).
func (e *Engine) shutdown() {
	for i := range e.conns {
		if c := &e.conns[i]; c.chk != nil {
			rawClose(c.fd)
			e.release(c)
		}
	}
	e.mu.Lock()
	unix.Close(e.wakeFd)
	e.wakeFd = -1
	e.mu.Unlock()
	e.epFile.Close()
	e.fallback.Wait()
}

func (e *Engine) now() int64 { return int64(time.Since(e.base)) }

// waitFor is how long the loop may sleep: until the next due start,
// deadline or flush (-1: nothing pending).
func (e *Engine) waitFor(now int64) time.Duration {
	next := e.nextTimer(now)
	if at := e.batchAt + int64(e.c.FlushEvery); e.batchAt > 0 && (next < 0 || at < next) {
		next = at
	}
	if next < 0 {
		return -1
	}
	return time.Duration(max(next-now, 1))
}

// nextTimer is the loop's next timed wake-up but the flush: the next due
// tick, deadline or slot poll (-1: none).
func (e *Engine) nextTimer(now int64) int64 {
	next := int64(-1)
	consider := func(at int64) {
		if next < 0 || at < next {
			next = at
		}
	}
	if at, ok := e.due.peek(); ok && !e.blocked {
		consider(tickStart(at, int64(e.c.StartTick)))
	}
	if e.blocked {
		consider(now + int64(20*time.Millisecond)) // the other path may free a slot
	}
	// A deadline of a connection that ended is dropped here rather than
	// woken up for: at low rates nearly every deadline is such.
	for len(e.deadline) > 0 {
		i, gen := e.deadline.topConn()
		if c := &e.conns[i]; c.chk != nil && c.gen == gen {
			break
		}
		e.deadline.pop()
	}
	if at, ok := e.deadline.peek(); ok {
		consider(at)
	}
	return next
}

// takeCommands applies the commands posted since the last wake-up.
func (e *Engine) takeCommands(now int64) {
	e.mu.Lock()
	cmds := e.cmds
	e.cmds = nil
	e.waking = false
	e.mu.Unlock()
	for _, c := range cmds {
		switch {
		case c.done != nil:
			e.endFallback(c.done, now)
		case c.probe != nil:
			e.set(c, now)
		default:
			if old := e.checks[c.id]; old != nil {
				e.drop(old)
				delete(e.checks, c.id)
			}
		}
	}
}

func (e *Engine) set(c engineCmd, now int64) {
	if old := e.checks[c.id]; old != nil {
		if old.probe == c.probe && old.interval == int64(c.interval) {
			return
		}
		e.drop(old)
	}
	chk := &echeck{id: c.id, tag: c.tag, probe: c.probe, interval: int64(c.interval), conn: -1}
	a := c.probe.addr
	chk.sa = newRawSockaddr(a, zoneID(a.Addr().Zone()))
	e.checks[c.id] = chk
	chk.dueAt = now + int64(e.c.Jitter(c.interval))
	e.due.push(chk.dueAt, chk, chk.gen)
}

// drop ends a check: its run in flight is closed unreported.
func (e *Engine) drop(chk *echeck) {
	chk.removed = true
	chk.gen++
	if chk.conn >= 0 {
		c := &e.conns[chk.conn]
		rawClose(c.fd)
		e.release(c)
	}
}

// startDue starts the checks whose time has come, while slots last, up to
// startBatch; it reports whether more are due.
func (e *Engine) startDue(now int64) bool {
	e.blocked = false
	horizon := tickEnd(now, int64(e.c.StartTick))
	for started := 0; ; {
		at, ok := e.due.peek()
		if !ok || at >= horizon {
			return false
		}
		if started == startBatch {
			return true
		}
		chk, gen := e.due.top()
		if chk.gen != gen || chk.removed || chk.conn != -1 {
			e.due.pop()
			continue
		}
		if e.c.InFlight != nil && !e.c.InFlight.TryAcquire() {
			e.blocked = true
			return false
		}
		e.due.pop()
		e.start(chk, now)
		started++
	}
}

// start opens the connection of one run.
func (e *Engine) start(chk *echeck, now int64) {
	chk.gen++
	i := e.alloc()
	c := &e.conns[i]
	c.chk, c.chkGen, c.start, c.phase, c.sent, c.rdhup, c.buf = chk, chk.gen, now, phaseConnecting, 0, false, c.buf[:0]
	chk.conn = i
	fd, err := rawSocket(chk.sa.family())
	if err != nil {
		c.fd = -1
		e.fail(c, now, "connect: ", err)
		return
	}
	c.fd = fd
	if err := rawAbortOnClose(fd); err != nil {
		e.fail(c, now, "connect: ", err)
		return
	}
	err = rawConnect(fd, &chk.sa)
	if err != nil && err != unix.EINPROGRESS {
		e.fail(c, now, "connect: ", err)
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: i, Pad: int32(c.gen)}
	if err := rawEpollAdd(e.epfd, fd, &ev); err != nil {
		e.fail(c, now, "connect: ", err)
		return
	}
	e.deadline.pushConn(now+chk.probe.timeout, i, c.gen)
}

func (e *Engine) alloc() int32 {
	if n := len(e.free); n > 0 {
		i := e.free[n-1]
		e.free = e.free[:n-1]
		return i
	}
	e.conns = append(e.conns, econn{idx: int32(len(e.conns)), buf: make([]byte, 0, 4096)})
	return int32(len(e.conns) - 1)
}

// release frees c's slot (its socket already closed).
func (e *Engine) release(c *econn) {
	c.chk.conn = -1
	c.chk = nil
	c.gen++
	if cap(c.buf) > 64<<10 {
		c.buf = make([]byte, 0, 4096)
	}
	e.free = append(e.free, c.idx)
	if e.c.InFlight != nil {
		e.c.InFlight.Release()
	}
}

// expire ends every connection whose deadline passed: "timeout", named
// for the phase as the goroutine path names it.
func (e *Engine) expire(now int64) {
	for {
		at, ok := e.deadline.peek()
		if !ok || at > now {
			return
		}
		i, gen := e.deadline.topConn()
		e.deadline.pop()
		c := &e.conns[i]
		if c.chk == nil || c.gen != gen {
			continue
		}
		if c.phase == phaseReading {
			e.receive(c, now) // what came in since the last turn counts
			if c.chk == nil || c.gen != gen {
				continue
			}
		}
		e.fail(c, now, e.errPrefix(c), errTimeout)
	}
}

// errPrefix names the phase of c as the goroutine path does.
func (e *Engine) errPrefix(c *econn) string {
	switch {
	case c.phase == phaseConnecting:
		return "connect: "
	case c.chk.probe.kind == probeSimpleTCP:
		return "simpletcp: "
	case c.phase == phaseSending:
		return "http: sending request: "
	case headEnded(c.buf):
		return "http: reading body: "
	}
	return "http: "
}

// onEvent advances connection i on its epoll events.
func (e *Engine) onEvent(i int32, gen uint32, events uint32) {
	c := &e.conns[i]
	if c.chk == nil || c.gen != gen {
		return // closed since
	}
	now := e.now()
	if events&unix.EPOLLRDHUP != 0 {
		c.rdhup = true
	}
	if c.phase == phaseConnecting {
		if events&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			if soerr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && soerr != 0 {
				e.fail(c, now, "connect: ", syscall.Errno(soerr))
				return
			}
		}
		if events&unix.EPOLLOUT == 0 {
			return
		}
		if c.chk.probe.kind == probeConnect {
			e.finish(c, now, Result{Up: true})
			return
		}
		c.phase = phaseSending
	}
	if c.phase == phaseSending && !e.send(c, now) {
		return
	}
	if c.phase == phaseReading && events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		e.receive(c, now)
	}
}

// send writes the rest of the request; it reports whether c reads now.
func (e *Engine) send(c *econn, now int64) bool {
	req := c.chk.probe.request
	for c.sent < len(req) {
		n, err := rawWrite(c.fd, req[c.sent:])
		if err == unix.EAGAIN {
			return false
		}
		if err != nil {
			e.fail(c, now, e.errPrefix(c), err)
			return false
		}
		c.sent += n
	}
	if c.chk.probe.kind == probeSimpleTCP {
		rawShutdownWrite(c.fd) // as check_simpletcp does
	}
	c.phase = phaseReading
	return true
}

// receive reads what there is and judges the answer so far.
func (e *Engine) receive(c *econn, now int64) {
	for {
		if cap(c.buf)-len(c.buf) < 1024 && cap(c.buf) < maxReply {
			nb := make([]byte, len(c.buf), min(2*cap(c.buf), maxReply))
			copy(nb, c.buf)
			c.buf = nb
		}
		space := cap(c.buf) - len(c.buf)
		eof := space == 0 // full: judge what there is
		n := 0
		if !eof {
			var err error
			n, err = rawRead(c.fd, c.buf[len(c.buf):cap(c.buf)])
			switch {
			case err == unix.EAGAIN:
				return
			case err == unix.EINTR:
				continue
			case err != nil:
				e.fail(c, now, e.errPrefix(c), err)
				return
			}
			c.buf = c.buf[:len(c.buf)+n]
			eof = n == 0
		}
		st, verdict := e.judge(c, eof)
		switch {
		case st == replyRedirect:
			e.toGoroutine(c, now)
			return
		case st == replyDone || eof:
			if st != replyDone {
				verdict = errors.New(e.errPrefix(c) + "connection closed by server")
			}
			res := Result{Up: verdict == nil}
			if verdict != nil {
				res.Err = verdict.Error()
			}
			e.finish(c, now, res)
			return
		case n < space && !c.rdhup:
			return // drained: the next edge brings more
		}
	}
}

func (e *Engine) judge(c *econn, eof bool) (replyState, error) {
	if c.chk.probe.kind == probeSimpleTCP {
		return judgeSimpleTCPReply(c.chk.probe, c.buf, eof)
	}
	return judgeHTTPReply(c.chk.probe, c.buf, eof)
}

// fail ends c's run down, err named with prefix as the goroutine path
// names it ("connect: connection refused", "http: timeout").
func (e *Engine) fail(c *econn, now int64, prefix string, err error) {
	e.finish(c, now, Result{Err: prefix + errText(err)})
}

// errText is netErr's short text of a socket error.
func errText(err error) string {
	if err == errTimeout {
		return err.Error()
	}
	return netErr(context.Background(), err).Error()
}

// finish closes c, reports res and schedules the check's next run.
func (e *Engine) finish(c *econn, now int64, res Result) {
	if c.fd >= 0 {
		rawClose(c.fd)
	}
	chk, gen := c.chk, c.chkGen
	res.Duration = time.Duration(now - c.start)
	e.release(c)
	e.report(chk, gen, res, now)
}

// report hands res over (unless the check was dropped since) and
// schedules the check's next run.
func (e *Engine) report(chk *echeck, gen uint32, res Result, now int64) {
	if chk.removed || chk.gen != gen {
		return
	}
	if e.batchAt == 0 {
		e.batchAt = now
	}
	e.batch = append(e.batch, ProbeResult{ID: chk.id, Tag: chk.tag, Result: res})
	iv := time.Duration(chk.interval)
	chk.dueAt = nextDue(chk.dueAt, chk.interval, int64(e.c.Jitter(iv))-int64(e.c.Jitter(iv)), now)
	e.due.push(chk.dueAt, chk, chk.gen)
}

// toGoroutine hands a run whose answer is a redirect to the goroutine
// path (HTTP.Check follows redirects as LWP does), within what is left of
// its timeout; its slot stays taken until it ends.
func (e *Engine) toGoroutine(c *econn, now int64) {
	rawClose(c.fd)
	chk, gen, wall := c.chk, c.chkGen, e.base.Add(time.Duration(c.start))
	c.fd = -1
	chk.conn = -1
	c.chk = nil
	c.gen++
	e.free = append(e.free, c.idx)
	chk.conn = -2
	ctx, cancel := context.WithDeadline(context.Background(), wall.Add(time.Duration(chk.probe.timeout)))
	e.fallback.Add(1)
	go func() {
		defer e.fallback.Done()
		defer cancel()
		res := HTTP{}.Check(ctx, chk.probe.target)
		res.Duration = time.Since(wall)
		e.post(engineCmd{done: &fallbackDone{chk: chk, gen: gen, res: res}})
	}()
}

func (e *Engine) endFallback(d *fallbackDone, now int64) {
	d.chk.conn = -1
	if e.c.InFlight != nil {
		e.c.InFlight.Release()
	}
	e.report(d.chk, d.gen, d.res, now)
}

// flush hands the batch over once its oldest result waited FlushEvery, or
// at once when the loop is about to sleep (idle).
func (e *Engine) flush(now int64, idle bool) {
	if e.batchAt == 0 || !idle && now-e.batchAt < int64(e.c.FlushEvery) {
		return
	}
	e.mu.Lock()
	e.out = append(e.out, e.batch...)
	e.mu.Unlock()
	clear(e.batch)
	e.batch, e.batchAt = e.batch[:0], 0
	select {
	case e.ready <- struct{}{}:
	default:
	}
}

// zoneID is the interface index of an IPv6 zone ("" or unknown: 0).
func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	return uint32(n)
}
