package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    invocation
		wantErr string
	}{
		{name: "verb only", args: []string{"start"}, want: invocation{verb: "start", args: []string{"start"}}},
		{name: "config and verb", args: []string{"www.cf", "status"}, want: invocation{config: "www.cf", verb: "status", args: []string{"www.cf", "status"}}},
		{name: "debug", args: []string{"-d", "start"}, want: invocation{debug: true, verb: "start", args: []string{"start"}}},
		{name: "long debug and --", args: []string{"--debug", "--", "x.cf", "stop"}, want: invocation{debug: true, config: "x.cf", verb: "stop", args: []string{"x.cf", "stop"}}},
		{name: "foreground", args: []string{"--foreground", "x.cf", "start"}, want: invocation{foreground: true, config: "x.cf", verb: "start", args: []string{"x.cf", "start"}}},
		{name: "rundir", args: []string{"--rundir", "/tmp/r", "reload"}, want: invocation{rundir: "/tmp/r", verb: "reload", args: []string{"reload"}}},
		{name: "rundir=", args: []string{"--rundir=/tmp/r", "force-reload"}, want: invocation{rundir: "/tmp/r", verb: "force-reload", args: []string{"force-reload"}}},
		{name: "status --json", args: []string{"status", "--json"}, want: invocation{json: true, verb: "status", args: []string{"status"}}},
		{name: "check verb", args: []string{"a.cf", "check"}, want: invocation{config: "a.cf", verb: "check", args: []string{"a.cf", "check"}}},
		{name: "-t alone", args: []string{"-t"}, want: invocation{verb: "check", args: []string{"check"}}},
		{name: "-t with config", args: []string{"-t", "a.cf"}, want: invocation{config: "a.cf", verb: "check", args: []string{"a.cf", "check"}}},
		{name: "-t and check", args: []string{"-t", "a.cf", "check"}, want: invocation{config: "a.cf", verb: "check", args: []string{"a.cf", "check"}}},
		{name: "version", args: []string{"-v"}, want: invocation{version: true}},
		{name: "help", args: []string{"--help"}, want: invocation{help: true}},
		{name: "no verb", args: nil, wantErr: "no command given"},
		{name: "bad verb", args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "bad verb after config", args: []string{"a.cf", "begin"}, wantErr: `unknown command "begin"`},
		{name: "too many", args: []string{"a", "b", "start"}, wantErr: "too many arguments: a b start"},
		{name: "bad option", args: []string{"-x", "start"}, wantErr: `unknown option "-x"`},
		{name: "rundir without dir", args: []string{"start", "--rundir"}, wantErr: "--rundir needs a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseArgs(tc.args)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("parseArgs(%q) error = %v, want %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(invocation{})); diff != "" {
				t.Errorf("parseArgs(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestResolveConfig follows ld_init's search: etc/<name>, etc/conf/<name>,
// then the name as a path; the instance name is the argument's basename.
func TestResolveConfig(t *testing.T) {
	etc := t.TempDir()
	cwd := t.TempDir()
	t.Chdir(cwd)
	for _, f := range []string{
		filepath.Join(etc, "ldirectord.cf"), filepath.Join(etc, "both.cf"), filepath.Join(etc, "conf", "both.cf"),
		filepath.Join(etc, "conf", "web.cf"), filepath.Join(cwd, "local.cf"), filepath.Join(cwd, "sub", "x.cf"),
	} {
		writeFile(t, f, "")
	}
	if err := os.MkdirAll(filepath.Join(etc, "dir.cf"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, arg         string
		wantPath, wantCfg string
		wantErr           string
	}{
		{name: "default", arg: "", wantPath: filepath.Join(etc, "ldirectord.cf"), wantCfg: "ldirectord"},
		{name: "etc first", arg: "both.cf", wantPath: filepath.Join(etc, "both.cf"), wantCfg: "both.cf"},
		{name: "then conf", arg: "web.cf", wantPath: filepath.Join(etc, "conf", "web.cf"), wantCfg: "web.cf"},
		{name: "then a relative path", arg: "local.cf", wantPath: "local.cf", wantCfg: "local.cf"},
		{name: "relative path with dir", arg: "sub/x.cf", wantPath: "sub/x.cf", wantCfg: "x.cf"},
		{name: "absolute", arg: filepath.Join(cwd, "local.cf"), wantPath: filepath.Join(cwd, "local.cf"), wantCfg: "local.cf"},
		{name: "directory is not a file", arg: "dir.cf", wantErr: "Config file dir.cf not found"},
		{name: "missing", arg: "nope.cf", wantErr: "Config file nope.cf not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := resolveConfig(tc.arg, etc, "/run")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{inst.config, inst.name, inst.pid.Path, inst.sock}
			want := []string{tc.wantPath, tc.wantCfg, "/run/ldirectord." + tc.wantCfg + ".pid", "/run/ldirectord." + tc.wantCfg + ".sock"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("resolveConfig(%q) (-want +got):\n%s", tc.arg, diff)
			}
		})
	}
}

// TestUsageAndVersion pins the exit codes of the command line itself.
func TestUsageAndVersion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // prefix
		wantStderr string // substring
	}{
		{name: "version", args: []string{"-v"}, wantCode: exitOK, wantStdout: versionText + "\nldirectord "},
		{name: "version -V", args: []string{"-V"}, wantCode: exitOK, wantStdout: versionText + "\nldirectord "},
		{name: "version --version", args: []string{"--version"}, wantCode: exitOK, wantStdout: versionText + "\nldirectord "},
		{name: "help", args: []string{"-h"}, wantCode: exitOK, wantStdout: "Usage: ldirectord"},
		{name: "no command", args: nil, wantCode: exitUsage, wantStderr: "ldirectord: no command given\nUsage: ldirectord"},
		{name: "bad command", args: []string{"bogus"}, wantCode: exitUsage, wantStderr: `unknown command "bogus"`},
		{name: "missing config", args: []string{"--rundir", t.TempDir(), "/nonexistent/x.cf", "status"}, wantCode: exitInit, wantStderr: "Config file /nonexistent/x.cf not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := run(tc.args, &out, &errb, deps{EtcDir: t.TempDir()})
			if code != tc.wantCode || !strings.HasPrefix(out.String(), tc.wantStdout) || !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, stdout prefix %q, stderr containing %q",
					tc.args, code, out.String(), errb.String(), tc.wantCode, tc.wantStdout, tc.wantStderr)
			}
		})
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
