package ops

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unit is a parsed systemd unit file: section -> key -> values in order
// (a key may repeat, e.g. ExecReload).
type unit map[string]map[string][]string

// parseUnit reads a unit file as systemd does for what we use: [Section]
// headers, Key=Value lines, # and ; comments, trailing-backslash
// continuation lines.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(pending + sc.Text())
		pending = ""
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`) + " "
			continue
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: want Key=Value inside a [Section], got %q", path, n, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// unitWant is the settings each unit must have, each a reasoned choice
// (see the comments in the unit files).
var unitWant = map[string]map[string]map[string][]string{
	"hbd.service": {
		"Unit": {"Wants": {"network-online.target"}},
		"Service": {
			"Type":            {"notify"},
			"NotifyAccess":    {"main"},
			"EnvironmentFile": {"-/etc/default/hbd"},
			"ExecStart":       {"/usr/sbin/hbd $HBD_OPTS run"},
			"ExecReload":      {"/usr/sbin/hbd $HBD_OPTS check", "/bin/kill -HUP $MAINPID"},
			"WatchdogSec":     {"30s"},
			"Restart":         {"no"},
			"KillMode":        {"process"},
			"SendSIGKILL":     {"no"},
			"TimeoutStopSec":  {"30min"},
		},
		"Install": {"WantedBy": {"multi-user.target"}},
	},
	"ldirectord.service": {
		"Unit": {"Wants": {"network-online.target"}},
		"Service": {
			"Type":                     {"notify"},
			"NotifyAccess":             {"main"},
			"EnvironmentFile":          {"-/etc/default/ldirectord"},
			"ExecStart":                {"/usr/sbin/ldirectord --foreground $CONFIG_FILE start"},
			"ExecReload":               {"/usr/sbin/ldirectord $CONFIG_FILE reload"},
			"WatchdogSec":              {"30s"},
			"Restart":                  {"on-failure"},
			"RestartPreventExitStatus": {"2"},
			"KillMode":                 {"mixed"},
		},
		"Install": {"WantedBy": {"multi-user.target"}},
	},
	"ldirectord@.service": {
		"Service": {
			"Type":                     {"notify"},
			"NotifyAccess":             {"main"},
			"ExecStart":                {"/usr/sbin/ldirectord --foreground %i start"},
			"ExecReload":               {"/usr/sbin/ldirectord %i reload"},
			"WatchdogSec":              {"30s"},
			"Restart":                  {"on-failure"},
			"RestartPreventExitStatus": {"2"},
			"KillMode":                 {"mixed"},
		},
		"Install": {"WantedBy": {"multi-user.target"}},
	},
}

func TestUnitKeys(t *testing.T) {
	for name, sections := range unitWant {
		t.Run(name, func(t *testing.T) {
			u := parseUnit(t, filepath.Join(repoRoot, "etc/systemd", name))
			for section, keys := range sections {
				for k, want := range keys {
					if diff := cmp.Diff(want, u[section][k]); diff != "" {
						t.Errorf("[%s] %s (-want +got):\n%s", section, k, diff)
					}
				}
			}
			after := strings.Join(u["Unit"]["After"], " ")
			if !strings.Contains(after, "network-online.target") {
				t.Errorf("[Unit] After=%q lacks network-online.target", after)
			}
		})
	}
}

// TestUnitsVerify runs systemd-analyze verify on the installed units in a
// DESTDIR root that also holds the targets they name and /bin/kill.
func TestUnitsVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; TestUnitKeys still checks the units")
	}
	root := t.TempDir()
	makeTarget(t, "install", root)
	unitDir := filepath.Join(root, "lib/systemd/system")
	targets, _ := filepath.Glob("/lib/systemd/system/*.target")
	if len(targets) == 0 {
		t.Skip("no systemd targets in /lib/systemd/system to verify against")
	}
	for _, tg := range targets {
		copyFile(t, tg, filepath.Join(unitDir, filepath.Base(tg)), 0o644)
	}
	kill, err := exec.LookPath("kill")
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, kill, filepath.Join(root, "usr/bin/kill"), 0o755)
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	units := []string{"hbd.service", "ldirectord.service", "ldirectord@web.cf.service"}
	argv := []string{sa, "verify", "--root=" + root}
	for _, u := range units {
		argv = append(argv, filepath.Join(unitDir, u))
	}
	r := runCmd(t, root, nil, argv...)
	// verify exits 0 on mere warnings (unknown keys, bad values): any
	// output is a failure.
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("systemd-analyze verify: %s", r)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b), mode)
}
