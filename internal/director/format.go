package director

import (
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// ipvsadmHeader is the heading of ipvsadm -Ln.
const ipvsadmHeader = "IP Virtual Server version 1.2.1 (size=4096)\n" +
	"Prot LocalAddress:Port Scheduler Flags\n" +
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"

// FormatTable renders t as ipvsadm -Ln prints a table (services in key
// order, reals in address order; Pending reals are not shown). Non-zero
// connection thresholds, which ipvsadm shows only with --thresholds, are
// appended as ldirectord writes them, "u:N l:N".
func FormatTable(t Table) string {
	var b strings.Builder
	b.WriteString(ipvsadmHeader)
	for _, key := range sortedKeys(t) {
		ds := t[key]
		b.WriteString(ipvs.ServiceLine(ds.Service) + "\n")
		for _, a := range sortedAddrs(ds.Reals) {
			b.WriteString(ipvs.RealLine(ds.Reals[a]) + "\n")
		}
	}
	return b.String()
}
