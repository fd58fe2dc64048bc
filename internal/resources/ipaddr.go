package resources

// The IPaddr and IPaddr2 agents. They reach the kernel only through Addrs
// (netlink.go is the real one) and the network only through the
// VIPAnnouncer (announce.go, over garp.go), so their logic is tested with
// fakes.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Addr is one IPv4 address on one interface, as `ip -4 addr` shows it.
type Addr struct {
	Prefix    netip.Prefix // address and prefix length: 10.1.1.10/24
	Iface     string       // the link: eth0
	Label     string       // "eth0:0"; the kernel reports the link name when none was set
	Broadcast netip.Addr   // invalid when none
}

// Sentinels of Addrs implementations, checked with errors.Is.
var (
	ErrAddrExists   = errors.New("address already present")   // Add: EEXIST
	ErrAddrNotFound = errors.New("address not present")       // Del: EADDRNOTAVAIL
	ErrNoLink       = errors.New("no such network interface") // Add/Del: unknown Iface
)

// Addrs adds, deletes and lists IPv4 addresses and reads connected routes.
//
// Concurrency: implementations must be safe for concurrent use.
type Addrs interface {
	// List returns every IPv4 address on every link; an empty host is an
	// empty slice.
	List(ctx context.Context) ([]Addr, error)
	// Add adds a on a.Iface with a.Label and a.Broadcast as given (no
	// broadcast when invalid); ErrAddrExists when present.
	Add(ctx context.Context, a Addr) error
	// Del deletes a (matched by prefix, interface and label);
	// ErrAddrNotFound when absent.
	Del(ctx context.Context, a Addr) error
	// Routes returns the connected (scope link) IPv4 routes of the main
	// table, for FindIf.
	Routes(ctx context.Context) ([]Route, error)
}

// IPConfig configures an IPAgent.
type IPConfig struct {
	Spec  IPSpec
	Addrs Addrs
	// VIPs sends the gratuitous ARP, with the burst of Kind; nil sends
	// none.
	VIPs *VIPAnnouncer
	// Kind is the agent announced as (AgentIPaddrDR for that agent's
	// address); "" means Spec.Agent.
	Kind   string
	Logger *slog.Logger
}

// IPAgent is the built-in IPaddr / IPaddr2 agent.
//
// IPaddr gives the address the first free alias label "iface:N" (N from 0,
// as IPaddr's find_free_interface does with ifconfig aliases); IPaddr2
// sets no label unless one was asked for ("iface:label"). Both complete a
// missing interface or prefix length from the connected routes (FindIf),
// compute a missing broadcast, and after adding the address announce it
// with gratuitous ARP in the background (IPaddr's ARP_BACKGROUND=yes);
// Stop cancels an announcement still in flight.
type IPAgent struct {
	cfg IPConfig
	log *slog.Logger
}

var (
	_ Agent     = (*IPAgent)(nil)
	_ Monitored = (*IPAgent)(nil)
)

// Monitored reports true: the status is one address list over netlink.
func (a *IPAgent) Monitored() bool { return true }

// NewIPAgent returns the agent for cfg.Spec.
func NewIPAgent(cfg IPConfig) *IPAgent {
	if cfg.Kind == "" {
		cfg.Kind = cfg.Spec.Agent
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &IPAgent{cfg: cfg, log: log.With("component", "resources", "agent", cfg.Kind, "ip", cfg.Spec.IP.String())}
}

// matches reports whether a is our address: the same IP, on our interface
// when one was configured.
func (a *IPAgent) matches(x Addr) bool {
	return x.Prefix.Addr() == a.cfg.Spec.IP && (a.cfg.Spec.Iface == "" || x.Iface == a.cfg.Spec.Iface)
}

// Status reports running when the address is on the configured interface
// (on any interface when none was configured).
func (a *IPAgent) Status(ctx context.Context) (Status, error) {
	list, err := a.cfg.Addrs.List(ctx)
	if err != nil {
		return StatusStopped, fmt.Errorf("status of %s: %w", a.cfg.Spec.IP, err)
	}
	if slices.ContainsFunc(list, a.matches) {
		return StatusRunning, nil
	}
	return StatusStopped, nil
}

// Start adds the address unless it is already there, then announces it.
func (a *IPAgent) Start(ctx context.Context) error {
	list, err := a.cfg.Addrs.List(ctx)
	if err != nil {
		return fmt.Errorf("starting %s: %w", a.cfg.Spec.IP, err)
	}
	if slices.ContainsFunc(list, a.matches) {
		return nil
	}
	spec := a.cfg.Spec
	var routes []Route
	if spec.Iface == "" || spec.Bits < 0 {
		if routes, err = a.cfg.Addrs.Routes(ctx); err != nil {
			return fmt.Errorf("starting %s: reading routes: %w", spec.IP, err)
		}
	}
	if spec, err = FindIf(spec, routes); err != nil {
		return fmt.Errorf("starting %s: %w", a.cfg.Spec.IP, err)
	}
	label := spec.Label
	if spec.Agent == AgentIPaddr {
		if label, err = FreeLabel(list, spec.Iface); err != nil {
			return fmt.Errorf("starting %s: %w", spec.IP, err)
		}
	}
	add := Addr{Prefix: netip.PrefixFrom(spec.IP, spec.Bits), Iface: spec.Iface, Label: label, Broadcast: spec.Broadcast}
	if err := a.cfg.Addrs.Add(ctx, add); err != nil && !errors.Is(err, ErrAddrExists) {
		return fmt.Errorf("starting %s: adding %s on %s: %w", spec.IP, add.Prefix, spec.Iface, err)
	}
	a.log.Info("IP address added", "prefix", add.Prefix.String(), "iface", spec.Iface, "label", label, "broadcast", addrString(spec.Broadcast))
	a.announce(ctx, spec.Iface)
	return nil
}

// Stop cancels a running announcement and deletes the address from every
// interface it matches; a missing address is success.
func (a *IPAgent) Stop(ctx context.Context) error {
	a.stopAnnounce()
	list, err := a.cfg.Addrs.List(ctx)
	if err != nil {
		return fmt.Errorf("stopping %s: %w", a.cfg.Spec.IP, err)
	}
	var errs []error
	for _, x := range list {
		if !a.matches(x) {
			continue
		}
		if err := a.cfg.Addrs.Del(ctx, x); err != nil && !errors.Is(err, ErrAddrNotFound) {
			a.log.Warn(fmt.Sprintf(msgIPNotReleased, a.cfg.Spec.IP), "iface", x.Iface, "err", err)
			errs = append(errs, fmt.Errorf("stopping %s: deleting from %s: %w", a.cfg.Spec.IP, x.Iface, err))
			continue
		}
		a.log.Info("IP address removed", "prefix", x.Prefix.String(), "iface", x.Iface, "label", x.Label)
	}
	return errors.Join(errs...)
}

// announce starts the gratuitous ARP burst in the background, detached
// from ctx's cancellation (the resource start is over when it runs) but
// cancelled by Stop or replaced by the next announcement of the address.
func (a *IPAgent) announce(ctx context.Context, iface string) {
	if a.cfg.VIPs != nil {
		a.cfg.VIPs.Announce(context.WithoutCancel(ctx), a.cfg.Kind, a.cfg.Spec.IP, iface)
	}
}

// stopAnnounce cancels the announcement in flight, if any, and waits for it.
func (a *IPAgent) stopAnnounce() {
	if a.cfg.VIPs != nil {
		a.cfg.VIPs.Stop(a.cfg.Spec.IP)
	}
}

// FreeLabel returns the first alias label "iface:N", N = 0, 1, ..., that no
// address in list uses (IPaddr's find_free_interface, which scans
// ifconfig's "iface:N" aliases; it gives up at 512).
func FreeLabel(list []Addr, iface string) (string, error) {
	used := map[int]bool{}
	for _, x := range list {
		if n, ok := strings.CutPrefix(x.Label, iface+":"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				used[i] = true
			}
		}
	}
	for i := range 512 {
		if used[i] {
			continue
		}
		l := iface + ":" + strconv.Itoa(i)
		if len(l) > maxIfNameLen {
			return "", fmt.Errorf("alias label %q is longer than %d characters", l, maxIfNameLen)
		}
		return l, nil
	}
	return "", fmt.Errorf("no free alias label on %s (all of %s:0-511 in use)", iface, iface)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// ForeignAddrs returns the addresses in present that belong to an IPaddr
// or IPaddr2 resource of a group we do not own (owned(g) false) and to no
// group we own. hbd uses it at start-up to find the VIPs a killed
// predecessor left behind. It is pure.
func ForeignAddrs(groups []Group, owned func(Group) bool, present []Addr) []Addr {
	type want struct {
		ip    netip.Addr
		iface string
	}
	var foreign, ours []want
	for _, g := range groups {
		for _, r := range g.Resources {
			if _, ok := ipAgentKind(r.Name); !ok {
				continue
			}
			s, err := ParseIPSpec(r.Name, r.Args)
			if err != nil {
				continue
			}
			if owned(g) {
				ours = append(ours, want{s.IP, s.Iface})
			} else {
				foreign = append(foreign, want{s.IP, s.Iface})
			}
		}
	}
	match := func(ws []want, x Addr) bool {
		return slices.ContainsFunc(ws, func(w want) bool {
			return w.ip == x.Prefix.Addr() && (w.iface == "" || w.iface == x.Iface)
		})
	}
	var out []Addr
	for _, x := range present {
		if match(foreign, x) && !match(ours, x) {
			out = append(out, x)
		}
	}
	return out
}

// RemoveForeign deletes from the host the addresses ForeignAddrs finds and
// returns those it deleted. It tries every one and joins the errors.
func RemoveForeign(ctx context.Context, addrs Addrs, groups []Group, owned func(Group) bool) ([]Addr, error) {
	present, err := addrs.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	var removed []Addr
	var errs []error
	for _, x := range ForeignAddrs(groups, owned, present) {
		if err := addrs.Del(ctx, x); err != nil && !errors.Is(err, ErrAddrNotFound) {
			errs = append(errs, fmt.Errorf("removing %s from %s: %w", x.Prefix, x.Iface, err))
			continue
		}
		removed = append(removed, x)
	}
	return removed, errors.Join(errs...)
}
