package netlab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux ABI Go runs on.
const clockTick = 10 * time.Millisecond

// ProcCPU is a process's CPU time from /proc/<pid>/stat: its own
// (user+system, every thread) and its waited-for children's.
type ProcCPU struct {
	User, Sys, Children time.Duration
}

// Total is the process's own CPU time.
func (c ProcCPU) Total() time.Duration { return c.User + c.Sys }

// ReadCPU reads /proc/<pid>/stat.
func ReadCPU(pid int) (ProcCPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcCPU{}, fmt.Errorf("read cpu: %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return ProcCPU{}, fmt.Errorf("read cpu: bad stat %q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return ProcCPU{}, fmt.Errorf("read cpu: short stat")
	}
	n := func(k int) time.Duration {
		v, _ := strconv.ParseInt(f[k-3], 10, 64)
		return time.Duration(v) * clockTick
	}
	return ProcCPU{User: n(14), Sys: n(15), Children: n(16) + n(17)}, nil
}
