package ldbench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
)

// Role runs one helper role of the bench program: "farm" or "engine",
// with its flags. It returns the process exit code.
func Role(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "ldbench: role farm|engine")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var err error
	switch args[0] {
	case "farm":
		n := fs.Int("n", 100, "reals")
		base := fs.String("base", "127.1", "address prefix")
		port := fs.Uint("port", 80, "port")
		ctl := fs.String("ctl", "127.0.0.1:18081", "control address")
		any := fs.Bool("anyip", false, "one wildcard listener")
		if err = fs.Parse(args[1:]); err == nil {
			err = NewFarm(*base, *n, uint16(*port), *any).Run(ctx, *ctl)
		}
	case "engine":
		var c EngineConfig
		fs.StringVar(&c.ConfigPath, "config", "", "ldirectord.cf")
		fs.StringVar(&c.OpLog, "oplog", "", "change log")
		fs.StringVar(&c.LogFile, "log", os.DevNull, "director log")
		fs.BoolVar(&c.Netlink, "netlink", false, "real IPVS")
		prof := fs.String("cpuprofile", "", "write a CPU profile here")
		sigProf := fs.String("cpuprofile-signal", "", "write a CPU profile here between SIGUSR1 and SIGUSR2")
		memProf := fs.String("memprofile", "", "write a heap profile here, -memprofile-after the start")
		memAfter := fs.Duration("memprofile-after", 10*time.Second, "when to write -memprofile")
		if err = fs.Parse(args[1:]); err == nil {
			daemon.OneProc() // as cmd/ldirectord's main
			stopProf := startProfile(*prof)
			if *sigProf != "" {
				defer signalProfile(ctx, *sigProf)()
			}
			if *memProf != "" {
				time.AfterFunc(*memAfter, func() { writeHeapProfile(*memProf) })
			}
			err = RunEngine(ctx, c)
			stopProf()
		}
	default:
		err = fmt.Errorf("unknown role %q", args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "ldbench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// writeHeapProfile writes the heap profile to path ("" = none), and
// beside it, in path+".memstats", where the process's memory goes: the
// heap, the goroutine stacks, what the runtime holds from the system, and
// (after a forced collection) the live heap.
func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	if f, err := os.Create(path); err == nil {
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	const mb = 1 << 20
	text := fmt.Sprintf("goroutines %d\nheap_alloc_mb %.1f\nheap_inuse_mb %.1f\nheap_idle_mb %.1f\nheap_released_mb %.1f\nstack_inuse_mb %.1f\nsys_mb %.1f\nnum_gc %d\n",
		runtime.NumGoroutine(), float64(m.HeapAlloc)/mb, float64(m.HeapInuse)/mb, float64(m.HeapIdle)/mb, float64(m.HeapReleased)/mb,
		float64(m.StackInuse)/mb, float64(m.Sys)/mb, m.NumGC)
	runtime.GC() // what is live: the heap a collection cannot free
	runtime.ReadMemStats(&m)
	text += fmt.Sprintf("heap_live_mb %.1f\n", float64(m.HeapAlloc)/mb)
	os.WriteFile(path+".memstats", []byte(text), 0o644)
}

// startProfile starts a CPU profile to path ("" = none) and returns its stop.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// signalProfile profiles the CPU from SIGUSR1 to SIGUSR2 into path: the
// in-VM profile (TestVMProfile) covers the steady window only, not the
// start-up. The returned func stops listening.
func signalProfile(ctx context.Context, path string) func() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop := func() {}
		for {
			select {
			case <-ctx.Done():
				stop()
				return
			case s := <-sig:
				if s == syscall.SIGUSR1 {
					stop()
					stop = startProfile(path)
				} else {
					stop()
					stop = func() {}
				}
			}
		}
	}()
	return func() { signal.Stop(sig); cancel(); <-done }
}
