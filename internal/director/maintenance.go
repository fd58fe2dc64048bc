package director

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// This file is maintenancedir as values (ldirectord.in:
// _check_real_for_maintenance): which file names put a real in
// maintenance, and which real a directory listing puts there. It is pure:
// maintdir.go lists the directory and resolves the names.

// msgInMaintenance is the reason, and the monitorfile message, of a real
// forced down by a maintenance file (ldirectord: _check_real's
// service_set(..., "Server in maintenance")).
const msgInMaintenance = "Server in maintenance"

// maintenanceView is what the maintenance directory says: the names of
// the files in it, and the reverse DNS name of each real address that has
// been resolved (only when a file is not named after an address).
type maintenanceView struct {
	Files map[string]bool
	Names map[netip.Addr]string // "" = no name (NXDOMAIN or not looked up)
}

func (m maintenanceView) equal(o maintenanceView) bool {
	return maps.Equal(m.Files, o.Files) && maps.Equal(m.Names, o.Names)
}

// shortName is ldirectord's /^([a-z][a-z0-9\-]+)\./: the first label of
// a fully qualified name.
var shortName = regexp.MustCompile(`^([a-z][a-z0-9\-]+)\.`)

// maintenanceCandidates lists, in ldirectord's order, the file names that
// put the real at addr:port in maintenance: address:port, address, then
// the reverse DNS name and its first label, each with and without the
// port. An IPv6 address is written as ldirectord stores it, in brackets.
// The port is omitted from the list when it is 0 (fwmark reals without
// one).
func maintenanceCandidates(real netip.AddrPort, hostname string) []string {
	ip := serverName(real.Addr())
	var out []string
	add := func(name string) {
		if real.Port() != 0 {
			out = append(out, name+":"+strconv.Itoa(int(real.Port())))
		}
		out = append(out, name)
	}
	add(ip)
	if hostname != "" {
		add(hostname)
		if m := shortName.FindStringSubmatch(hostname); m != nil {
			add(m[1])
		}
	}
	return out
}

// file returns the file of the view that puts the real at addr:port in
// maintenance, or "".
func (m maintenanceView) file(real netip.AddrPort) string {
	if len(m.Files) == 0 {
		return ""
	}
	for _, name := range maintenanceCandidates(real, m.Names[real.Addr()]) {
		if m.Files[name] {
			return name
		}
	}
	return ""
}

// needsNames reports whether some file is not named after an address (or
// address:port), so reverse DNS names of the reals are needed to match it.
func (m maintenanceView) needsNames() bool {
	for f := range m.Files {
		if !addressName(f) {
			return true
		}
	}
	return false
}

// addressName reports whether a maintenance file name is an address, with
// or without a port: such a name needs no DNS.
func addressName(f string) bool {
	if _, err := netip.ParseAddr(f); err == nil {
		return true
	}
	if _, err := netip.ParseAddrPort(f); err == nil {
		return true
	}
	if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
		_, err := netip.ParseAddr(f[1 : len(f)-1])
		return err == nil
	}
	return false
}

// maintenanceReal is the real a check key stands for in maintenance file
// names: the real's address and port (the check port when the real has
// none).
func maintenanceReal(key CheckKey) netip.AddrPort {
	t := key.Target()
	r := t.Real
	if r.Port() == 0 {
		return netip.AddrPortFrom(r.Addr(), t.Port)
	}
	return r
}

// maintenanceReason is the health reason of a real in maintenance.
func maintenanceReason(file string) string {
	return fmt.Sprintf("real down: %s (maintenance file %s)", msgInMaintenance, file)
}

// forceMaintenance forces key down for a maintenance file and returns the
// transition as the virtual indexes count it: a checktype=on real (on)
// counts as up until forced, whatever the health table holds.
func forceMaintenance(h *HealthTable, key CheckKey, on bool, reason string, now time.Time) Transition {
	from := h.State(key)
	if on {
		from = onState(from)
	}
	tr := h.Force(key, reason, now)
	tr.From, tr.Changed = from, from != Down
	return tr
}

// releaseOn ends the maintenance of a checktype=on real: it is up again at
// once (it is never checked).
func releaseOn(h *HealthTable, key CheckKey) Transition {
	from := onState(h.State(key))
	h.Retain(func(k CheckKey) bool { return k != key })
	return Transition{From: from, To: Up, Changed: from != Up, Reason: "real up: checktype on, out of maintenance"}
}
