package ipvs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateSysctl(t *testing.T) {
	tests := []struct {
		name, value, want string // want "" = valid
	}{
		{"sync_threshold", "3 50", ""},
		{"sync_threshold", "3\t0", ""},
		{"sync_refresh_period", "1", ""},
		{"backup_only", "1", ""},
		{"est_cpulist", "0-1", ""},
		{"sync_threshold", "3", `ipvs sysctl sync_threshold: value "3" has 1 fields, want 2 integer(s)`},
		{"sync_retries", "x", `ipvs sysctl sync_retries: "x" is not an integer`},
		{"sloppy_tcp", "1\n0", "has a newline or NUL"},
		{"sync_refresh", "1", `unknown ipvs sysctl "sync_refresh" (want one of am_droprate, amemthresh, backup_only,`},
		{"../../ipv4/ip_forward", "1", "unknown ipvs sysctl"},
	}
	for _, tt := range tests {
		err := ValidateSysctl(tt.name, tt.value)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidateSysctl(%q, %q) = %v, want nil", tt.name, tt.value, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidateSysctl(%q, %q) = %v, want an error containing %q", tt.name, tt.value, err, tt.want)
		}
	}
}

// TestSysctlFiles runs the read and write paths against a directory laid
// out like /proc/sys/net/ipv4/vs (the kernel's values end in a newline,
// vectors are tab-separated).
func TestSysctlFiles(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{"sync_threshold": "3\t50\n", "sync_refresh_period": "0\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := readSysctl(dir, "sync_threshold"); err != nil || got != "3 50" {
		t.Fatalf(`read sync_threshold = %q, %v; want "3 50"`, got, err)
	}
	prev, err := writeSysctl(dir, "sync_threshold", "3 0")
	if err != nil || prev != "3 50" {
		t.Fatalf(`write sync_threshold = %q, %v; want previous "3 50"`, prev, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sync_threshold")); !strings.HasPrefix(string(b), "3 0") {
		t.Errorf("file holds %q after the write", b)
	}
	if _, err := writeSysctl(dir, "sync_retries", "1"); err == nil || !strings.Contains(err.Error(), "sync_retries") || errors.Is(err, ErrNoIPVS) {
		t.Errorf("write of a sysctl the kernel lacks = %v; want a not-exist error naming it, not ErrNoIPVS", err)
	}
	if _, err := writeSysctl(dir, "sync_retries", "many"); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Errorf("write of a bad value = %v", err)
	}
	if _, err := readSysctl(filepath.Join(dir, "missing"), "sync_threshold"); !errors.Is(err, ErrNoIPVS) {
		t.Errorf("read without the vs directory = %v, want ErrNoIPVS", err)
	}
}

func TestSysctlHost(t *testing.T) {
	if _, err := os.Stat(sysctlDir); err == nil {
		if _, err := Sysctl(SysctlSyncThreshold); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := Sysctl(SysctlSyncThreshold); !errors.Is(err, ErrNoIPVS) {
		t.Fatalf("Sysctl without IPVS = %v, want ErrNoIPVS", err)
	}
	if _, err := SetSysctl(SysctlBackupOnly, "1"); !errors.Is(err, ErrNoIPVS) {
		t.Fatalf("SetSysctl without IPVS = %v, want ErrNoIPVS", err)
	}
}
