package ldbench

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// ReadPPID returns the parent of pid.
func ReadPPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// ChildrenOf lists the pids whose parent is pid.
func ChildrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err == nil && ReadPPID(p) == pid {
			out = append(out, p)
		}
	}
	return out
}

// ReadMem returns VmRSS and VmHWM of pid in bytes.
func ReadMem(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(fl[1], 10, 64)
		switch fl[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		}
	}
	return rss, hwm
}

// PollProcIPVS reads /proc/net/ip_vs every period until ctx is done and adds
// one event per change of a real (added, weight changed, removed) to t:
// the op log of a subject that writes none (keepalived).
func PollProcIPVS(ctx context.Context, t *OpTail, period time.Duration) {
	prev := map[string]int{}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		cur, err := readProcIPVS()
		now := time.Now()
		if err == nil {
			var evs []OpEvent
			for a, w := range cur {
				if pw, ok := prev[a]; !ok {
					evs = append(evs, OpEvent{At: now, Verb: "-a", Real: a, Weight: w})
				} else if pw != w {
					evs = append(evs, OpEvent{At: now, Verb: "-e", Real: a, Weight: w})
				}
			}
			for a := range prev {
				if _, ok := cur[a]; !ok {
					evs = append(evs, OpEvent{At: now, Verb: "-d", Real: a})
				}
			}
			t.Add(evs...)
			prev = cur
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readProcIPVS maps each real's address to its weight (IPv4 only: the
// bench uses no IPv6).
func readProcIPVS() (map[string]int, error) {
	f, err := os.Open("/proc/net/ip_vs")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 4 || fl[0] != "->" || !strings.Contains(fl[1], ":") || fl[1] == "RemoteAddress:Port" {
			continue
		}
		hex := fl[1][:strings.IndexByte(fl[1], ':')]
		v, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || len(hex) != 8 {
			continue
		}
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		w, _ := strconv.Atoi(fl[3])
		out[a.String()] = w
	}
	return out, sc.Err()
}

// hostTicks returns the busy and total jiffies of every CPU (/proc/stat).
func hostTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, s := range f[1:] {
		v, _ := strconv.ParseInt(s, 10, 64)
		if i >= 8 { // guest time is already in user
			break
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}
