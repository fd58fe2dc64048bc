//go:build bench

package failover

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/interop"
)

// benchConfig is what the environment asks of TestFailoverBench.
//
//	QUICK=1                   3 trials per set, a 15 s load window
//	FAILOVER_TRIALS=N         trials per set (10; 0 runs only the load test)
//	FAILOVER_PROFILES=a,b     profile names (all of Profiles)
//	FAILOVER_IMPLS=hbd,heartbeat
//	FAILOVER_LOAD=60s         load window (0 skips the load test)
//	FAILOVER_BUSY=4           busy-loop processes during the load window
//	FAILOVER_CPU=30s          idle CPU window per run (QUICK: 10 s; 0 skips)
//	FAILOVER_CPU_ROUNDS=3     rounds of the idle CPU runs (one hbd, one Heartbeat)
//	FAILOVER_OUT=path         the JSON file (bench/results/failover-<date>.json)
//	FAILOVER_HBD_REV=rev      hbd's revision for the report
type benchConfig struct {
	quick    bool
	trials   int
	profiles []Profile
	impls    []interop.Impl
	load     time.Duration
	busy     int
	cpu      time.Duration
	rounds   int
	out      string
	rev      string
}

func configFromEnv(t *testing.T, now time.Time) benchConfig {
	t.Helper()
	c := benchConfig{quick: os.Getenv("QUICK") == "1", trials: 10, load: time.Minute, busy: 4,
		impls: []interop.Impl{interop.HBD, interop.Heartbeat}, profiles: Profiles, cpu: 30 * time.Second, rounds: MinCPURounds,
		out: filepath.Join("..", "results", "failover-"+now.Format("2006-01-02")+".json"), rev: "unknown"}
	if c.quick {
		c.trials, c.load, c.cpu = 3, 15*time.Second, 10*time.Second
	}
	var err error
	if v := os.Getenv("FAILOVER_TRIALS"); v != "" {
		if c.trials, err = strconv.Atoi(v); err != nil || c.trials < 0 {
			t.Fatalf("FAILOVER_TRIALS=%q: want a count (0: only the load test)", v)
		}
	}
	if v := os.Getenv("FAILOVER_LOAD"); v != "" {
		if c.load, err = time.ParseDuration(v); err != nil {
			t.Fatalf("FAILOVER_LOAD=%q: %v", v, err)
		}
	}
	if v := os.Getenv("FAILOVER_CPU"); v != "" {
		if c.cpu, err = time.ParseDuration(v); err != nil {
			t.Fatalf("FAILOVER_CPU=%q: %v", v, err)
		}
	}
	if v := os.Getenv("FAILOVER_CPU_ROUNDS"); v != "" {
		if c.rounds, err = strconv.Atoi(v); err != nil || c.rounds < 1 {
			t.Fatalf("FAILOVER_CPU_ROUNDS=%q: want a positive count", v)
		}
	}
	if v := os.Getenv("FAILOVER_BUSY"); v != "" {
		if c.busy, err = strconv.Atoi(v); err != nil || c.busy < 1 {
			t.Fatalf("FAILOVER_BUSY=%q: want a positive integer", v)
		}
	}
	if v := os.Getenv("FAILOVER_PROFILES"); v != "" {
		c.profiles = nil
		for name := range strings.SplitSeq(v, ",") {
			i := slices.IndexFunc(Profiles, func(p Profile) bool { return p.Name == name })
			if i < 0 {
				t.Fatalf("FAILOVER_PROFILES: unknown profile %q", name)
			}
			c.profiles = append(c.profiles, Profiles[i])
		}
	}
	if v := os.Getenv("FAILOVER_IMPLS"); v != "" {
		c.impls = nil
		for name := range strings.SplitSeq(v, ",") {
			switch name {
			case "hbd":
				c.impls = append(c.impls, interop.HBD)
			case "heartbeat":
				c.impls = append(c.impls, interop.Heartbeat)
			default:
				t.Fatalf("FAILOVER_IMPLS: unknown implementation %q (want hbd, heartbeat)", name)
			}
		}
	}
	if v := os.Getenv("FAILOVER_OUT"); v != "" {
		c.out = v
	}
	if v := os.Getenv("FAILOVER_HBD_REV"); v != "" {
		c.rev = v
	}
	return c
}

// IdleWindow is the longest idle window before the loaded one: the
// baseline of the counts.
const IdleWindow = 15 * time.Second

// TestFailoverBench measures failover of hbd and of Debian's Heartbeat
// (see the package doc and bench/failover/run.sh) and writes the report.
// hbd failing a trial fails the test; Heartbeat failing one is a result.
func TestFailoverBench(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the failover benchmark needs root (network, mount and pid namespaces)")
	}
	now := time.Now().UTC()
	c := configFromEnv(t, now)
	rep := Report{Date: now.Format(time.RFC3339), Host: host(), HBD: c.rev, Heartbeat: heartbeatVersion(), Quick: c.quick, Method: Method}
	for _, p := range c.profiles {
		for _, impl := range c.impls {
			if c.trials == 0 {
				break
			}
			t.Run(p.Name+"/"+impl.String(), func(t *testing.T) {
				set := Set{Impl: impl.String(), Profile: p}
				set.LoadAvg[0] = loadAvg()
				defer func() { // also after a t.Fatal in the harness
					set.LoadAvg[1] = loadAvg()
					set.Summarize()
					rep.Sets = append(rep.Sets, set)
				}()
				runSet(t, impl, p, c.trials, &set)
				failed := 0
				for _, tr := range set.Trials {
					if tr.Error != "" {
						failed++
					}
				}
				if impl == interop.HBD && (failed > 0 || set.Note != "") {
					t.Errorf("hbd: %d of %d trials failed %s", failed, len(set.Trials), set.Note)
				}
			})
		}
	}
	if i := slices.IndexFunc(Profiles, func(p Profile) bool { return p.Name == LoadProfile }); c.load > 0 && i >= 0 {
		for _, impl := range c.impls {
			t.Run("load/"+impl.String(), func(t *testing.T) {
				run := runLoad(t, impl, Profiles[i], min(c.load, IdleWindow), c.load, c.busy)
				rep.Load = append(rep.Load, run)
				t.Logf("%+v", run)
			})
		}
	}
	if c.cpu > 0 {
		rep.CPU = runCPUs(t, c.impls, c.rounds, c.cpu)
		rep.CPUCompare = CompareCPU(rep.CPU)
	}
	rep.Ratios = Ratios(rep.Sets)
	rep.Targets = Targets(rep, LoadProfile)
	data, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s\n%s", c.out, rep.Markdown())
}

func host() Host {
	h := Host{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		h.Kernel = strings.TrimSpace(string(out))
	}
	return h
}

func heartbeatVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "heartbeat").Output()
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return string(out)
}
