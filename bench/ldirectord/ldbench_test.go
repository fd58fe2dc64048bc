package ldbench

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runStandin runs the stand-in on a temporary state file.
func runStandin(t *testing.T, dir string, args ...string) (string, int) {
	t.Helper()
	t.Setenv(StandinStateEnv, filepath.Join(dir, "state"))
	t.Setenv(StandinLogEnv, filepath.Join(dir, "log"))
	var out, errb bytes.Buffer
	rc := Standin(args, &out, &errb)
	return out.String() + errb.String(), rc
}

func TestStandin(t *testing.T) {
	tests := []struct {
		name    string
		calls   [][]string
		wantRCs []int
		want    string // -L -n after the calls
	}{
		{
			name: "add service and reals, edit, delete",
			calls: [][]string{
				{"-A", "-t", "10.0.0.1:80", "-s", "wrr"},
				{"-a", "-t", "10.0.0.1:80", "-r", "127.1.0.1:80", "-g", "-w", "1"},
				{"-a", "-t", "10.0.0.1:80", "-r", "127.1.0.2:80", "-m", "-w", "2"},
				{"-e", "-t", "10.0.0.1:80", "-r", "127.1.0.2:80", "-m", "-w", "0"},
				{"-d", "-t", "10.0.0.1:80", "-r", "127.1.0.1:80"},
			},
			wantRCs: []int{0, 0, 0, 0, 0},
			want: "TCP  10.0.0.1:80 wrr\n" +
				"  -> 127.1.0.2:80                 Masq    0      0          0\n",
		},
		{
			name: "kernel-like errors",
			calls: [][]string{
				{"-a", "-t", "10.0.0.1:80", "-r", "127.1.0.1:80", "-g", "-w", "1"},
				{"-A", "-t", "10.0.0.1:80", "-s", "wrr"},
				{"-A", "-t", "10.0.0.1:80", "-s", "wrr"},
				{"-d", "-t", "10.0.0.1:80", "-r", "127.1.0.9:80"},
				{"-Z"},
			},
			wantRCs: []int{1, 0, 1, 1, 2},
			want:    "TCP  10.0.0.1:80 wrr\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var rcs []int
			for _, c := range tc.calls {
				_, rc := runStandin(t, dir, c...)
				rcs = append(rcs, rc)
			}
			if diff := cmp.Diff(tc.wantRCs, rcs); diff != "" {
				t.Errorf("exit codes (-want +got):\n%s", diff)
			}
			out, _ := runStandin(t, dir, "-L", "-n")
			lines := strings.SplitN(out, "\n", 4)
			if diff := cmp.Diff(tc.want, lines[3]); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStandinListingParsesLikePerl checks the listings against the regexes
// of ldirectord 4.12's ld_read_ipvsadm and ld_read_ipvsadm_thresholds.
func TestStandinListingParsesLikePerl(t *testing.T) {
	dir := t.TempDir()
	runStandin(t, dir, "-A", "-t", "10.0.0.1:80", "-s", "wrr")
	runStandin(t, dir, "-a", "-t", "10.0.0.1:80", "-r", "127.1.0.1:80", "-g", "-w", "3", "-x", "7", "-y", "2")
	svc := regexp.MustCompile(`^(\w+)\s+(\d+\.\d+\.\d+\.\d+\:\d+)\s+(\w+)`)
	real := regexp.MustCompile(`^  ->\s+(\d+\.\d+\.\d+\.\d+\:\d+)\s+(\w+)\s+(\d+)`)
	thr := regexp.MustCompile(`^  ->\s+(\d+\.\d+\.\d+\.\d+\:\d+)\s+(\d+)\s+(\d+)\s+(\d+)`)
	out, _ := runStandin(t, dir, "-L", "-n")
	lines := strings.Split(out, "\n")
	if diff := cmp.Diff([]string{"TCP  10.0.0.1:80 wrr", "TCP", "10.0.0.1:80", "wrr"}, svc.FindStringSubmatch(lines[3])); diff != "" {
		t.Errorf("service line (-want +got):\n%s", diff)
	}
	if got := real.FindStringSubmatch(lines[4]); got == nil || got[1] != "127.1.0.1:80" || got[2] != "Route" || got[3] != "3" {
		t.Errorf("real line %q parsed as %q", lines[4], got)
	}
	out, _ = runStandin(t, dir, "-L", "-n", "--thresholds")
	lines = strings.Split(out, "\n")
	if got := thr.FindStringSubmatch(lines[4]); got == nil || got[2] != "7" || got[3] != "2" {
		t.Errorf("threshold line %q parsed as %q", lines[4], got)
	}
	log, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "\n"); n != 4 {
		t.Errorf("log has %d lines, want 4 (every call):\n%s", n, log)
	}
}

func ev(ms int, verb, real string, w int) OpEvent {
	return OpEvent{At: time.Unix(0, int64(ms)*1e6), Verb: verb, Real: real, Weight: w}
}

func TestParseOpLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       OpEvent
		ok         bool
	}{
		{"add", "5000000 rc=0 -a -t 10.0.0.1:80 -r 127.1.0.1:80 -g -w 1", ev(5, "-a", "127.1.0.1", 1), true},
		{"quiesce", "5000000 rc=0 -e -t 10.0.0.1:80 -r 127.1.0.1:80 -g -w 0", ev(5, "-e", "127.1.0.1", 0), true},
		{"delete", "5000000 rc=0 -d -t 10.0.0.1:80 -r 127.1.0.1:80", ev(5, "-d", "127.1.0.1", 1), true},
		{"failed call", "5000000 rc=1 -d -t 10.0.0.1:80 -r 127.1.0.1:80", OpEvent{}, false},
		{"listing", "5000000 rc=0 -L -n", OpEvent{}, false},
		{"garbage", "x", OpEvent{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseOpLine(tc.line)
			if ok != tc.ok || !got.At.Equal(tc.want.At) || got.Verb != tc.want.Verb || got.Real != tc.want.Real || got.Weight != tc.want.Weight {
				t.Errorf("parseOpLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestTableCompleteAndFirstAfter(t *testing.T) {
	// Perl's start-up: add at full weight, delete at once, re-add after the check.
	evs := []OpEvent{
		ev(1, "-a", "a", 1), ev(2, "-d", "a", 0), ev(3, "-a", "b", 1),
		ev(4, "-a", "a", 1), ev(5, "-e", "b", 0), ev(6, "-e", "b", 1), ev(9, "-d", "a", 0),
	}
	tests := []struct {
		name string
		want []string
		at   int
		ok   bool
	}{
		{"both", []string{"a", "b"}, 4, true},
		{"one", []string{"b"}, 3, true},
		{"never", []string{"a", "c"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := TableComplete(evs, tc.want)
			if ok != tc.ok || ok && !at.Equal(time.Unix(0, int64(tc.at)*1e6)) {
				t.Errorf("TableComplete = %v, %v; want %dms, %v", at, ok, tc.at, tc.ok)
			}
		})
	}
	if at, ok := FirstAfter(evs, "b", time.Unix(0, 4e6), true); !ok || !at.Equal(time.Unix(0, 5e6)) {
		t.Errorf("removal of b after 4ms = %v, %v; want 5ms (quiesced)", at, ok)
	}
	if at, ok := FirstAfter(evs, "a", time.Unix(0, 2e6), false); !ok || !at.Equal(time.Unix(0, 4e6)) {
		t.Errorf("re-add of a after 2ms = %v, %v; want 4ms", at, ok)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		q    float64
		want float64
	}{{0.5, 5}, {0.99, 10}, {0.1, 1}} {
		if got := quantile(xs, tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile(nil) = %v, want 0", got)
	}
}
