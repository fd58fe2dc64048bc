package heartbeat

import "time"

// Status is a snapshot of a node's view of the cluster, for `hbd status`,
// cl_status and the JSON output. Durations are milliseconds.
type Status struct {
	Node         string            `json:"node"`
	Peer         string            `json:"peer"`
	State        string            `json:"state"` // own st= word: up, active
	Generation   uint64            `json:"generation"`
	StartedAt    time.Time         `json:"started_at"`
	AutoFailback string            `json:"auto_failback"` // on, off, legacy
	KeepaliveMs  int64             `json:"keepalive_ms"`
	DeadtimeMs   int64             `json:"deadtime_ms"`
	WarntimeMs   int64             `json:"warntime_ms"`
	InitdeadMs   int64             `json:"initdead_ms"`
	Resources    string            `json:"resources"` // cl_status rscstatus: none, local, foreign, all
	Standby      string            `json:"standby,omitempty"`
	Nodes        []NodeStatus      `json:"nodes"`
	Groups       []GroupStatus     `json:"groups"`
	Drops        map[string]uint64 `json:"drops,omitempty"`       // dropped packets by reason
	IPfail       *IPfailStatus     `json:"ipfail,omitempty"`      // nil: ipfail not enabled
	PeerConfig   string            `json:"peer_config,omitempty"` // the peer's haresources compared with ours; "" before
}

// IPfailStatus is the built-in ipfail's state.
type IPfailStatus struct {
	PingNodesUp      int       `json:"ping_nodes_up"` // ping nodes of status ping, as compared with the peer
	PingNodes        int       `json:"ping_nodes"`
	GiveUp           string    `json:"give_up,omitempty"` // a pending give-up: all, foreign
	GiveUpAt         time.Time `json:"give_up_at,omitzero"`
	WaitingForStable bool      `json:"waiting_for_stable,omitempty"` // a give-up came due in transition
	PeerStable       bool      `json:"peer_stable"`
}

// Node types, as cl_status nodetype says them.
const (
	NodeTypeNormal = "normal"
	NodeTypePing   = "ping"
)

// NodeStatus is one cluster node as seen from here.
type NodeStatus struct {
	Name       string       `json:"name"`
	Type       string       `json:"type"`   // normal, ping
	Status     string       `json:"status"` // init, up, active, dead; ping nodes: init, ping, dead
	Local      bool         `json:"local,omitempty"`
	Generation uint64       `json:"generation,omitempty"`
	DeadtimeMs int64        `json:"deadtime_ms,omitempty"` // the dead time applied to the node
	Links      []LinkStatus `json:"links"`
	Addrs      []string     `json:"addrs,omitempty"` // ping nodes: the addresses pinged
}

// LinkStatus is one heartbeat link of a node.
type LinkStatus struct {
	Name      string    `json:"name"`
	Status    string    `json:"status"` // up, dead
	LastHeard time.Time `json:"last_heard,omitzero"`
}

// GroupStatus is one haresources group.
type GroupStatus struct {
	Key        string   `json:"key"`
	Preferred  string   `json:"preferred"`
	Owner      string   `json:"owner"`                 // node name, or "" when nobody holds it
	Phase      string   `json:"phase"`                 // here: stopped, starting, running, stopping
	Failed     bool     `json:"failed,omitempty"`      // its last start failed
	StopFailed bool     `json:"stop_failed,omitempty"` // a stop left resources running: held, stop retried
	Resources  []string `json:"resources"`
	// Details are what some resources say beyond running or stopped
	// (LVSSyncDaemonSwap: the sync daemons), keyed by resource; filled in
	// by cmd/hbd from resources.Manager.Describe, not by the engine.
	Details map[string]string `json:"details,omitempty"`
}
