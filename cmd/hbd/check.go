package main

// hbd check (and hbd -t): validate ha.cf, authkeys and haresources, the
// resource scripts and the respawn programs, print the plan, touch
// nothing. The same checks run before start and reload (loadConfig).

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/respawn"
)

// initDir is where resource scripts are looked up after resource.d, as
// ResourceManager's scriptpath.
const initDir = "/etc/init.d"

// checkResources reports every haresources resource that resolves to no
// agent and no executable script (resources.ErrNoScript), with its
// haresources line: a missing script is a configuration error at start,
// not a surprise at takeover. Resolve runs without effects here (no
// address manager, no IPVS handle): the errors it returns for lack of them
// are about this environment, not the configuration, and the argument
// errors of the built-in agents are the parser's (haresources and
// CheckSyncResources).
func (a *app) checkResources(groups []resources.Group, hpath string) []error {
	env := resources.Env{ConfDir: a.confDir, InitDir: initDir, Ldirectord: siblingBinary("ldirectord"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var errs []error
	for _, g := range groups {
		for _, r := range g.Resources {
			if _, err := resources.Resolve(r, env); errors.Is(err, resources.ErrNoScript) {
				errs = append(errs, &resources.Error{File: hpath, Line: r.Line, Msg: fmt.Sprintf(
					"resource %s: cannot locate resource script %s (want an executable %s or %s)",
					r.Raw, r.Name, filepath.Join(a.confDir, "resource.d", r.Name), filepath.Join(initDir, r.Name))})
			}
		}
	}
	return errs
}

// checkRespawn checks the respawn programs as Heartbeat's
// add_client_child_base does (the user exists, the program is
// executable), except the ipfail line: hbd provides ipfail itself, and
// its path and user need not exist here.
func checkRespawn(cf *hacf.Config) []error {
	var errs []error
	for _, r := range cf.Programs() {
		if _, err := respawn.LookupUser(r.User); err != nil {
			errs = append(errs, &hacf.Error{File: cf.File, Line: r.Line, Msg: "respawn: " + err.Error()})
		}
		if err := respawn.CheckExecutable(r.Path); err != nil {
			errs = append(errs, &hacf.Error{File: cf.File, Line: r.Line, Msg: "respawn: " + err.Error()})
		}
	}
	return errs
}

// checkAPIAuth resolves the users and groups of the apiauth lines, as
// Heartbeat's ipc_str_to_auth does at start (an unknown name is a
// configuration error there too). Numbers are taken as they are.
func checkAPIAuth(cf *hacf.Config) []error {
	var errs []error
	for _, a := range cf.APIAuth {
		for _, u := range a.UIDs {
			if _, err := strconv.Atoi(u); err == nil {
				continue
			}
			if _, err := user.Lookup(u); err != nil {
				errs = append(errs, &hacf.Error{File: cf.File, Line: a.Line,
					Msg: fmt.Sprintf("apiauth: %s: invalid uid [%s] (want a user name or number)", a.Client, u)})
			}
		}
		for _, g := range a.GIDs {
			if _, err := strconv.Atoi(g); err == nil {
				continue
			}
			if _, err := user.LookupGroup(g); err != nil {
				errs = append(errs, &hacf.Error{File: cf.File, Line: a.Line,
					Msg: fmt.Sprintf("apiauth: %s: invalid gid [%s] (want a group name or number)", a.Client, g)})
			}
		}
	}
	return errs
}

// hostWarnings are warnings about this host rather than the files: a
// watchdog device or a VIP interface that does not exist here.
func hostWarnings(l *loaded) []string {
	var out []string
	if d := l.hacf.Watchdog; d != "" {
		if fi, err := os.Stat(d); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			out = append(out, fmt.Sprintf("%s:%d: watchdog: %s is not a character device here "+
				"(load a watchdog driver, e.g. modprobe softdog); hbd will log \"Cannot open watchdog device\" and run without it, as Heartbeat",
				l.hacf.File, l.hacf.Lines["watchdog"], d))
		}
	}
	for _, g := range l.groups {
		for _, r := range g.Resources {
			spec, err := resources.ParseIPSpec(r.Name, r.Args)
			if err != nil || spec.Iface == "" {
				continue
			}
			if _, err := net.InterfaceByName(spec.Iface); err != nil {
				out = append(out, fmt.Sprintf("%s:%d: resource %s: interface %s does not exist here", l.hpath, r.Line, r.Raw, spec.Iface))
			}
		}
	}
	return out
}

// check is `hbd check` and `hbd -t`: read ha.cf, authkeys and haresources
// as start does, touch nothing (no socket, no pid file, no resource).
// Exit 0 with a one-line summary and the plan on stdout and the warnings
// on stderr, or 6 with every error as file:line on stderr. Heartbeat had no
// such verb; it is what ldirectord's check is for ldirectord.cf.
func (a *app) check() int {
	l, err := a.loadConfig()
	if err != nil {
		return a.printConfError(err)
	}
	for _, w := range l.warnings {
		fmt.Fprintf(a.stderr, "hbd: warning: %s\n", w)
	}
	for _, w := range hostWarnings(l) {
		fmt.Fprintf(a.stderr, "hbd: warning: %s\n", w)
	}
	cf := l.hacf
	fmt.Fprintf(a.stdout, "hbd: %s: configuration OK: local node %s, peer %s, %d ucast, %d bcast, %d mcast line(s), %d resource group(s)\n",
		a.confDir, l.local, peerNames(l), len(cf.Ucast), len(cf.Bcast), len(cf.Mcast), len(l.groups))
	fmt.Fprint(a.stdout, formatPlan(l))
	return exitOK
}

// peerNames lists the nodes of ha.cf other than the local one.
func peerNames(l *loaded) string {
	var names []string
	for _, n := range l.hacf.Nodes {
		if n.Name != l.local {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// formatPlan prints what hbd would run: nodes, links, ping nodes,
// ipfail, respawn programs, watchdog, and the groups in start order.
func formatPlan(l *loaded) string {
	var b strings.Builder
	cf := l.hacf
	for _, n := range cf.Nodes {
		if n.Name == l.local {
			fmt.Fprintf(&b, "node %s (this node)\n", n.Name)
		} else {
			fmt.Fprintf(&b, "node %s\n", n.Name)
		}
	}
	fmt.Fprintf(&b, "timing: keepalive %dms, deadtime %dms, warntime %dms, initdead %dms, deadping %dms\n",
		cf.Keepalive.Milliseconds(), cf.Deadtime.Milliseconds(), cf.Warntime.Milliseconds(),
		cf.Initdead.Milliseconds(), cf.Deadping.Milliseconds())
	fmt.Fprintf(&b, "auto_failback %s\n", cf.AutoFailback)
	for _, u := range cf.Ucast {
		fmt.Fprintf(&b, "link ucast %s to %s port %d\n", u.Iface, u.Peer, u.Port)
	}
	for _, bc := range cf.Bcast {
		fmt.Fprintf(&b, "link bcast %s port %d\n", bc.Iface, bc.Port)
	}
	for _, m := range cf.Mcast {
		fmt.Fprintf(&b, "link mcast %s group %s port %d ttl %d loop %t\n", m.Iface, m.Group, m.Port, m.TTL, m.Loop)
	}
	for _, p := range cf.Ping {
		fmt.Fprintf(&b, "ping node %s\n", p.Host)
	}
	for _, g := range cf.PingGroups {
		fmt.Fprintf(&b, "ping group %s: %s\n", g.Name, strings.Join(g.Hosts, " "))
	}
	if r, ok := cf.IPfail(); ok {
		state := "on (built in)"
		if cf.AutoFailback == hacf.FailbackLegacy {
			state = "off (auto_failback legacy)"
		}
		fmt.Fprintf(&b, "ipfail %s, from %s:%d\n", state, cf.File, r.Line)
	}
	for _, r := range cf.Programs() {
		fmt.Fprintf(&b, "respawn as %s: %s\n", r.User, r.Command)
	}
	if cf.Watchdog != "" {
		fmt.Fprintf(&b, "watchdog %s, timeout %ds\n", cf.Watchdog, watchdogTimeout(cf))
	}
	if len(l.groups) == 0 {
		b.WriteString("no resource groups (no haresources)\n")
	}
	for i, g := range l.groups {
		names := make([]string, len(g.Resources))
		for j, r := range g.Resources {
			names[j] = r.Raw
		}
		fmt.Fprintf(&b, "group %d (%s:%d), preferred node %s, starts in order: %s\n",
			i+1, filepath.Base(l.hpath), g.Line, g.Node, strings.Join(names, ", "))
	}
	return b.String()
}

// watchdogTimeout is the device timeout hbd sets.
func watchdogTimeout(cf *hacf.Config) int { return heartbeat.WatchdogTimeout(cf.Deadtime) }
