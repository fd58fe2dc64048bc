package main

// Status without root: who may use the control socket.
//
// Heartbeat let the clients ha.cf's apiauth names use its API; cl_status
// signs on anonymously, so the "anon" entry decides, and without one
// Heartbeat's built-in applies: gid=haclient (and root). hbd keeps that
// rule for its control socket: root may run every verb; a caller whose
// user or one of whose groups the anon entry lists may run the read-only
// verbs (status, which hbd status and cl_status use); standby and
// takeover stay root only. The caller is identified by SO_PEERCRED, and
// the socket is group-owned by the entry's first group with mode 0660 so
// that nobody else can even connect.

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
)

// anonClient is the apiauth client name of anonymous API users (cl_status).
const anonClient = "anon"

// defaultAPIGroup is Heartbeat's HA_APIGROUP, the built-in anon gid.
const defaultAPIGroup = "haclient"

// readOnlyVerbs are the control verbs a non-root apiauth member may use.
var readOnlyVerbs = map[string]bool{"status": true}

// apiAccess is who, besides root, may read hbd's status.
type apiAccess struct {
	uids, gids map[uint32]bool
	group      int    // the socket's group: the entry's first resolvable gid; -1 none
	desc       string // "apiauth anon gid=haclient" for the denial message
}

// userLookup resolves user and group names (os/user; a fake in tests).
type userLookup struct {
	user  func(name string) (uint32, error)
	group func(name string) (uint32, error)
}

var systemUsers = userLookup{
	user: func(name string) (uint32, error) {
		u, err := user.Lookup(name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(u.Uid, 10, 32)
		return uint32(n), err
	},
	group: func(name string) (uint32, error) {
		g, err := user.LookupGroup(name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(g.Gid, 10, 32)
		return uint32(n), err
	},
}

// resolveAPIAccess reads the anon apiauth entry of cf (Heartbeat's
// built-in gid=haclient without one). Names that do not resolve on this
// host are left out with a warning: status then stays root only for them.
func resolveAPIAccess(cf *hacf.Config, look userLookup) (apiAccess, []string) {
	uids, gids := []string(nil), []string{defaultAPIGroup}
	where := "Heartbeat's built-in apiauth anon gid=" + defaultAPIGroup
	for _, a := range cf.APIAuth {
		if a.Client == anonClient {
			uids, gids = a.UIDs, a.GIDs
			where = fmt.Sprintf("%s:%d: apiauth anon", cf.File, a.Line)
		}
	}
	acc := apiAccess{uids: map[uint32]bool{}, gids: map[uint32]bool{}, group: -1}
	var warnings []string
	resolve := func(kind, name string, lookup func(string) (uint32, error)) (uint32, bool) {
		if n, err := strconv.ParseUint(name, 10, 32); err == nil {
			return uint32(n), true
		}
		id, err := lookup(name)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %s %q does not exist on this host: its members cannot read the status without root", where, kind, name))
			return 0, false
		}
		return id, true
	}
	for _, u := range uids {
		if id, ok := resolve("user", u, look.user); ok {
			acc.uids[id] = true
		}
	}
	for _, g := range gids {
		if id, ok := resolve("group", g, look.group); ok {
			acc.gids[id] = true
			if acc.group < 0 {
				acc.group = int(id)
			}
		}
	}
	var parts []string
	if len(uids) > 0 {
		parts = append(parts, "uid="+strings.Join(uids, ","))
	}
	if len(gids) > 0 {
		parts = append(parts, "gid="+strings.Join(gids, ","))
	}
	acc.desc = "apiauth anon " + strings.Join(parts, " ")
	return acc, warnings
}

// allows reports whether p may run the read-only verbs.
func (acc apiAccess) allows(p daemon.Peer) bool {
	if acc.uids[p.UID] || acc.gids[p.GID] {
		return true
	}
	for _, g := range p.Groups {
		if acc.gids[g] {
			return true
		}
	}
	return false
}

// authorize wraps the control handler: root (and the user hbd runs as)
// may run every verb, apiauth members the read-only ones, nobody else
// anything.
func authorize(h daemon.Handler, acc apiAccess) daemon.Handler {
	self := uint32(os.Geteuid())
	return func(ctx context.Context, req daemon.Request) daemon.Response {
		p, ok := daemon.PeerFrom(ctx)
		switch {
		case ok && (p.UID == 0 || p.UID == self):
			return h(ctx, req)
		case !ok:
			return daemon.Response{Exit: exitFail, Text: req.Verb + ": permission denied: the caller's credentials could not be read"}
		case !readOnlyVerbs[req.Verb]:
			return daemon.Response{Exit: exitFail, Text: fmt.Sprintf("%s: permission denied: root only (uid %d)", req.Verb, p.UID)}
		case !acc.allows(p):
			return daemon.Response{Exit: exitFail, Text: fmt.Sprintf("%s: permission denied: uid %d is not in %s", req.Verb, p.UID, acc.desc)}
		}
		return h(ctx, req)
	}
}

// shareControl opens the control socket to the apiauth group; without
// one it stays root only (mode 0600).
func shareControl(ctl *daemon.ControlListener, acc apiAccess) error {
	if acc.group < 0 {
		return nil
	}
	return ctl.ShareWithGroup(acc.group)
}
