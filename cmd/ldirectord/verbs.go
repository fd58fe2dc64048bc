package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// check validates the file and prints the IPVS table it would apply
// (every real assumed up), touching nothing. Warnings go to stderr.
func (c *cli) check() int {
	for _, w := range c.warnings() {
		fmt.Fprintln(c.stderr, w)
	}
	fmt.Fprint(c.stdout, director.FormatTable(director.Plan(c.cfg)))
	fmt.Fprint(c.stdout, bgpPlan(c.cfg))
	fmt.Fprint(c.stdout, syncPlan(c.cfg))
	return exitOK
}

// bgpPlan is check's account of route health injection: the speaker, its
// peers and the routes it can announce (each while its virtual has a real
// up); "" without bgp_asn.
func bgpPlan(cfg *ldcf.Config) string {
	b := cfg.Global.BGP
	if !b.Enabled() {
		return ""
	}
	var s strings.Builder
	fmt.Fprintf(&s, "BGP: asn %d, router id %s (GoBGP in process)\n", b.ASN, b.RouterID)
	for _, p := range b.Peers {
		fmt.Fprintf(&s, "  peer %s asn %d holdtime %s port %d", p.Addr, p.ASN, p.HoldTime, p.Port)
		if p.Local.IsValid() {
			fmt.Fprintf(&s, " local %s", p.Local)
		}
		if p.Passive {
			s.WriteString(" passive")
		}
		s.WriteString("\n")
	}
	for _, r := range director.Routes(cfg, director.AllUp{}) {
		fmt.Fprintf(&s, "  announces %s while a real server of it is up\n", r)
	}
	return s.String()
}

// warnings are the config's warnings as "file:line: warning: msg", plus
// checkWarnings.
func (c *cli) warnings() []string {
	var out []string
	for _, w := range c.cfg.Warnings {
		out = append(out, fmt.Sprintf("%s:%d: warning: %s", w.File, w.Line, w.Msg))
	}
	return append(out, checkWarnings(c.cfg, c.d.Checkers)...)
}

// checkWarnings names every virtual whose check type this build cannot run.
func checkWarnings(cfg *ldcf.Config, checkers check.Registry) []string {
	var out []string
	for _, v := range cfg.Virtuals {
		u, ok := checkers.Lookup(v.CheckType, v.Service).(check.Unimplemented)
		if !ok {
			continue
		}
		line := v.Lines["checktype"]
		if line == 0 {
			line = v.Line
		}
		what := string(u.Kind.Type)
		if u.Kind.Service != "" {
			what += " (service " + u.Kind.Service + ")"
		}
		out = append(out, fmt.Sprintf(msgNotChecked, cfg.File, line, what, "not implemented in this build"))
	}
	return out
}

// statusReport is `status --json`: the instance, and the running daemon's
// director.Status as it sent it.
type statusReport struct {
	Config  string          `json:"config"`
	PidFile string          `json:"pid_file"`
	Running bool            `json:"running"`
	Pid     int             `json:"pid,omitempty"`
	Stale   bool            `json:"stale_pid_file,omitempty"`
	Error   string          `json:"error,omitempty"` // the daemon did not answer
	Status  json.RawMessage `json:"status,omitempty"`
}

// status prints whether the daemon runs and, if so, its table: exit 0
// running, 3 stopped, 1 stale pid file (ldirectord ld_init). ldirectord
// prints the running line on stderr; we print it on stdout with the table.
func (c *cli) status(ctx context.Context) int {
	pid, state, err := c.inst.pid.Check()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	rep := statusReport{Config: c.inst.config, PidFile: c.inst.pid.Path, Pid: pid}
	code, table := exitOK, ""
	switch state {
	case daemon.PidAbsent:
		code = exitStopped
	case daemon.PidStale:
		rep.Stale, code = true, exitStalePid
		fmt.Fprintf(c.stderr, msgStalePid+"\n", c.inst.pid.Path, c.inst.config)
	case daemon.PidRunning:
		rep.Running = true
		resp, err := daemon.Call(ctx, c.inst.sock, daemon.Request{Verb: "status"})
		if err == nil && !resp.OK {
			err = fmt.Errorf("daemon: %s", resp.Text)
		}
		if err != nil {
			rep.Error = err.Error()
			fmt.Fprintf(c.stderr, "ldirectord: no status from the daemon: %v\n", err)
		} else {
			rep.Status, table = resp.JSON, resp.Text
		}
	}
	if c.inv.json {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(c.stdout, "%s\n", b)
		return code
	}
	if !rep.Running {
		fmt.Fprintf(c.stdout, msgStopped+"\n", c.inst.config)
		return code
	}
	fmt.Fprintf(c.stdout, msgRunning+"\n", c.inst.config, pid)
	fmt.Fprint(c.stdout, table)
	c.runChildren(ctx, "status", c.cfg.Global.Execute, c.stdout, c.stderr, nil) // ld_cmd_children("status", ...)
	return code
}

// stop sends SIGTERM and, unlike ldirectord (which returns at once),
// returns only once the daemon has exited, so cleanstop is done and a
// following start cannot race the old daemon. Not running: exit 0.
func (c *cli) stop(ctx context.Context) int {
	if err := c.terminate(ctx); err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	return exitOK
}

// terminate stops the running daemon, if any, and waits for its exit.
func (c *cli) terminate(ctx context.Context) error {
	pid, state, err := c.inst.pid.Check()
	if err != nil {
		return err
	}
	if state != daemon.PidRunning {
		return nil
	}
	if err := c.d.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping ldirectord (pid %d): %w", pid, err)
	}
	if err := c.d.WaitExit(ctx, pid, c.d.StopTimeout); err != nil {
		return fmt.Errorf(msgStopTimedOut+": %w", c.inst.config, pid, c.d.StopTimeout, err)
	}
	return nil
}

// reload sends SIGHUP (exit 0); not running: exit 1 (ldirectord's code,
// where LSB would say 7). The file already parsed, so a broken file never
// reaches the daemon from here.
func (c *cli) reload() int {
	pid, state, err := c.inst.pid.Check()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	if state != daemon.PidRunning {
		fmt.Fprintf(c.stderr, msgStopped+"\n", c.inst.config)
		return exitInit
	}
	if err := c.d.Kill(pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(c.stderr, "reloading ldirectord (pid %d): %v\n", pid, err)
		return exitInit
	}
	return exitOK
}

// restart stops the running daemon (waiting for it) and starts a new one;
// try-restart does nothing when none runs.
func (c *cli) restart(ctx context.Context, onlyIfRunning bool) int {
	_, state, err := c.inst.pid.Check()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	if onlyIfRunning && state != daemon.PidRunning {
		return exitOK
	}
	if err := c.terminate(ctx); err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	return c.start(ctx)
}

// start runs the daemon: in the foreground with -d or supervised=yes,
// else detached (the parent returns once the child has done its first
// IPVS sync, or with the child's error and exit code). Already running:
// exit 0, nothing done.
func (c *cli) start(ctx context.Context) int {
	_, state, err := c.inst.pid.Check()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return exitInit
	}
	if state == daemon.PidRunning {
		return exitOK
	}
	if !c.inv.debug { // with -d the daemon logs them on stderr
		for _, w := range c.warnings() {
			fmt.Fprintln(c.stderr, w)
		}
	}
	foreground := c.inv.debug || c.inv.foreground || c.cfg.Global.Supervised
	var det *daemon.Detached
	if !foreground {
		det, err = c.d.Detach(ctx, daemon.DetachConfig{Env: "LDIRECTORD_DETACHED"})
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			var se *daemon.StartError
			if errors.As(err, &se) && se.Exit > 0 {
				return se.Exit
			}
			return exitInit
		}
		if !det.IsChild() {
			return exitOK
		}
	}
	return c.serve(ctx, det)
}
