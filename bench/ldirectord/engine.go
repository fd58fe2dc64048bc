package ldbench

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// loggedKernel writes every change that reaches the kernel, with its time,
// in the stand-in's log format ("<unix ns> rc=<0|1> <ipvsadm args>"), so
// the same analysis reads this project's and Perl ldirectord's changes.
type loggedKernel struct {
	ipvs.Kernel
	mu sync.Mutex
	f  *os.File
}

func (k *loggedKernel) log(err error, format string, args ...any) {
	rc := 0
	if err != nil {
		rc = 1
	}
	line := fmt.Sprintf("%d rc=%d %s\n", time.Now().UnixNano(), rc, fmt.Sprintf(format, args...))
	k.mu.Lock()
	k.f.WriteString(line)
	k.mu.Unlock()
}

func svcArg(key ipvs.ServiceKey) string {
	if key.IsFWMark() {
		return fmt.Sprintf("-f %d", key.FWMark)
	}
	return fmt.Sprintf("-%s %s", strings.ToLower(key.Proto.String()[:1]), key.Addr)
}

func fwdArg(f ipvs.Forward) string {
	return map[ipvs.Forward]string{ipvs.Gate: "-g", ipvs.Masq: "-m", ipvs.IPIP: "-i", ipvs.Local: "-g"}[f]
}

func (k *loggedKernel) AddService(s ipvs.Service) error {
	err := k.Kernel.AddService(s)
	k.log(err, "-A %s -s %s", svcArg(s.Key), s.Scheduler)
	return err
}

func (k *loggedKernel) UpdateService(s ipvs.Service) error {
	err := k.Kernel.UpdateService(s)
	k.log(err, "-E %s -s %s", svcArg(s.Key), s.Scheduler)
	return err
}

func (k *loggedKernel) DelService(key ipvs.ServiceKey) error {
	err := k.Kernel.DelService(key)
	k.log(err, "-D %s", svcArg(key))
	return err
}

func (k *loggedKernel) AddReal(key ipvs.ServiceKey, r ipvs.Real) error {
	err := k.Kernel.AddReal(key, r)
	k.log(err, "-a %s -r %s %s -w %d", svcArg(key), r.Addr, fwdArg(r.Forward), r.Weight)
	return err
}

func (k *loggedKernel) UpdateReal(key ipvs.ServiceKey, r ipvs.Real) error {
	err := k.Kernel.UpdateReal(key, r)
	k.log(err, "-e %s -r %s %s -w %d", svcArg(key), r.Addr, fwdArg(r.Forward), r.Weight)
	return err
}

func (k *loggedKernel) DelReal(key ipvs.ServiceKey, a netip.AddrPort) error {
	err := k.Kernel.DelReal(key, a)
	k.log(err, "-d %s -r %s", svcArg(key), a)
	return err
}

// EngineConfig selects what the Go subject runs against.
type EngineConfig struct {
	ConfigPath string // ldirectord.cf
	OpLog      string // change log, stand-in format
	LogFile    string // the director's own log lines
	Netlink    bool   // the real IPVS instead of ipvstest.Kernel
}

// RunEngine runs this project's director on c until ctx is done: the
// subject process of a Go bench point.
func RunEngine(ctx context.Context, c EngineConfig) error {
	cfg, err := ldcf.Load(c.ConfigPath, ldcf.SystemOptions())
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	var k ipvs.Kernel = &ipvstest.Kernel{}
	if c.Netlink {
		nl, err := ipvs.OpenNetlink()
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		defer nl.Close()
		k = nl
	}
	f, err := os.OpenFile(c.OpLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer f.Close()
	lf, err := os.OpenFile(c.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer lf.Close()
	d := director.New(director.Config{
		Kernel: &loggedKernel{Kernel: k, f: f},
		Logger: slog.New(slog.NewTextHandler(lf, nil)),
	})
	return d.Run(ctx, cfg)
}
