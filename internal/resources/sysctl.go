package resources

// The real Sysctls: files under /proc/sys of the calling thread's network
// namespace. The IPVS ones (net.ipv4.vs.*) go through package ipvs, which
// knows their names and shapes and says ErrNoIPVS when they are missing.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// ProcSysctls reads and writes sysctls under Root (default /proc/sys).
type ProcSysctls struct {
	Root string
}

var _ Sysctls = ProcSysctls{}

// Set writes value to the sysctl of the dotted name and returns the value
// it replaced, without its trailing newline.
func (p ProcSysctls) Set(name, value string) (string, error) {
	if vs, ok := strings.CutPrefix(name, "net.ipv4.vs."); ok && p.Root == "" {
		return ipvs.SetSysctl(vs, value)
	}
	if name == "" || strings.Contains(name, "/") || strings.Contains(name, "..") {
		return "", fmt.Errorf("sysctl %q: want a dotted name such as net.ipv4.vs.backup_only", name)
	}
	root := p.Root
	if root == "" {
		root = "/proc/sys"
	}
	path := filepath.Join(root, filepath.FromSlash(strings.ReplaceAll(name, ".", "/")))
	prev, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", name, err)
	}
	old := strings.TrimRight(string(prev), "\n")
	if old == value {
		return old, nil
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("sysctl %s=%q: %w", name, value, err)
	}
	return old, nil
}

// savedSysctls writes sysctls through an agent's Sysctls and remembers the
// value each one had before the agent's first write, so that the agent's
// Retire can put them back (LVSSyncDaemonSwap's sync settings, IPaddrDR's
// ARP settings). A nil Sysctls writes nothing. Safe for concurrent use.
type savedSysctls struct {
	set  Sysctls
	mu   sync.Mutex
	prev map[string]string
}

// apply writes each NAME=VALUE pair in order; the first error stops it.
func (s *savedSysctls) apply(pairs [][2]string) error {
	if s.set == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kv := range pairs {
		prev, err := s.set.Set(kv[0], kv[1])
		if err != nil {
			return err
		}
		if _, ok := s.prev[kv[0]]; !ok {
			if s.prev == nil {
				s.prev = map[string]string{}
			}
			s.prev[kv[0]] = prev
		}
	}
	return nil
}

// restore writes back every remembered value and forgets them; it tries
// all and joins the errors.
func (s *savedSysctls) restore() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for name, v := range s.prev {
		if _, err := s.set.Set(name, v); err != nil {
			errs = append(errs, err)
		}
	}
	clear(s.prev)
	return errors.Join(errs...)
}
