package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director"
)

// statusHeader heads the status table: ipvsadm -Ln's columns up to Weight
// (the weight in the IPVS table, "-" when the real is not in it), then the
// check state and why.
const statusHeader = "Prot LocalAddress:Port Scheduler Flags\n" +
	"  -> RemoteAddress:Port           Forward Weight State    Detail\n"

// formatStatus renders st as an ipvsadm -Ln-style table: each virtual's
// service line, then one line per real (configured order) with its kernel
// weight, check state and the reason for it, then the fallback server when
// it is or should be in the table.
func formatStatus(st director.Status) string {
	var b strings.Builder
	b.WriteString(statusHeader)
	for _, v := range st.Virtuals {
		line := v.Service
		if !v.InKernel {
			line += "  (not in the IPVS table)"
		}
		b.WriteString(line + "\n")
		for _, r := range v.Reals {
			b.WriteString(statusLine(r.Addr, r.Forward, r.KernelWeight, r.State.String(), realDetail(v, r)))
		}
		if fb := v.Fallback; fb != nil && (fb.Active || fb.KernelWeight != nil) {
			b.WriteString(statusLine(fb.Addr, fb.Forward, fb.KernelWeight, "fallback", "sorry server: no real server is up"))
		}
	}
	if st.SyncError != "" {
		fmt.Fprintf(&b, "IPVS table not reconciled: %s\n", st.SyncError)
	}
	return b.String()
}

func statusLine(addr, fwd string, weight *int, state, detail string) string {
	w := "-"
	if weight != nil {
		w = strconv.Itoa(*weight)
	}
	return strings.TrimRight(fmt.Sprintf("  -> %-28s %-7s %-6s %-8s %s", addr, fwd, w, state, detail), " ") + "\n"
}

// realDetail says why a real is in its state: the health reason, the last
// check error, or the check type that decides it.
func realDetail(v director.VirtualStatus, r director.RealStatus) string {
	switch {
	case v.CheckType == "on" || v.CheckType == "off":
		return "checktype " + v.CheckType
	case r.Reason != "":
		return r.Reason
	case r.LastError != "":
		return r.LastError
	case r.State == director.Unknown:
		return "not checked yet"
	}
	return ""
}
