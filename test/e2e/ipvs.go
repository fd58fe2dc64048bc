package e2e

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
)

// Table is a director's IPVS table as read from the kernel.
type Table []TableService

// TableService is one virtual service and its reals.
type TableService = ipvs.Entry

// Weights maps each real's address to its weight in the service on
// addr:port; ok is false when the table has no such service.
func (tb Table) Weights(vip netip.AddrPort) (map[netip.Addr]int, bool) {
	for _, s := range tb {
		if s.Service.Key.Addr == vip {
			out := map[netip.Addr]int{}
			for _, r := range s.Reals {
				out[r.Addr.Addr()] = r.Weight
			}
			return out, true
		}
	}
	return nil, false
}

// String renders the table like ipvsadm -Ln.
func (tb Table) String() string {
	if len(tb) == 0 {
		return "(empty IPVS table)\n"
	}
	return ipvs.Header + ipvs.FormatText(tb)
}

// Table reads the director's IPVS table (a netlink socket opened inside
// its network namespace).
func (d *Director) Table() (Table, error) {
	var tb Table
	err := d.NS.Do(func() error {
		k, err := ipvs.OpenNetlink()
		if err != nil {
			return err
		}
		defer k.Close()
		svcs, err := k.Services()
		if err != nil {
			return err
		}
		for _, s := range svcs {
			reals, err := k.Reals(s.Key)
			if err != nil {
				return err
			}
			slices.SortFunc(reals, func(a, b ipvs.Real) int { return a.Addr.Compare(b.Addr) })
			tb = append(tb, TableService{Service: s, Reals: reals})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read IPVS table: %w", d.Name, err)
	}
	return tb, nil
}

// Conns reads the director's IPVS connection table (ip_vs_conn_sync: each
// entry says whether the backup sync daemon made it, Origin "SYNC", or
// this node scheduled it, "LOCAL").
func (d *Director) Conns() ([]ipvs.Conn, error) {
	var out []ipvs.Conn
	err := d.NS.Do(func() error {
		var err error
		out, err = ipvs.ReadConns()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return out, nil
}
