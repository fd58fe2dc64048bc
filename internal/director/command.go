package director

import (
	"context"
	"log/slog"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// commander runs fallbackcommands in order on its own goroutine, so a slow
// or hanging command never blocks reconciliation.
type commander struct {
	ctx  context.Context
	run  func(context.Context, []string) error
	log  *slog.Logger
	ch   chan []string
	done chan struct{}
}

func newCommander(ctx context.Context, c Config) *commander {
	m := &commander{ctx: ctx, run: c.RunCommand, log: c.Logger, ch: make(chan []string, 64), done: make(chan struct{})}
	go m.loop()
	return m
}

func (m *commander) loop() {
	defer close(m.done)
	for {
		select {
		case <-m.ctx.Done():
			return
		case argv := <-m.ch:
			if err := m.run(m.ctx, argv); err != nil {
				m.log.Error("fallbackcommand failed", "argv", argv, "err", err)
			}
		}
	}
}

// enqueue queues argv; when the queue is full the command is dropped and
// logged rather than blocking the reconcile loop.
func (m *commander) enqueue(argv []string) {
	select {
	case m.ch <- argv:
	default:
		m.log.Error("fallbackcommand dropped: queue full", "argv", argv)
	}
}

// wait returns once the worker has stopped (its context is done). Commands
// still queued are not run: ldirectord does not run fallbackcommand on
// shutdown either (ISSUE #750).
func (m *commander) wait() { <-m.done }

// fallbackArgv builds ldirectord's `<cmd> start|stop <vip>:<vport> <proto>`
// (do_fallback_command). ldirectord hands the line to Perl's system, which
// uses /bin/sh when it has shell metacharacters and splits on whitespace
// otherwise; we do the same, passing our arguments as positional
// parameters so they are never re-parsed by the shell.
func fallbackArgv(command, status string, v *ldcf.Virtual) []string {
	args := []string{status, virtualName(ServiceFor(v).Key), v.Protocol}
	if strings.ContainsAny(command, "$&*(){}[];'\"\\|<>?~`#!\n") {
		return append([]string{"/bin/sh", "-c", command + ` "$@"`, "sh"}, args...)
	}
	return append(strings.Fields(command), args...)
}

// fallbackStatus is the fallbackcommand state a virtual is in: "start" when
// every real is known and none is up, "stop" when one is up, "" while
// nothing is known yet or for checktype=off (which never touches reals).
func fallbackStatus(v *ldcf.Virtual, ds DesiredService) string {
	if v.CheckType == ldcf.CheckOff {
		return ""
	}
	up := false
	for a, r := range ds.Reals {
		if ds.Roles[a] == RoleReal && r.Weight > 0 {
			up = true
		}
	}
	switch {
	case up:
		return "stop"
	case len(ds.Pending) > 0:
		return ""
	}
	return "start"
}
