package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// GroupRunner starts and stops resource groups; *resources.Manager is the
// real one.
//
// Concurrency: the engine calls it from one goroutine per group operation,
// never two operations on the same group at once. Calls may block for the
// duration of the scripts and must return when ctx ends.
type GroupRunner interface {
	Acquire(ctx context.Context, g resources.Group) resources.Result
	Release(ctx context.Context, g resources.Group) resources.Result
}

var _ GroupRunner = (*resources.Manager)(nil)

// Tickler keeps a watchdog from firing. Called from the loop goroutine
// only; must not block.
type Tickler interface {
	Tickle() error
}

var _ Tickler = (*Watchdog)(nil)

// GroupPreparer manages the standby roles of groups (resources.Preparer:
// LVSSyncDaemonSwap's backup sync daemon) and says how long the peer must
// have been up before a planned move; *resources.Manager is the real one.
type GroupPreparer interface {
	Prepare(ctx context.Context, g resources.Group) error
	Retire(ctx context.Context, g resources.Group) error
	HandOverDelay(g resources.Group) time.Duration
}

var _ GroupPreparer = (*resources.Manager)(nil)

// GroupVIPs owns the groups' VIP effects outside a start or stop;
// *resources.Manager is the real one. Sweep removes at start the VIPs a
// killed predecessor left of a group this node does not hold; Reannounce
// re-sends gratuitous ARP for a group kept after a split brain and returns
// when the bursts are sent or ctx ends.
//
// Concurrency: Sweep is called from Run before the loop starts;
// Reannounce from one goroutine per call, possibly beside a group
// operation on another group.
type GroupVIPs interface {
	Sweep(ctx context.Context, g resources.Group) ([]resources.Addr, error)
	Reannounce(ctx context.Context, g resources.Group) error
}

var _ GroupVIPs = (*resources.Manager)(nil)

// Config configures a Node.
type Config struct {
	HaCf   *hacf.Config
	Keys   *hacf.AuthKeys
	Groups []resources.Group // haresources; every group's Node is one of HaCf.Nodes
	Local  string            // this node's name, one of HaCf.Nodes (hacf.Config.LocalNode)

	Transport Transport
	Runner    GroupRunner
	// Preparer, when set, puts every group's standby roles in place at
	// start (before the first heartbeat), removes them after a clean
	// shutdown, and delays planned moves to a peer that came up less than
	// HandOverDelay ago (handover.go).
	Preparer GroupPreparer
	// Monitor, when set, checks the built-in resources of every group that
	// runs here each MonitorInterval (0: DefaultMonitorInterval; negative:
	// never) and restarts those that stopped; a group needing more than
	// MaxRestarts restarts within RestartWindow (0: the defaults) is given
	// up to the peer (monitor.go).
	Monitor         GroupMonitor
	MonitorInterval time.Duration
	MaxRestarts     int
	RestartWindow   time.Duration
	// PingNodes are ha.cf's ping and ping_group nodes (PingNodes); nil
	// derives them from HaCf when every host is an IPv4 literal. Pinger
	// sends their echo requests; it is required when there are any.
	PingNodes []PingNode
	Pinger    Pinger
	// VIPs, when set, removes at start the addresses of groups this node
	// does not hold (all of them) and re-announces a group kept after a
	// split brain; nil does neither.
	VIPs GroupVIPs

	// Watchdog, when set, is tickled with every heartbeat this node sends
	// (ha.cf watchdog; *Watchdog is the real device). A failed write is
	// logged and the device is no longer tickled, as Heartbeat closes it.
	Watchdog Tickler

	// IPfailStableWait replaces ipfail's 10 s wait after the peer's
	// stable report when positive (tests). ipfail itself is enabled by
	// HaCf's ipfail respawn line (ipfailrun.go).
	IPfailStableWait time.Duration

	Generation uint64   // hg=, from NextGeneration
	UUID       [16]byte // srcuuid=, from LoadUUID

	Logger  *slog.Logger
	LoadAvg func() string // ld= (first line of /proc/loadavg); nil sends none
	// Observer is told of liveness events and finished group starts and
	// stops (metrics); nil tells no one.
	Observer Observer
	Rand     *rand.Rand // ACK trigger and rexmit jitter; nil = fixed values

	// Ownership timing; zero values take Heartbeat's (ownership.go).
	RequestDelay, StandbyTimeout, FailedStartDelay time.Duration
}

// Errors of the request methods; check with errors.Is.
var (
	// ErrStopped: the node's loop is not running.
	ErrStopped = errors.New("hbd engine not running")
	// ErrRefused: the request was refused; the error text says why.
	ErrRefused = errors.New("refused")
	// ErrCancelled: a standby or takeover started but did not complete
	// (the peer died, the handshake timed out, a start failed).
	ErrCancelled = errors.New("cancelled")
)

// Node is one hbd cluster node: the engine loop. Create it with New, run it
// with Run; the request methods (Status, Standby, Takeover, Shutdown,
// Reload) are safe to call from any goroutine while Run runs.
type Node struct {
	cfg    Config
	log    *slog.Logger
	peer   string
	groups map[string]resources.Group
	reqs   chan request
	done   chan struct{} // closed when Run returns

	// Owned by the loop goroutine.
	l loopState
}

// New validates cfg and returns a node ready to Run. It starts nothing.
func New(cfg Config) (*Node, error) {
	if cfg.HaCf == nil || cfg.Keys == nil || cfg.Transport == nil || cfg.Runner == nil {
		return nil, errors.New("new node: HaCf, Keys, Transport and Runner are required")
	}
	var peers []string
	known := false
	for _, nd := range cfg.HaCf.Nodes {
		if nd.Name == cfg.Local {
			known = true
		} else {
			peers = append(peers, nd.Name)
		}
	}
	if !known {
		return nil, fmt.Errorf("new node: %s is not a node of %s", cfg.Local, cfg.HaCf.File)
	}
	if len(peers) != 1 {
		return nil, fmt.Errorf("new node: %s names %d nodes; hbd runs two-node R1 clusters (want 2)",
			cfg.HaCf.File, len(cfg.HaCf.Nodes))
	}
	if _, err := authMap(cfg.Keys); err != nil {
		return nil, fmt.Errorf("new node: %w", err)
	}
	if cfg.PingNodes == nil && len(cfg.HaCf.Ping)+len(cfg.HaCf.PingGroups) > 0 {
		pn, err := PingNodes(context.Background(), cfg.HaCf, nil)
		if err != nil {
			return nil, fmt.Errorf("new node: %w", err)
		}
		cfg.PingNodes = pn
	}
	if len(cfg.PingNodes) > 0 && cfg.Pinger == nil {
		return nil, fmt.Errorf("new node: %s names ping nodes but no Pinger was given", cfg.HaCf.File)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	n := &Node{cfg: cfg, log: log.With("component", "heartbeat"), peer: peers[0],
		groups: map[string]resources.Group{}, reqs: make(chan request), done: make(chan struct{})}
	for _, g := range cfg.Groups {
		n.groups[g.Key()] = g
	}
	if _, err := r1.NewOwnership(n.ownershipConfig()); err != nil {
		return nil, fmt.Errorf("new node: %w", err)
	}
	return n, nil
}

func (n *Node) ownershipConfig() r1.Config {
	oc := r1.Config{Local: n.cfg.Local, Peer: n.peer,
		RequestDelay: n.cfg.RequestDelay, StandbyTimeout: n.cfg.StandbyTimeout, FailedStartDelay: n.cfg.FailedStartDelay}
	switch n.cfg.HaCf.AutoFailback {
	case hacf.FailbackOn:
		oc.AutoFailback = r1.FailbackOn
	case hacf.FailbackOff:
		oc.AutoFailback = r1.FailbackOff
	default:
		oc.AutoFailback = r1.FailbackLegacy
	}
	for _, g := range n.cfg.Groups {
		oc.Groups = append(oc.Groups, r1.Group{Key: g.Key(), Preferred: g.Node})
	}
	return oc
}

// authMap turns authkeys into wire keys.
func authMap(k *hacf.AuthKeys) (map[int]wire.Auth, error) {
	out := map[int]wire.Auth{}
	for i, key := range k.Keys {
		out[i] = wire.Auth{Index: key.Index, Method: wire.Method(key.Method), Key: []byte(key.Secret)}
	}
	if _, ok := out[k.Active]; !ok {
		return nil, fmt.Errorf("authkeys %s: no key for auth %d", k.File, k.Active)
	}
	return out, nil
}

// Peer returns the other node's name.
func (n *Node) Peer() string { return n.peer }

type reqKind int

const (
	reqStatus reqKind = iota + 1
	reqStandby
	reqTakeover
	reqShutdown
	reqReload
)

type request struct {
	kind  reqKind
	hold  r1.Hold
	hacf  *hacf.Config
	keys  *hacf.AuthKeys
	reply chan reply // buffered 1: the loop never blocks on it
}

type reply struct {
	status Status
	text   string
	err    error
}

// call posts a request and waits for its reply.
func (n *Node) call(ctx context.Context, r request) (reply, error) {
	r.reply = make(chan reply, 1)
	select {
	case n.reqs <- r:
	case <-n.done:
		return reply{}, ErrStopped
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	select {
	case rp := <-r.reply:
		return rp, rp.err
	case <-n.done:
		select {
		case rp := <-r.reply:
			return rp, rp.err
		default:
		}
		return reply{}, ErrStopped
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// Status returns a snapshot of the node's view of the cluster.
func (n *Node) Status(ctx context.Context) (Status, error) {
	rp, err := n.call(ctx, request{kind: reqStatus})
	return rp.status, err
}

// Standby hands the resource classes set (in this node's words: "local" =
// the groups whose preferred node is this one) to the peer, as hb_standby
// does, and returns once the peer has taken them over. The text says what
// happened; the error matches ErrRefused or ErrCancelled, or is ctx's.
func (n *Node) Standby(ctx context.Context, set r1.Hold) (string, error) {
	rp, err := n.call(ctx, request{kind: reqStandby, hold: set})
	return rp.text, err
}

// Takeover asks the peer to hand over the classes set (in this node's
// words), as hb_takeover does, and returns once they run here.
func (n *Node) Takeover(ctx context.Context, set r1.Hold) (string, error) {
	rp, err := n.call(ctx, request{kind: reqTakeover, hold: set})
	return rp.text, err
}

// Shutdown releases every group (the peer takes them over), tells the peer
// (t=shutdone) and makes Run return nil. It returns when Run has returned,
// or when ctx ends.
func (n *Node) Shutdown(ctx context.Context) error {
	_, err := n.call(ctx, request{kind: reqShutdown})
	if err != nil && !errors.Is(err, ErrStopped) {
		return err
	}
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reload applies a re-read ha.cf and authkeys (SIGHUP): the keys at once;
// keepalive, deadtime, warntime, initdead and deadping from the next
// heartbeat and liveness check (not retroactively); the log directives are
// recorded (the command applies them to its logger). Media, node list,
// udpport and the other values a running node cannot change are logged
// once each as needing a restart, with their file:line. Either argument
// may be nil (not changed or not valid).
func (n *Node) Reload(ctx context.Context, cf *hacf.Config, keys *hacf.AuthKeys) (string, error) {
	if keys != nil {
		if _, err := authMap(keys); err != nil {
			return "", fmt.Errorf("reloading: %w", err)
		}
	}
	rp, err := n.call(ctx, request{kind: reqReload, hacf: cf, keys: keys})
	return rp.text, err
}

// Done is closed when Run has returned.
func (n *Node) Done() <-chan struct{} { return n.done }

// groupKeys returns the group keys in haresources order.
func (n *Node) groupKeys() []string {
	keys := make([]string, 0, len(n.cfg.Groups))
	for _, g := range n.cfg.Groups {
		keys = append(keys, g.Key())
	}
	return slices.Clip(keys)
}
