package director

import (
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// FormatTable renders t as ipvsadm -Ln prints a table (services in key
// order, reals in address order; Pending reals are not shown). Non-zero
// connection thresholds, which ipvsadm shows only with --thresholds, are
// appended as ldirectord writes them, "u:N l:N".
func FormatTable(t Table) string {
	entries := make([]ipvs.Entry, 0, len(t))
	for _, key := range sortedKeys(t) {
		ds := t[key]
		e := ipvs.Entry{Service: ds.Service}
		for _, a := range sortedAddrs(ds.Reals) {
			e.Reals = append(e.Reals, ds.Reals[a])
		}
		entries = append(entries, e)
	}
	var b strings.Builder
	b.WriteString(ipvs.Header)
	b.WriteString(ipvs.FormatText(entries))
	return b.String()
}
