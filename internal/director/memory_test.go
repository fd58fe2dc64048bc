package director

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/check"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// BenchmarkEngineMemory reports the heap the engine holds for 10000 reals
// once every real has been checked and added (issue 14: RSS ≤ 64 MB at
// N=10000): the health table, the indexes, the scheduler's state and the
// model of the kernel table, with no check in flight. The checks answer up
// at once and the kernel only counts, so neither adds to the figure; the
// parsed config is made before the baseline and is not counted either.
func BenchmarkEngineMemory(b *testing.B) {
	const n = 10000
	var text strings.Builder
	text.WriteString("checkinterval=3600\nvirtual=10.9.9.9:80\n")
	for i := range n {
		fmt.Fprintf(&text, "\treal=127.77.%d.%d:80 gate 1\n", i/250, 1+i%250)
	}
	text.WriteString("\tservice=http\n\trequest=\"/index.html\"\n\treceive=\"ok\"\n")
	cfg, err := ldcf.Parse("ldirectord.cf", []byte(text.String()), ldcf.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		k := &countingKernel{}
		d := New(Config{
			Kernel:   k,
			Checkers: check.Registry{{Type: ldcf.CheckNegotiate, Service: "http"}: upChecker{}},
			Logger:   slog.New(slog.DiscardHandler), Jitter: func(time.Duration) time.Duration { return 0 },
			Hostname: "lb1", User: "root", RunCommand: func(context.Context, []string) error { return nil },
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx, cfg) }()
		for deadline := time.Now().Add(time.Minute); k.reals.Load() < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d reals added after a minute", k.reals.Load(), n)
			}
		}
		time.Sleep(100 * time.Millisecond) // the last results' bookkeeping
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/real")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		cancel()
		<-done
		runtime.KeepAlive(d)
	}
}

// upChecker reports every real up at once.
type upChecker struct{}

func (upChecker) Check(context.Context, check.Target) check.Result { return check.Result{Up: true} }

// countingKernel accepts every change, keeps no table and counts the reals
// added.
type countingKernel struct{ reals atomic.Int64 }

var _ ipvs.Kernel = (*countingKernel)(nil)

func (*countingKernel) Services() ([]ipvs.Service, error)          { return nil, nil }
func (*countingKernel) Reals(ipvs.ServiceKey) ([]ipvs.Real, error) { return nil, nil }
func (*countingKernel) AddService(ipvs.Service) error              { return nil }
func (*countingKernel) UpdateService(ipvs.Service) error           { return nil }
func (*countingKernel) DelService(ipvs.ServiceKey) error           { return nil }
func (k *countingKernel) AddReal(ipvs.ServiceKey, ipvs.Real) error {
	k.reals.Add(1)
	return nil
}
func (*countingKernel) UpdateReal(ipvs.ServiceKey, ipvs.Real) error   { return nil }
func (*countingKernel) DelReal(ipvs.ServiceKey, netip.AddrPort) error { return nil }
