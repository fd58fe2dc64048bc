package resources

// The one owner of gratuitous ARP for the VIPs (as MetalLB's layer2
// announcer is): which burst each VIP agent sends, and which burst is
// running for which VIP. The IPaddr, IPaddr2 and IPaddrDR agents announce
// through it when they start and cancel through it when they stop;
// Manager.Reannounce re-sends a held group's bursts through it, so a
// re-announcement replaces a start's burst still in flight instead of
// doubling it, and a stop cancels either. The frames go out through the
// Announcer interface (garp.go is the real one).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
)

// VIPAnnouncerConfig configures a VIPAnnouncer.
type VIPAnnouncerConfig struct {
	// Sender sends the frames; nil sends none (every burst ends at once).
	Sender Announcer
	// IPaddrBurst and IPaddr2Burst override the bursts of IPaddr and of
	// IPaddr2 (and IPaddrDR, which takes IPaddr2's way); a zero Count
	// means the default IPaddrBurst / IPaddr2Burst.
	IPaddrBurst, IPaddr2Burst Burst
	// Logger receives the "Sending Gratuitous Arp" debug lines and the
	// send failures; nil means slog.Default().
	Logger *slog.Logger
}

// VIPAnnouncer runs at most one gratuitous ARP burst per VIP.
//
// Concurrency: safe for concurrent use. Bursts run on their own
// goroutines; Stop waits for the one it cancels.
type VIPAnnouncer struct {
	cfg VIPAnnouncerConfig
	log *slog.Logger

	mu      sync.Mutex
	running map[netip.Addr]*burstRun
}

// burstRun is one burst in flight.
type burstRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewVIPAnnouncer returns an announcer. It starts nothing.
func NewVIPAnnouncer(cfg VIPAnnouncerConfig) *VIPAnnouncer {
	if cfg.IPaddrBurst.Count <= 0 {
		cfg.IPaddrBurst = IPaddrBurst
	}
	if cfg.IPaddr2Burst.Count <= 0 {
		cfg.IPaddr2Burst = IPaddr2Burst
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &VIPAnnouncer{cfg: cfg, log: log.With("component", "resources"), running: map[netip.Addr]*burstRun{}}
}

// Burst is the burst an agent of this kind sends (AgentIPaddr,
// AgentIPaddr2 or AgentIPaddrDR): resource-agents IPaddr's ARP_REPEAT and
// ARP_INTERVAL_MS for IPaddr, IPaddr2's arp_count and arp_interval for
// IPaddr2 and IPaddrDR, unless the config overrides them.
func (v *VIPAnnouncer) Burst(kind string) Burst {
	if kind == AgentIPaddr {
		return v.cfg.IPaddrBurst
	}
	return v.cfg.IPaddr2Burst
}

// Announce starts the burst of a kind agent for ip on iface and returns at
// once, replacing (cancelling, and waiting for) any burst of ip still
// running. The burst ends when it is sent, when ctx ends or when Stop(ip)
// is called; the returned channel is closed then. A failure to send is
// logged (IPaddr's "Could not send gratuitous arps").
func (v *VIPAnnouncer) Announce(ctx context.Context, kind string, ip netip.Addr, iface string) <-chan struct{} {
	v.Stop(ip)
	done := make(chan struct{})
	if v.cfg.Sender == nil {
		close(done)
		return done
	}
	b := v.Burst(kind)
	actx, cancel := context.WithCancel(ctx)
	run := &burstRun{cancel: cancel, done: done}
	v.mu.Lock()
	v.running[ip] = run
	v.mu.Unlock()
	log := v.log.With("agent", kind, "ip", ip.String())
	log.Debug(fmt.Sprintf(msgSendingGARP, ip, iface, iface), "count", b.Count, "interval", b.Interval)
	go func() {
		defer close(done)
		defer cancel()
		if err := v.cfg.Sender.Announce(actx, iface, ip, b); err != nil && actx.Err() == nil {
			log.Error(fmt.Sprintf(msgCouldNotSendARP, err), "iface", iface)
		}
		v.mu.Lock()
		if v.running[ip] == run {
			delete(v.running, ip)
		}
		v.mu.Unlock()
	}()
	return done
}

// Stop cancels the burst of ip in flight, if any, and waits for it.
func (v *VIPAnnouncer) Stop(ip netip.Addr) {
	v.mu.Lock()
	run := v.running[ip]
	delete(v.running, ip)
	v.mu.Unlock()
	if run != nil {
		run.cancel()
		<-run.done
	}
}

// vipOf returns the agent kind and the address arguments of a VIP resource
// (IPaddr, IPaddr2, or IPaddrDR with IPaddr2's arguments); false for any
// other resource or arguments that do not parse.
func vipOf(r Resource) (string, IPSpec, bool) {
	args := r.Name
	switch r.Name {
	case AgentIPaddr, AgentIPaddr2:
	case AgentIPaddrDR:
		args = AgentIPaddr2
	default:
		return "", IPSpec{}, false
	}
	spec, err := ParseIPSpec(args, r.Args)
	if err != nil {
		return "", IPSpec{}, false
	}
	return r.Name, spec, true
}

// Reannounce re-sends the gratuitous ARP of g's VIPs (IPaddr, IPaddr2,
// IPaddrDR) on the interfaces they are on, each with its agent's burst,
// and returns when the bursts are sent or ctx ends. hbd calls it for a
// group its preferred node kept through a split brain, so the switches
// learn again where the VIPs are (r1.ActAnnounce). A VIP whose interface is not configured
// is announced on the interface it is on now; one found nowhere is
// skipped. Nothing is sent without ManagerConfig.VIPs.
func (m *Manager) Reannounce(ctx context.Context, g Group) error {
	if m.cfg.VIPs == nil {
		return nil
	}
	var present []Addr
	var errs []error
	var dones []<-chan struct{}
	for _, r := range g.Resources {
		kind, spec, ok := vipOf(r)
		if !ok {
			continue
		}
		iface := spec.Iface
		if iface == "" && m.cfg.Addrs != nil {
			if present == nil {
				list, err := m.cfg.Addrs.List(ctx)
				if err != nil {
					errs = append(errs, fmt.Errorf("re-announcing %s: %w", r, err))
					continue
				}
				present = list
			}
			for _, a := range present {
				if a.Prefix.Addr() == spec.IP {
					iface = a.Iface
				}
			}
		}
		if iface == "" {
			continue
		}
		dones = append(dones, m.cfg.VIPs.Announce(ctx, kind, spec.IP, iface))
	}
	for _, d := range dones {
		<-d
	}
	return errors.Join(errs...)
}

// Sweep deletes from the host the IPaddr and IPaddr2 addresses of g, which
// this node does not hold, and returns those it deleted: hbd calls it for
// every group at start, when a killed predecessor may have left VIPs
// behind. IPaddrDR's address is not swept: its Prepare moves it from the
// interface to lo, and Sweep must not take it off lo again.
func (m *Manager) Sweep(ctx context.Context, g Group) ([]Addr, error) {
	if m.cfg.Addrs == nil {
		return nil, nil
	}
	return RemoveForeign(ctx, m.cfg.Addrs, []Group{g}, func(Group) bool { return false })
}
