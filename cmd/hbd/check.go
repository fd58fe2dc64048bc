package main

import "fmt"

// check is `hbd check`: read ha.cf, authkeys and haresources as start
// does, print the warnings and a one-line summary, touch nothing (no
// socket, no pid file, no resource). Exit 0 when the files are valid, 6
// (with file:line on stderr) when not. Heartbeat had no such verb; it is
// what ldirectord's check is for ldirectord.cf, for packaging and CI.
func (a *app) check() int {
	l, err := a.loadConfig()
	if err != nil {
		return a.printConfError(err)
	}
	for _, w := range l.warnings {
		fmt.Fprintf(a.stderr, "hbd: warning: %s\n", w)
	}
	cf := l.hacf
	fmt.Fprintf(a.stdout, "hbd: %s: configuration OK: local node %s, peer %s, %d ucast, %d bcast, %d mcast line(s), %d resource group(s)\n",
		a.confDir, l.local, peerNames(l), len(cf.Ucast), len(cf.Bcast), len(cf.Mcast), len(l.groups))
	return exitOK
}

// peerNames lists the nodes of ha.cf other than the local one.
func peerNames(l *loaded) string {
	var s string
	for _, n := range l.hacf.Nodes {
		if n.Name == l.local {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += n.Name
	}
	if s == "" {
		return "none"
	}
	return s
}
