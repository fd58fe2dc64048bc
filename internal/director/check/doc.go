// Package check holds the health checks of real servers: the Checker
// interface, the service table (registry.go, Default) and one file per
// check or service, each following ldirectord 4.12's check_* sub of the
// same name. It opens sockets and runs commands (it is an effect package);
// it holds no check state except Combined's counter and never touches
// IPVS.
//
// A Target is a real and a pointer to its check's Options (options.go),
// typed by what each service reads and shared: Intern keeps one copy of
// each distinct value, so ten thousand reals checked alike share one, and
// a Target is small and comparable enough to be the identity of a check.
// Checkers only read the Options.
//
// The event-loop engine (evloop_epoll.go, its raw socket syscalls in
// evloop_raw.go, its pure half in evloop_probe.go and evloop_sched.go)
// runs the common checks (connect,
// plain http, simpletcp) without a goroutine per check: non-blocking
// sockets on one epoll loop, as keepalived's checker does (issue 14). It
// reads answers with the same rules as the checkers of those services
// (judgeHTTP, simpleTCPRequest) and hands any answer it does not read
// itself to net/http over the same bytes. It ends each connection with a
// reset (SO_LINGER 0, as keepalived and HAProxy do), so no check leaves
// a TIME_WAIT socket behind. A receive= pattern is compiled once and
// shared by every check that uses it (compileReceive).
//
// Every check returns by its context's deadline, bounded again by the
// Target's timeout, and leaves no goroutine or connection behind: the
// connections of a check close when its context ends (dial.go).
//
// Size: about 4,100 lines, above the ~2,000 guide: it speaks some
// twenty protocols, each small (30-250 lines) and sharing the dial,
// deadline and error helpers of dial.go and the Target type. Splitting it
// by family would need those shared, unexported helpers exported from a
// third package and would spread the one service table over several. The
// event-loop engine (evloop_*.go, about 1,400 lines) stays here because
// it judges answers with the same code as the goroutine checkers
// (judgeHTTP) and shares their slots.
package check
