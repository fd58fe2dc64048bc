//go:build interop

package interop

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// CPUTime is the CPU time used so far by every process in n's sandbox but
// its init: the daemon's processes (Heartbeat runs several: master, FIFO
// reader, a reader and a writer per medium), each with its own time and
// that of the children it reaped (resource scripts, a Heartbeat child's
// status checks). Comparing two readings gives what the node used in
// between, whatever the implementation forks.
func (n *Node) CPUTime() (time.Duration, error) {
	if !n.box.running() || n.box.init == 0 {
		return 0, fmt.Errorf("%s: not running", n.Name)
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n.box.init))
	if err != nil {
		return 0, fmt.Errorf("%s: pid namespace: %w", n.Name, err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	procs := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == n.box.init {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err != nil || l != ns {
			continue
		}
		c, err := netlab.ReadCPU(pid)
		if errors.Is(err, os.ErrNotExist) {
			continue // exited meanwhile
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", n.Name, err)
		}
		total += c.Total() + c.Children
		procs++
	}
	if procs == 0 {
		return 0, fmt.Errorf("%s: no daemon process in the sandbox", n.Name)
	}
	return total, nil
}
