package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// loaded is a validated configuration.
type loaded struct {
	hacf     *hacf.Config
	warnings []hacf.Warning
	keys     *hacf.AuthKeys
	groups   []resources.Group
	hpath    string // haresources
	local    string
}

// confError is a configuration error: exit 6, its lines on stderr.
type confError struct{ err error }

func (e *confError) Error() string { return e.err.Error() }
func (e *confError) Unwrap() error { return e.err }

// loadConfig reads ha.cf, authkeys and haresources from the conf dir and
// resolves this node's name. Every error is a *confError whose text names
// file:line.
func (a *app) loadConfig() (*loaded, error) {
	var l loaded
	var errs []error
	var err error
	l.hacf, l.warnings, err = hacf.LoadHaCf(filepath.Join(a.confDir, "ha.cf"))
	if err != nil {
		errs = append(errs, err)
	}
	if l.keys, err = hacf.LoadAuthKeys(filepath.Join(a.confDir, "authkeys")); err != nil {
		errs = append(errs, err)
	}
	hpath := filepath.Join(a.confDir, "haresources")
	l.hpath = hpath
	src, err := os.ReadFile(hpath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// No haresources: a membership-only cluster, as Heartbeat allows.
	case err != nil:
		errs = append(errs, fmt.Errorf("reading haresources: %w", err))
	default:
		if l.groups, err = resources.ParseHaresources(hpath, src); err != nil {
			errs = append(errs, err)
		}
	}
	if l.hacf != nil {
		errs = append(errs, a.checkNodes(&l, hpath)...)
		errs = append(errs, checkRespawn(l.hacf)...)
		errs = append(errs, checkAPIAuth(l.hacf)...)
	}
	errs = append(errs, resources.CheckSyncResources(hpath, l.groups, hasInterface)...)
	errs = append(errs, a.checkResources(l.groups, hpath)...)
	if err := errors.Join(errs...); err != nil {
		return nil, &confError{err}
	}
	return &l, nil
}

// checkNodes resolves the local node and checks the haresources nodes.
func (a *app) checkNodes(l *loaded, hpath string) []error {
	var errs []error
	cf := l.hacf
	if len(cf.Nodes) != 2 {
		errs = append(errs, &hacf.Error{File: cf.File, Line: cf.Lines["node"],
			Msg: fmt.Sprintf("node: %d nodes declared (hbd runs two-node clusters: want 2)", len(cf.Nodes))})
	}
	name := a.node
	if name == "" {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return append(errs, fmt.Errorf("uname: %w", err))
		}
		info, _ := os.ReadFile(filepath.Join(a.confDir, "nodeinfo"))
		name = hacf.LocalName(unix.ByteSliceToString(u.Nodename[:]), info)
	}
	local, err := cf.LocalNode(name)
	if err != nil {
		errs = append(errs, err)
	}
	l.local = local
	for _, g := range l.groups {
		known := false
		for _, n := range cf.Nodes {
			known = known || n.Name == g.Node
		}
		if !known {
			errs = append(errs, &resources.Error{File: hpath, Line: g.Line,
				Msg: fmt.Sprintf("node %q is not a node of %s (node lines: %s)", g.Node, cf.File, nodeNames(cf))})
		}
	}
	return errs
}

// hasInterface reports whether this node has a network interface of that
// name (in hbd's network namespace).
func hasInterface(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func nodeNames(cf *hacf.Config) string {
	names := make([]string, len(cf.Nodes))
	for i, n := range cf.Nodes {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

// printConfError writes each error line to stderr, prefixed "hbd: ".
func (a *app) printConfError(err error) int {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(a.stderr, "hbd: %s\n", line)
	}
	return exitNotConfiged
}
