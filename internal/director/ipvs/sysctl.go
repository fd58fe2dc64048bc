package ipvs

// This file reads and writes the IPVS sysctls of a network namespace under
// /proc/sys/net/ipv4/vs/. A write goes to the namespace of the calling OS
// thread: the kernel resolves /proc/sys/net against the opening task
// (Documentation/networking/ipvs-sysctl.rst lists the names).

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// sysctlDir is where the kernel registers the IPVS sysctls of a namespace
// (register_net_sysctl_sz(net, "net/ipv4/vs", ...) in ip_vs_ctl.c).
const sysctlDir = "/proc/sys/net/ipv4/vs"

// sysctlInts maps every per-namespace IPVS sysctl (Linux 6.1; est_cpulist
// and est_nice since 6.2) to the number of integers its value holds; 0
// means free text (est_cpulist is a CPU list).
var sysctlInts = map[string]int{
	"am_droprate": 1, "amemthresh": 1, "backup_only": 1, "cache_bypass": 1,
	"conn_reuse_mode": 1, "conntrack": 1, "drop_entry": 1, "drop_packet": 1,
	"est_cpulist": 0, "est_nice": 1, "expire_nodest_conn": 1,
	"expire_quiescent_template": 1, "ignore_tunneled": 1, "nat_icmp_send": 1,
	"pmtu_disc": 1, "run_estimation": 1, "schedule_icmp": 1, "secure_tcp": 1,
	"sloppy_sctp": 1, "sloppy_tcp": 1, "snat_reroute": 1, "sync_persist_mode": 1,
	"sync_ports": 1, "sync_qlen_max": 1, "sync_refresh_period": 1,
	"sync_retries": 1, "sync_sock_size": 1, "sync_threshold": 2,
	"sync_version": 1,
}

// The sysctls the connection-sync resource uses.
const (
	// SysctlSyncThreshold is "threshold period" (default "3 50"): a
	// connection is synced when its incoming packet count modulo period
	// equals threshold. Period 0 with sync_refresh_period 0 syncs only on
	// state changes (ip_vs_sync_conn_needed, ip_vs_sync.c).
	SysctlSyncThreshold = "sync_threshold"
	// SysctlSyncRefreshPeriod (seconds, default 0): with sync_threshold's
	// period 0, a connection is re-synced at its first incoming packet
	// this long after its last sync. With a non-zero period it only
	// throttles: the packet count must still match (measured in the VM:
	// "3 50" with refresh 1 s re-syncs a 2 packet/s connection only every
	// 25 s). No setting syncs a connection that receives no packet.
	SysctlSyncRefreshPeriod = "sync_refresh_period"
	// SysctlSyncRetries (0-3) repeats a refresh sync every period/8.
	SysctlSyncRetries = "sync_retries"
	// SysctlSyncVersion is the sync protocol (1; 0 for kernels before 2.6.39).
	SysctlSyncVersion = "sync_version"
	// SysctlBackupOnly 1: no forwarding while the backup daemon runs.
	SysctlBackupOnly = "backup_only"
	// SysctlSloppyTCP 1: schedule on any TCP packet, not only SYN.
	SysctlSloppyTCP = "sloppy_tcp"
	// SysctlConntrack 1: keep netfilter conntrack entries for IPVS traffic.
	SysctlConntrack = "conntrack"
)

// ValidateSysctl checks that name is an IPVS sysctl and value has its
// shape (one or two decimal integers), so a typo fails before any write.
// The kernel checks ranges itself (EINVAL).
func ValidateSysctl(name, value string) error {
	n, ok := sysctlInts[name]
	if !ok {
		return fmt.Errorf("unknown ipvs sysctl %q (want one of %s)", name, strings.Join(slices.Sorted(maps.Keys(sysctlInts)), ", "))
	}
	if strings.ContainsAny(value, "\n\x00") {
		return fmt.Errorf("ipvs sysctl %s: value %q has a newline or NUL", name, value)
	}
	if n == 0 {
		return nil
	}
	f := strings.Fields(value)
	if len(f) != n {
		return fmt.Errorf("ipvs sysctl %s: value %q has %d fields, want %d integer(s)", name, value, len(f), n)
	}
	for _, x := range f {
		if _, err := strconv.ParseInt(x, 10, 32); err != nil {
			return fmt.Errorf("ipvs sysctl %s: %q is not an integer", name, x)
		}
	}
	return nil
}

// Sysctl reads IPVS sysctl name of the calling thread's network namespace,
// white space collapsed ("3 50" for sync_threshold).
func Sysctl(name string) (string, error) { return readSysctl(sysctlDir, name) }

// SetSysctl writes value to IPVS sysctl name of the calling thread's
// network namespace and returns the value it had, to restore it later.
// When the write fails, nothing changed and prev is empty.
func SetSysctl(name, value string) (prev string, err error) {
	return writeSysctl(sysctlDir, name, value)
}

func readSysctl(dir, name string) (string, error) {
	if _, ok := sysctlInts[name]; !ok {
		return "", ValidateSysctl(name, "")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("read ipvs sysctl %s: %w", name, sysctlErr(dir, err))
	}
	return strings.Join(strings.Fields(string(b)), " "), nil
}

func writeSysctl(dir, name, value string) (string, error) {
	if err := ValidateSysctl(name, value); err != nil {
		return "", err
	}
	prev, err := readSysctl(dir, name)
	if err != nil {
		return "", err
	}
	// O_WRONLY without O_CREATE or O_TRUNC: a sysctl is never created.
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
	if err != nil {
		return "", fmt.Errorf("set ipvs sysctl %s=%q: %w", name, value, sysctlErr(dir, err))
	}
	_, werr := f.WriteString(value)
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("set ipvs sysctl %s=%q: %w", name, value, err)
	}
	return prev, nil
}

// sysctlErr turns a missing directory into ErrNoIPVS (ip_vs not loaded, or
// the namespace belongs to another user namespace, where the kernel hides
// them).
func sysctlErr(dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return fmt.Errorf("%w (%v)", ErrNoIPVS, err)
		}
	}
	return err
}
