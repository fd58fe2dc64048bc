package ipvstest

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"syscall"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// SyncDaemons is a strict stand-in for the kernel's connection-sync
// daemons and IPVS sysctls of one network namespace (ipvs.SyncNetlink,
// ipvs.SetSysctl): starting a state that runs fails like EEXIST, stopping
// one that does not like ESRCH, each wrapping ipvs's sentinel and the
// errno as the real client does (ip_vs_ctl.c); an unknown sysctl is
// refused. It records every successful start and stop. Safe for
// concurrent use.
type SyncDaemons struct {
	mu      sync.Mutex
	running map[ipvs.SyncState]ipvs.SyncDaemon
	sysctls map[string]string
	calls   []string
}

// NewSyncDaemons returns a namespace with no daemon running and the given
// sysctls (name -> value, under whatever names the caller writes).
func NewSyncDaemons(sysctls map[string]string) *SyncDaemons {
	return &SyncDaemons{running: map[ipvs.SyncState]ipvs.SyncDaemon{}, sysctls: maps.Clone(sysctls)}
}

// Start starts d, recorded as "start " + d.String().
func (f *SyncDaemons) Start(d ipvs.SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.running[d.State]; ok {
		return fmt.Errorf("start %s: %w: %w", d, ipvs.ErrSyncRunning, syscall.EEXIST)
	}
	f.calls = append(f.calls, "start "+d.String())
	f.running[d.State] = d
	return nil
}

// Stop stops state s, recorded as "stop master" or "stop backup".
func (f *SyncDaemons) Stop(s ipvs.SyncState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.running[s]; !ok {
		return fmt.Errorf("stop %s: %w: %w", s, ipvs.ErrSyncNotRunning, syscall.ESRCH)
	}
	f.calls = append(f.calls, "stop "+s.String())
	delete(f.running, s)
	return nil
}

// Daemons lists the running daemons, master first.
func (f *SyncDaemons) Daemons() ([]ipvs.SyncDaemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ipvs.SyncDaemon
	for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		if d, ok := f.running[s]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// Close does nothing (the daemons stay, as with the real client).
func (f *SyncDaemons) Close() error { return nil }

// Set writes a sysctl and returns the value it replaced.
func (f *SyncDaemons) Set(name, value string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev, ok := f.sysctls[name]
	if !ok {
		return "", errors.New("sysctl " + name + ": no such file")
	}
	f.sysctls[name] = value
	return prev, nil
}

// Sysctls returns a copy of the sysctls.
func (f *SyncDaemons) Sysctls() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.sysctls)
}

// Put makes d run without recording a call (what a predecessor left).
func (f *SyncDaemons) Put(d ipvs.SyncDaemon) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[d.State] = d
}

// Running returns the daemon of state s, if it runs.
func (f *SyncDaemons) Running(s ipvs.SyncState) (ipvs.SyncDaemon, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.running[s]
	return d, ok
}

// States lists the running states ("master", "backup"), master first.
func (f *SyncDaemons) States() []string {
	ds, _ := f.Daemons()
	var out []string
	for _, d := range ds {
		out = append(out, d.State.String())
	}
	return out
}

// TakeCalls returns the starts and stops recorded since the last call.
func (f *SyncDaemons) TakeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}
