package director

// This file is the director's only caller of ipvs.Kernel.

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// ReadKernel reads the whole kernel table. A service that vanishes between
// the two listings is skipped.
func ReadKernel(k ipvs.Kernel) (Table, error) {
	svcs, err := k.Services()
	if err != nil {
		return nil, fmt.Errorf("read ipvs table: %w", err)
	}
	t := make(Table, len(svcs))
	for _, s := range svcs {
		reals, err := k.Reals(s.Key)
		if errors.Is(err, syscall.ESRCH) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read ipvs table: %w", err)
		}
		ds := DesiredService{Service: s, Reals: make(map[netip.AddrPort]ipvs.Real, len(reals))}
		for _, r := range reals {
			ds.Reals[r.Addr] = r
		}
		t[s.Key] = ds
	}
	return t, nil
}

// ApplyOp performs op on the kernel.
func ApplyOp(k ipvs.Kernel, op Op) error {
	switch op.Kind {
	case AddService:
		return k.AddService(op.Service)
	case UpdateService:
		return k.UpdateService(op.Service)
	case DelService:
		return k.DelService(op.Service.Key)
	case AddReal:
		return k.AddReal(op.Service.Key, op.Real)
	case UpdateReal:
		return k.UpdateReal(op.Service.Key, op.Real)
	case DelReal:
		return k.DelReal(op.Service.Key, op.Real.Addr)
	}
	return fmt.Errorf("apply %s: unknown op kind", op)
}
