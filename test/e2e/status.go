package e2e

import (
	"context"
	"encoding/json"
	"fmt"
)

// hbdReport is `hbd status --json`: the process, and the cluster as the
// running hbd sees it.
type hbdReport struct {
	Running bool       `json:"running"`
	Pid     int        `json:"pid"`
	Cluster *HBDStatus `json:"cluster"`
}

// HBDStatus is the part of the cluster in `hbd status --json` the
// scenario reads.
type HBDStatus struct {
	Node      string `json:"node"`
	State     string `json:"state"`
	Resources string `json:"resources"` // none, local, foreign, all
	Nodes     []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"nodes"`
	Groups []struct {
		Owner string `json:"owner"`
		Phase string `json:"phase"`
		// Details is each resource's own status line (the sync daemons
		// of LVSSyncDaemonSwap), narrated, never asserted.
		Details map[string]string `json:"details"`
	} `json:"groups"`
}

// Owner is the owner of the first resource group ("" when none).
func (s HBDStatus) Owner() string {
	if len(s.Groups) == 0 {
		return ""
	}
	return s.Groups[0].Owner
}

// ldReport is `ldirectord status --json`.
type ldReport struct {
	Running bool     `json:"running"`
	Pid     int      `json:"pid"`
	Status  LdStatus `json:"status"`
}

// LdStatus is the part of the daemon's status in `ldirectord status
// --json` the scenario reads.
type LdStatus struct {
	Virtuals []struct {
		Service  string `json:"service"`
		InKernel bool   `json:"in_kernel"`
		Reals    []struct {
			Addr         string `json:"addr"`
			KernelWeight *int   `json:"kernel_weight"`
			State        string `json:"state"`
		} `json:"reals"`
	} `json:"virtuals"`
}

// StatusJSON runs `hbd status --json` in the director.
func (d *Director) StatusJSON(ctx context.Context) (HBDStatus, error) {
	out, code, err := d.HBD(ctx, "status", "--json")
	if err != nil {
		return HBDStatus{}, err
	}
	if code != 0 {
		return HBDStatus{}, fmt.Errorf("%s: hbd status --json: exit %d: %s", d.Name, code, out)
	}
	var rep hbdReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return HBDStatus{}, fmt.Errorf("%s: hbd status --json: %w: %q", d.Name, err, out)
	}
	if rep.Cluster == nil {
		return HBDStatus{}, fmt.Errorf("%s: hbd status --json: no cluster status: %q", d.Name, out)
	}
	return *rep.Cluster, nil
}

// LdStatusJSON runs `ldirectord ldirectord.cf status --json` in the
// director; running is false (and the status zero) when ldirectord says
// it is stopped (exit 3).
func (d *Director) LdStatusJSON(ctx context.Context) (st LdStatus, running bool, err error) {
	out, code, err := d.Ldirectord(ctx, "status", "--json")
	if err != nil {
		return st, false, err
	}
	switch code {
	case 0:
	case 3:
		return st, false, nil
	default:
		return st, false, fmt.Errorf("%s: ldirectord status --json: exit %d: %s", d.Name, code, out)
	}
	var rep ldReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return st, true, fmt.Errorf("%s: ldirectord status --json: %w: %q", d.Name, err, out)
	}
	return rep.Status, rep.Running, nil
}
