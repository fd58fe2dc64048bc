package director

import (
	"net/netip"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// Status is a value snapshot of the director for `ldirectord status`.
type Status struct {
	Virtuals []VirtualStatus `json:"virtuals"`
	// LastSync is when the last full diff ran; SyncError the error that
	// left the table unreconciled since, if any.
	LastSync  time.Time `json:"last_sync,omitzero"`
	SyncError string    `json:"sync_error,omitempty"`
}

// VirtualStatus is one virtual service.
type VirtualStatus struct {
	Name        string         `json:"name"`    // ldirectord's id: "tcp:10.1.1.10:80", "fwm:80"
	Service     string         `json:"service"` // ipvsadm -Ln line: "TCP  10.1.1.10:80 wrr"
	Protocol    string         `json:"protocol"`
	Addr        string         `json:"addr,omitempty"`
	FWMark      uint32         `json:"fwmark,omitempty"`
	Scheduler   string         `json:"scheduler"`
	Persistent  uint32         `json:"persistent,omitempty"` // seconds
	NetmaskBits uint8          `json:"netmask_bits"`
	Flags       uint32         `json:"flags"`
	CheckType   string         `json:"checktype"`
	Quiescent   bool           `json:"quiescent"`
	InKernel    bool           `json:"in_kernel"`
	Created     bool           `json:"created"` // the director added the service (cleanstop deletes it)
	FallbackCmd string         `json:"fallback_command_status,omitempty"`
	Reals       []RealStatus   `json:"reals"`
	Fallback    *FallbackState `json:"fallback,omitempty"`
}

// RealStatus is one real server of a virtual.
type RealStatus struct {
	Addr          string    `json:"addr"` // kernel address (after port rewrite)
	Forward       string    `json:"forward"`
	Weight        int       `json:"weight"`         // configured
	DesiredWeight *int      `json:"desired_weight"` // nil: should be absent (or pending)
	KernelWeight  *int      `json:"kernel_weight"`  // nil: absent from the director's view of the kernel
	State         State     `json:"state"`
	LastResult    string    `json:"last_result,omitempty"` // "up", "down", "" before the first check
	LastError     string    `json:"last_error,omitempty"`
	LastCheck     time.Time `json:"last_check,omitzero"`
	LastChange    time.Time `json:"last_change,omitzero"`
	Failures      int       `json:"failures"` // consecutive
	Reason        string    `json:"reason,omitempty"`
}

// FallbackState is a virtual's fallback server.
type FallbackState struct {
	Addr         string `json:"addr"`
	Forward      string `json:"forward"`
	Active       bool   `json:"active"` // desired in the table
	KernelWeight *int   `json:"kernel_weight"`
}

func (e *engine) status() Status {
	st := Status{LastSync: e.lastSync, SyncError: e.syncErr}
	for _, v := range e.cfg.Virtuals {
		st.Virtuals = append(st.Virtuals, e.virtualStatus(v))
	}
	return st
}

func (e *engine) virtualStatus(v *ldcf.Virtual) VirtualStatus {
	ds := DesiredVirtual(v, e.health)
	s := ds.Service
	have, inKernel := e.known[s.Key]
	vs := VirtualStatus{
		Name: virtualID(v), Service: ipvs.ServiceLine(s), Protocol: v.Protocol, FWMark: v.FWMark,
		Scheduler: s.Scheduler, Persistent: s.Timeout, NetmaskBits: s.NetmaskBits, Flags: s.Flags,
		CheckType: string(v.CheckType), Quiescent: v.Quiescent, InKernel: inKernel,
		Created: e.owned[s.Key].Created, FallbackCmd: e.fbCmd[s.Key], Reals: []RealStatus{},
	}
	if v.FWMark == 0 {
		vs.Addr = v.Addr.String()
	}
	for _, r := range v.Reals {
		kr := RealFor(v, r)
		rs := RealStatus{
			Addr: kr.Addr.String(), Forward: kr.Forward.String(), Weight: r.Weight,
			DesiredWeight: weightOf(ds.Reals, kr.Addr), KernelWeight: weightOf(have.Reals, kr.Addr),
			State: lineState(v, CheckKeyFor(v, r), e.health),
		}
		if h, ok := e.health.Get(CheckKeyFor(v, r)); ok && v.CheckType != ldcf.CheckOn && v.CheckType != ldcf.CheckOff {
			rs.LastResult = map[bool]string{true: "up", false: "down"}[h.LastUp]
			rs.LastError, rs.LastCheck, rs.LastChange = h.LastErr, h.LastCheck, h.LastChange
			rs.Failures, rs.Reason = h.Failures, h.Reason
		}
		vs.Reals = append(vs.Reals, rs)
	}
	if fb, ok := FallbackFor(v); ok {
		_, active := ds.Reals[fb.Addr]
		vs.Fallback = &FallbackState{Addr: fb.Addr.String(), Forward: fb.Forward.String(), Active: active,
			KernelWeight: weightOf(have.Reals, fb.Addr)}
	}
	return vs
}

func weightOf(m map[netip.AddrPort]ipvs.Real, a netip.AddrPort) *int {
	if r, ok := m[a]; ok {
		w := r.Weight
		return &w
	}
	return nil
}
