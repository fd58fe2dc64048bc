package hacf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadAuthKeysMode writes real files with each mode. Heartbeat refuses
// group- or other-readable keyfiles only; write bits pass (anchors.md
// §1.4: 0600, 0602 and 0620 accepted; 0640 and 0604 rejected).
func TestLoadAuthKeysMode(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: modes are checked by value, not by access")
	}
	for _, tc := range []struct {
		mode fs.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o602, true}, {0o620, true}, {0o200, true},
		{0o644, false}, {0o640, false}, {0o604, false}, {0o660, false}, {0o666, false}, {0o0640 | fs.ModeSetgid, false},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "authkeys")
			if err := os.WriteFile(path, []byte("auth 2\n2 sha1 PASSWORD\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			ak, err := LoadAuthKeys(path)
			if tc.ok {
				if err != nil {
					t.Fatalf("LoadAuthKeys: %v", err)
				}
				if got := ak.ActiveKey(); got.Secret != "PASSWORD" || ak.File != path {
					t.Errorf("active key %+v from %q", got, ak.File)
				}
				return
			}
			var pe *PermError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *PermError", err, err)
			}
			want := "Bad permissions on keyfile [" + path + "], 600 recommended."
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadAuthKeysErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadAuthKeys(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	path := filepath.Join(dir, "authkeys")
	if err := os.WriteFile(path, []byte("auth 1\n1 sha1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadAuthKeys(path)
	if diff := cmp.Diff(path+":2: auth method [sha1] requires a key (want 1 sha1 <secret>)", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadHaCf(t *testing.T) {
	path := filepath.Join("testdata", "s1-test1.ha.cf")
	c, _, err := LoadHaCf(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.File != path || len(c.Ucast) != 2 {
		t.Errorf("File %q, %d ucast", c.File, len(c.Ucast))
	}
	if _, _, err := LoadHaCf(filepath.Join(t.TempDir(), "ha.cf")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(t.TempDir(), "ha.cf")
	if err := os.WriteFile(bad, []byte("node a\nbcast eth0\ndeadtime 3x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadHaCf(bad)
	want := bad + `:3: deadtime: bad time "3x" (want a number with optional ms/us suffix)`
	if diff := cmp.Diff(want, errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
