package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
)

// defaultMoveTimeout bounds standby and takeover; Heartbeat allows an hour
// for the resource handling (HB_STANDBY_RSC_TO_MS).
const defaultMoveTimeout = 15 * time.Minute

// handler answers the control socket inside the daemon.
func (a *app) handler(node *heartbeat.Node, details resourceDetails) daemon.Handler {
	return func(ctx context.Context, req daemon.Request) daemon.Response {
		switch req.Verb {
		case "status":
			st, err := node.Status(ctx)
			if err != nil {
				return daemon.Response{Exit: exitNotRunning, Text: err.Error()}
			}
			addDetails(ctx, &st, details)
			b, err := json.Marshal(st)
			if err != nil {
				return daemon.Response{Exit: exitFail, Text: err.Error()}
			}
			return daemon.Response{OK: true, JSON: b}
		case "standby", "takeover":
			if len(req.Args) != 2 {
				return daemon.Response{Exit: exitUsage, Text: "want a resource set and a timeout"}
			}
			hold, err := r1.ParseHold(req.Args[0])
			timeout, terr := time.ParseDuration(req.Args[1])
			if err != nil || terr != nil || timeout <= 0 {
				return daemon.Response{Exit: exitUsage, Text: fmt.Sprintf("bad arguments %q", req.Args)}
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var text string
			if req.Verb == "standby" {
				text, err = node.Standby(ctx, hold)
			} else {
				text, err = node.Takeover(ctx, hold)
			}
			code := moveExit(err)
			if code == exitTimeout {
				text = fmt.Sprintf("%s %s: not done after %v", req.Verb, hold, timeout)
			}
			return daemon.Response{OK: err == nil, Exit: code, Text: text}
		}
		return daemon.Response{Exit: exitUsage, Text: fmt.Sprintf("unknown control verb %q", req.Verb)}
	}
}

// moveExit maps a Standby/Takeover error to the exit code.
func moveExit(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, heartbeat.ErrRefused):
		return exitFail
	case errors.Is(err, heartbeat.ErrCancelled):
		return exitCancelled
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case errors.Is(err, heartbeat.ErrStopped):
		return exitNotRunning
	}
	return exitFail
}

// move is `hbd standby|takeover` and hb_standby/hb_takeover: it returns
// when the move is done.
func (a *app) move(ctx context.Context, verb string, args []string, alias bool) int {
	usage := func() int {
		if alias {
			fmt.Fprintf(a.stderr, "usage: hb_%s [all|foreign|local|failback]\n", verb)
			return exitFail
		}
		fmt.Fprintf(a.stderr, "usage: hbd %s [all|foreign|local|failback] [--timeout DURATION]\n", verb)
		return exitUsage
	}
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", defaultMoveTimeout, "")
	set := "all"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		set, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *timeout <= 0 {
		return usage()
	}
	if _, err := r1.ParseHold(set); err != nil || set == "none" {
		return usage()
	}
	cctx, cancel := context.WithTimeout(ctx, *timeout+10*time.Second)
	defer cancel()
	resp, err := daemon.Call(cctx, a.sockPath(), daemon.Request{Verb: verb, Args: []string{set, timeout.String()}})
	switch {
	case errors.Is(err, daemon.ErrNotRunning):
		fmt.Fprintln(a.stderr, "hbd is not running")
		return exitNotRunning
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(a.stderr, "%s %s: no answer after %v\n", verb, set, *timeout)
		return exitTimeout
	case err != nil:
		fmt.Fprintln(a.stderr, "hbd:", err)
		return exitFail
	}
	out := a.stdout
	if !resp.OK {
		out = a.stderr
	}
	fmt.Fprintln(out, resp.Text)
	return resp.Exit
}

// hbTool is hb_standby / hb_takeover.
func (a *app) hbTool(ctx context.Context, prog string, args []string) int {
	verb := "standby"
	if prog == "hb_takeover" {
		verb = "takeover"
	}
	if len(args) > 1 {
		fmt.Fprintf(a.stderr, "usage: %s [all|foreign|local|failback]\n", prog)
		return exitFail
	}
	return a.move(ctx, verb, args, true)
}

// statusJSON is `hbd status --json`.
type statusJSON struct {
	Running bool              `json:"running"`
	Pid     int               `json:"pid,omitempty"`
	Stale   bool              `json:"stale_pid_file,omitempty"`
	Error   string            `json:"error,omitempty"`
	Cluster *heartbeat.Status `json:"cluster,omitempty"`
}

// status is `hbd status [--json]`.
func (a *app) status(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(a.stderr, "usage: hbd status [--json]")
		return exitUsage
	}
	pid, pst, err := a.pidFile().Check()
	if err != nil {
		fmt.Fprintln(a.stderr, "hbd:", err)
		return exitFail
	}
	out := statusJSON{Running: pst == daemon.PidRunning, Stale: pst == daemon.PidStale}
	code := exitOK
	switch pst {
	case daemon.PidAbsent:
		code = exitNotRunning
	case daemon.PidStale:
		code = exitFail
	default:
		out.Pid = pid
		st, err := a.fetchStatus(ctx)
		if err != nil {
			out.Error = err.Error()
		} else {
			out.Cluster = &st
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(a.stdout, string(b))
		return code
	}
	if !out.Running {
		fmt.Fprintln(a.stdout, "hbd is stopped. No process")
		return code
	}
	node := "?"
	if out.Cluster != nil {
		node = out.Cluster.Node
	}
	fmt.Fprintf(a.stdout, "hbd OK [pid %d] is running on %s [%s]...\n", pid, uname(), node)
	if out.Cluster != nil {
		fmt.Fprint(a.stdout, formatStatus(*out.Cluster, time.Now()))
	} else {
		fmt.Fprintf(a.stdout, "(no details: %s)\n", out.Error)
	}
	return code
}

// fetchStatus asks the daemon for its Status.
func (a *app) fetchStatus(ctx context.Context) (heartbeat.Status, error) {
	var st heartbeat.Status
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := daemon.Call(cctx, a.sockPath(), daemon.Request{Verb: "status"})
	if err != nil {
		return st, err
	}
	if !resp.OK {
		return st, errors.New(resp.Text)
	}
	if err := json.Unmarshal(resp.JSON, &st); err != nil {
		return st, fmt.Errorf("reading status: %w", err)
	}
	return st, nil
}

func uname() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Nodename[:])
}
