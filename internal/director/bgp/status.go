package bgp

import (
	"net/netip"
	"time"
)

// Session is one configured BGP session as the speaker sees it, for
// ldirectord's status and metrics.
type Session struct {
	Peer netip.Addr `json:"peer"`
	ASN  uint32     `json:"asn"`
	// State is the session's BGP finite-state-machine state in lower case
	// ("idle", "connect", "active", "opensent", "openconfirm",
	// "established"); "idle" before the speaker started.
	State string `json:"state"`
	// Since is when the session last entered or left "established" (zero:
	// never).
	Since time.Time `json:"since,omitzero"`
}

// Established reports whether the session is up.
func (s Session) Established() bool { return s.State == "established" }

// Status is route health injection's state: whether the speaker runs, the
// routes it originates, and its sessions.
type Status struct {
	Started   bool           `json:"started"`
	Announced []netip.Prefix `json:"announced"`
	Sessions  []Session      `json:"sessions"`
}
