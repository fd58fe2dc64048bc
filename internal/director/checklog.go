package director

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// This file is the monitorfile line as a value (ldirectord.in:
// service_set with do_log, get_real_id_str). It is pure: monitorfile.go
// appends the lines.

// checkLogTime is Perl's scalar localtime(), the timestamp of a
// monitorfile line: "Sun Dec  6 05:46:10 2026".
const checkLogTime = "Mon Jan _2 15:04:05 2006"

// checkLogLine is one monitorfile line for a check result of real r of v,
// word for word as ldirectord writes it:
//
//	[<localtime>] [<pid>] <real id> [<up|down>] <message>
//
// The real id is get_real_id_str (check, protocol, server, port,
// virtualhost, checkport, weight, forward, request, receive, joined by
// ":") with every run of ":" turned into one blank and backslashes
// removed; the message has "%", "|", CR and LF escaped as %xx, and is "-"
// when the check gives none.
func checkLogLine(now time.Time, pid int, v *ldcf.Virtual, r ldcf.Real, up bool, msg string) string {
	state := "down"
	if up {
		state = "up"
	}
	if msg == "" {
		msg = "-"
	}
	return fmt.Sprintf("[%s] [%d] %s [%s] %s\n", now.Format(checkLogTime), pid, checkLogID(v, r), state, escapeCheckLog(msg))
}

// checkLogID is get_real_id_str as service_set writes it in the
// monitorfile (tr/:/ /s, s/\\//g).
func checkLogID(v *ldcf.Virtual, r ldcf.Real) string {
	check := string(v.CheckType)
	switch v.CheckType {
	case ldcf.CheckNegotiate, ldcf.CheckCombined:
		check += ":" + v.Service
	case ldcf.CheckExternal, ldcf.CheckExternalPerl:
		check += ":" + v.CheckCommand
	}
	checkport := ""
	if v.CheckPort != 0 {
		checkport = strconv.Itoa(int(v.CheckPort))
	}
	request, receive := v.Request, v.Receive
	if r.Request != "" {
		request, receive = r.Request, r.Receive
	}
	port := r.Addr.Port()
	if port == 0 {
		port = v.Addr.Port()
	}
	id := strings.Join([]string{check, v.Protocol, serverName(r.Addr.Addr()), strconv.Itoa(int(port)),
		v.VirtualHost, checkport, strconv.Itoa(r.Weight), string(r.Forward), request, receive}, ":")
	id = colonRuns.ReplaceAllString(id, " ")
	return strings.ReplaceAll(id, `\`, "")
}

var colonRuns = regexp.MustCompile(`:+`)

// serverName is an address as ldirectord stores a server: IPv6 in
// brackets.
func serverName(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// escapeCheckLog is service_set's s/([%|\r\n])/sprintf("%%%.2x", ord($1))/eg.
func escapeCheckLog(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch c {
		case '%', '|', '\r', '\n':
			fmt.Fprintf(&b, "%%%.2x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
