package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/server"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// GoBGP is the Speaker that ships: GoBGP's BgpServer in this process. It
// dials each configured peer (no BGP listener unless a peer is passive, no
// gRPC API), originates host routes with next hop "self" (0.0.0.0 or ::,
// which GoBGP rewrites to the session's local address), logs every session
// change, and warns about a peer that is not up 2 hold times after the
// start (unreachable, or refusing: wrong ASN, not configured).
type GoBGP struct {
	cfg ldcf.BGP
	log *slog.Logger

	mu    sync.Mutex
	srv   *server.BgpServer
	stop  context.CancelFunc // ends the session watcher
	uuids map[netip.Prefix][]byte
	up    map[string]bool // peer address -> established
	// state is each peer's last FSM state and when it entered or left
	// established (Sessions); it outlives Stop so status shows the end.
	state map[string]Session
}

var _ Speaker = (*GoBGP)(nil)

// NewGoBGP returns a speaker for cfg (ldirectord.cf's bgp_* directives); it
// starts nothing (Start does).
func NewGoBGP(cfg ldcf.BGP, logger *slog.Logger) *GoBGP {
	if logger == nil {
		logger = slog.Default()
	}
	return &GoBGP{cfg: cfg, log: logger.With("component", "bgp")}
}

// Start implements Speaker: the server, its global settings and the peers.
func (g *GoBGP) Start(ctx context.Context) error {
	srv := server.NewBgpServer(server.LoggerOption(logAdapter{g.log}))
	go srv.Serve() // returns never: one goroutine for the life of the process
	listen := int32(-1)
	for _, p := range g.cfg.Peers {
		if p.Passive {
			listen = 179 // a passive peer must be able to reach us
		}
	}
	startMu.Lock()
	err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: g.cfg.ASN, RouterId: g.cfg.RouterID.String(), ListenPort: listen,
	}})
	startMu.Unlock()
	if err != nil {
		return fmt.Errorf("starting GoBGP (asn %d, router id %s): %w", g.cfg.ASN, g.cfg.RouterID, err)
	}
	wctx, stop := context.WithCancel(context.Background())
	if err := srv.WatchEvent(wctx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, g.peerEvent); err != nil {
		stop()
		srv.StopBgp(context.Background(), &api.StopBgpRequest{})
		return fmt.Errorf("watching BGP sessions: %w", err)
	}
	for _, p := range g.cfg.Peers {
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerConf(p)}); err != nil {
			stop()
			srv.StopBgp(context.Background(), &api.StopBgpRequest{})
			return fmt.Errorf("adding BGP peer %s (ldirectord.cf line %d): %w", p.Addr, p.Line, err)
		}
		g.log.Info("BGP peer configured", "peer", p.Addr.String(), "asn", p.ASN, "holdtime", p.HoldTime)
	}
	g.mu.Lock()
	g.srv, g.stop, g.uuids, g.up = srv, stop, map[netip.Prefix][]byte{}, map[string]bool{}
	g.mu.Unlock()
	go g.warnDown(wctx)
	return nil
}

func peerConf(p ldcf.BGPPeer) *api.Peer {
	hold := uint64(p.HoldTime / time.Second)
	peer := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: p.Addr.String(), PeerAsn: p.ASN},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: hold, KeepaliveInterval: max(hold/3, 1),
			ConnectRetry: 2, // seconds between dials: a router that comes back is found quickly
		}},
		Transport: &api.Transport{RemotePort: uint32(p.Port), PassiveMode: p.Passive},
		AfiSafis:  []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: family(p.Addr), Enabled: true}}},
	}
	if p.Local.IsValid() {
		peer.Transport.LocalAddress = p.Local.String()
	}
	return peer
}

func family(a netip.Addr) *api.Family {
	if a.Is4() {
		return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
}

// peerEvent logs a session's state changes (GoBGP's watcher goroutine).
func (g *GoBGP) peerEvent(r *api.WatchEventResponse) {
	ev := r.GetPeer()
	if ev == nil || ev.Peer == nil || ev.Peer.State == nil {
		return
	}
	st := ev.Peer.State
	addr := st.NeighborAddress
	established := st.SessionState == api.PeerState_ESTABLISHED
	g.mu.Lock()
	was := g.up[addr]
	if g.up != nil {
		g.up[addr] = established
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		s := g.state[addr]
		s.Peer, s.ASN = a.Unmap(), st.PeerAsn
		s.State = strings.ToLower(st.SessionState.String())
		if established != was {
			s.Since = time.Now()
		}
		if g.state == nil {
			g.state = map[string]Session{}
		}
		g.state[addr] = s
	}
	g.mu.Unlock()
	switch {
	case established && !was:
		g.log.Info("BGP session established", "peer", addr, "asn", st.PeerAsn)
	case !established && was:
		g.log.Warn("BGP session down", "peer", addr, "state", st.SessionState.String())
	}
}

// Sessions implements Speaker: every configured peer, "idle" until GoBGP
// reports a state for it.
func (g *GoBGP) Sessions() []Session {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Session, 0, len(g.cfg.Peers))
	for _, p := range g.cfg.Peers {
		s, ok := g.state[p.Addr.String()]
		if !ok {
			s = Session{Peer: p.Addr, ASN: p.ASN, State: "idle"}
		}
		if g.srv == nil && s.State == "established" { // stopped: the Cease closed it
			s.State, s.Since = "idle", time.Time{}
		}
		out = append(out, s)
	}
	return out
}

// warnDown logs, once, each peer still not established after two of its
// hold times: an unreachable or refusing peer is reported, never fatal.
func (g *GoBGP) warnDown(ctx context.Context) {
	for _, p := range g.cfg.Peers {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * p.HoldTime):
		}
		g.mu.Lock()
		up := g.up[p.Addr.String()]
		g.mu.Unlock()
		if !up {
			g.log.Warn("BGP peer not established: unreachable, or refusing the session (check its address, ASN and neighbor configuration)",
				"peer", p.Addr.String(), "asn", p.ASN, "after", 2*p.HoldTime)
		}
	}
}

// Announce implements Speaker.
func (g *GoBGP) Announce(ctx context.Context, p netip.Prefix) error {
	g.mu.Lock()
	srv := g.srv
	g.mu.Unlock()
	if srv == nil {
		return errNotStarted
	}
	path, err := hostPath(p)
	if err != nil {
		return err
	}
	resp, err := srv.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: path})
	if err != nil {
		return fmt.Errorf("announcing %s: %w", p, err)
	}
	g.mu.Lock()
	g.uuids[p] = resp.Uuid
	g.mu.Unlock()
	return nil
}

// Withdraw implements Speaker.
func (g *GoBGP) Withdraw(ctx context.Context, p netip.Prefix) error {
	g.mu.Lock()
	srv, id := g.srv, g.uuids[p]
	g.mu.Unlock()
	if srv == nil {
		return errNotStarted
	}
	if id == nil {
		return nil // never announced
	}
	if err := srv.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Uuid: id}); err != nil {
		return fmt.Errorf("withdrawing %s: %w", p, err)
	}
	g.mu.Lock()
	delete(g.uuids, p)
	g.mu.Unlock()
	return nil
}

// Stop implements Speaker: every session gets a Cease and closes.
func (g *GoBGP) Stop(ctx context.Context) error {
	g.mu.Lock()
	srv, stop := g.srv, g.stop
	g.srv = nil
	g.mu.Unlock()
	if srv == nil {
		return nil
	}
	stop()
	done := make(chan struct{})
	go func() { srv.StopBgp(context.Background(), &api.StopBgpRequest{}); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping GoBGP: %w", ctx.Err())
	}
}

var errNotStarted = errors.New("BGP speaker not started")

// startMu serializes StartBgp: it writes GoBGP package variables
// (table.SelectionOptions, table.UseMultiplePaths). ldirectord runs one
// speaker; tests run several in one process.
var startMu sync.Mutex

// hostPath builds p's path: origin IGP, next hop self.
func hostPath(p netip.Prefix) (*api.Path, error) {
	nlri, err := anypb.New(&api.IPAddressPrefix{Prefix: p.Addr().String(), PrefixLen: uint32(p.Bits())})
	if err != nil {
		return nil, err
	}
	origin, err := anypb.New(&api.OriginAttribute{Origin: 0})
	if err != nil {
		return nil, err
	}
	fam := family(p.Addr())
	var hop *anypb.Any
	if p.Addr().Is4() {
		hop, err = anypb.New(&api.NextHopAttribute{NextHop: "0.0.0.0"})
	} else {
		hop, err = anypb.New(&api.MpReachNLRIAttribute{Family: fam, NextHops: []string{"::"}, Nlris: []*anypb.Any{nlri}})
	}
	if err != nil {
		return nil, err
	}
	return &api.Path{Family: fam, Nlri: nlri, Pattrs: []*anypb.Any{origin, hop}}, nil
}

// logAdapter sends GoBGP's log lines to slog. GoBGP's Fatal and Panic are
// logged as errors: nothing in a library may end ldirectord.
type logAdapter struct{ l *slog.Logger }

func (a logAdapter) attrs(f gobgplog.Fields) []any {
	out := make([]any, 0, 2*len(f))
	for k, v := range f {
		out = append(out, k, v)
	}
	return out
}

func (a logAdapter) Panic(msg string, f gobgplog.Fields) { a.l.Error("gobgp: "+msg, a.attrs(f)...) }
func (a logAdapter) Fatal(msg string, f gobgplog.Fields) { a.l.Error("gobgp: "+msg, a.attrs(f)...) }
func (a logAdapter) Error(msg string, f gobgplog.Fields) { a.l.Error("gobgp: "+msg, a.attrs(f)...) }
func (a logAdapter) Warn(msg string, f gobgplog.Fields)  { a.l.Warn("gobgp: "+msg, a.attrs(f)...) }
func (a logAdapter) Info(msg string, f gobgplog.Fields)  { a.l.Debug("gobgp: "+msg, a.attrs(f)...) }
func (a logAdapter) Debug(msg string, f gobgplog.Fields) { a.l.Debug("gobgp: "+msg, a.attrs(f)...) }

func (a logAdapter) SetLevel(gobgplog.LogLevel)  {}
func (a logAdapter) GetLevel() gobgplog.LogLevel { return gobgplog.InfoLevel }
