package resources

// The real Sysctls: files under /proc/sys of the calling thread's network
// namespace. The IPVS ones (net.ipv4.vs.*) go through package ipvs, which
// knows their names and shapes and says ErrNoIPVS when they are missing.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
