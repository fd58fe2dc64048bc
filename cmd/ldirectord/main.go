// Command ldirectord is the Linux Director Daemon: it reads an
// ldirectord.cf, keeps the kernel's IPVS table in line with it and with
// the health checks of the real servers, and answers ldirectord 4.12's
// command line (start, stop, restart, try-restart, reload, force-reload,
// status) with its exit codes, plus `check`. See usageText.
//
// This file wires the real effects; cli.go parses the command line,
// verbs.go runs the client verbs, serve.go is the daemon, files.go checks
// the files ldirectord.cf names (monitorfile, maintenancedir, execute),
// instances.go runs the other instances of execute=, sync.go and bgp.go
// drive the kernel's sync daemons (ipvs_sync) and the BGP speaker, and
// log.go, messages.go, metrics.go, statustext.go and watch.go are its log,
// texts, metrics, status text and file watching.
//
// Size: about 2,050 lines, at the ~2,000 guide: ldirectord 4.12's whole
// command line with its texts and exit codes, its file handling and the
// scale-out additions (ipvs_sync, BGP status); the engine is in
// internal/director.
package main

import (
	"os"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

func main() {
	daemon.OneProc()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, deps{OpenKernel: openNetlink}))
}

// openNetlink opens the IPVS table of this network namespace; on a kernel
// without IPVS the error wraps ipvs.ErrNoIPVS.
func openNetlink() (ipvs.Kernel, func() error, error) {
	n, err := ipvs.OpenNetlink()
	if err != nil {
		return nil, nil, err
	}
	return n, n.Close, nil
}
