package main

// Connection sync (LVSSyncDaemonSwap): the kernel's sync-daemon control is
// opened only when haresources names the resource, so hbd runs on kernels
// without IPVS otherwise; and status details from the resource agents.

import (
	"context"
	"fmt"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// openSync opens the sync-daemon control when a group has an
// LVSSyncDaemonSwap resource; nil otherwise.
func openSync(groups []resources.Group) (*ipvs.SyncNetlink, error) {
	for _, g := range groups {
		for _, r := range g.Resources {
			if r.Name != resources.AgentLVSSync {
				continue
			}
			s, err := ipvs.OpenSyncNetlink()
			if err != nil {
				return nil, fmt.Errorf("haresources line %d: %s needs the kernel's IPVS: %w", r.Line, resources.AgentLVSSync, err)
			}
			return s, nil
		}
	}
	return nil, nil
}

func closeSync(s *ipvs.SyncNetlink) {
	if s != nil {
		s.Close()
	}
}

// resourceDetails answers the status details of the groups' resources.
type resourceDetails struct {
	mgr    *resources.Manager
	groups []resources.Group
}

// addDetails fills GroupStatus.Details from the resource agents.
func addDetails(ctx context.Context, st *heartbeat.Status, rd resourceDetails) {
	if rd.mgr == nil {
		return
	}
	for i := range st.Groups {
		for _, g := range rd.groups {
			if g.Key() != st.Groups[i].Key {
				continue
			}
			if d := rd.mgr.Describe(ctx, g); len(d) > 0 {
				st.Groups[i].Details = d
			}
		}
	}
}
