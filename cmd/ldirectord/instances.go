package main

// This file runs the other ldirectord instances of execute= (ldirectord:
// %LD_INSTANCE, ld_cmd_children): `ldirectord <config> <verb>` for each,
// with this very binary.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// childTimeout bounds one `ldirectord <child> <verb>`: a start waits for
// the child's first IPVS sync (ReadyTimeout), a stop for its cleanstop.
const childTimeout = 3 * time.Minute

// execInstance runs argv with its output to stdout and stderr.
func execInstance(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// selfPath is the binary to run the children with (ldirectord: $0).
func selfPath() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

// childArgv is `ldirectord [--rundir DIR] <child> <verb>`: --rundir is
// passed on when given, so the children keep their pid files beside ours.
func (c *cli) childArgv(child, verb string) []string {
	argv := []string{c.d.Self}
	if c.inv.rundir != "" {
		argv = append(argv, "--rundir", c.inv.rundir)
	}
	return append(argv, child, verb)
}

// runChildren is ld_cmd_children: `ldirectord <child> <verb>` for each
// child in turn; "reload_or_start" reloads and starts the child if the
// reload fails. Output goes to stdout and stderr; failures go to report
// and never stop this instance.
func (c *cli) runChildren(ctx context.Context, verb string, children []string, stdout, stderr io.Writer, report func(argv []string, err error)) {
	for _, child := range children {
		v := verb
		if v == "reload_or_start" {
			if c.runChild(ctx, child, "reload", stdout, stderr, nil) == nil {
				continue
			}
			v = "start"
		}
		c.runChild(ctx, child, v, stdout, stderr, report)
	}
}

func (c *cli) runChild(ctx context.Context, child, verb string, stdout, stderr io.Writer, report func([]string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, childTimeout)
	defer cancel()
	argv := c.childArgv(child, verb)
	err := c.d.RunInstance(ctx, argv, stdout, stderr)
	if err != nil && report != nil {
		report(argv, err)
	}
	return err
}

// childrenOfReload is reread_config's split of the execute= lists: the
// children to stop (gone), to reload or start (kept) and to start (new).
func childrenOfReload(old, cur []string) (stop, keep, start []string) {
	for _, c := range old {
		if !slices.Contains(cur, c) {
			stop = append(stop, c)
		}
	}
	for _, c := range cur {
		if slices.Contains(old, c) {
			keep = append(keep, c)
		} else {
			start = append(start, c)
		}
	}
	return stop, keep, start
}

// daemonChildren runs the children from the daemon: their output is
// logged, a failure is logged as an error.
func (s *server) daemonChildren(verb string, children []string) {
	if len(children) == 0 {
		return
	}
	var out bytes.Buffer
	s.c.runChildren(context.Background(), verb, children, &out, &out, func(argv []string, err error) {
		s.log.Error("execute: other ldirectord instance failed", "argv", strings.Join(argv, " "), "err", err, "output", strings.TrimSpace(out.String()))
	})
	if out.Len() > 0 {
		s.log.Info(fmt.Sprintf("execute: %s", strings.TrimSpace(out.String())))
	}
}

// rundir is --rundir, else the default run directory.
func (c *cli) rundir() string {
	if c.inv.rundir != "" {
		return c.inv.rundir
	}
	return c.d.RunDir
}
