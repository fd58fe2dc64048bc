package resources

// The built-in IPaddrDR agent: the VIP of a director that is also a real
// server (seed S2, direct routing). Like IPaddr it reaches the kernel only
// through Addrs, the VIPAnnouncer and Sysctls.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
)

// AgentIPaddrDR is the built-in VIP agent for directors that are also real
// servers: IPaddrDR::VIP[/bits]/IFACE.
const AgentIPaddrDR = "IPaddrDR"

// loopback is where a standby holds the VIP.
const loopback = "lo"

// IPaddrDR holds the VIP on IFACE (with gratuitous ARP) on the node that
// holds the group, and as a /32 on lo on every other node, so a standby
// that is also a real server accepts the packets the active director
// forwards to it by direct routing. arp_ignore=1 and arp_announce=2 (on
// all interfaces and on IFACE) keep the standby from answering ARP for
// the VIP or announcing it as a source.
//
//   - Prepare (hbd starts): the ARP sysctls, the VIP off IFACE (a killed
//     predecessor's), the VIP on lo.
//   - Start: the VIP off lo, then on IFACE and announced (IPaddr2's way).
//   - Stop: the VIP off IFACE, then on lo.
//   - Retire (hbd stops): the VIP off lo, the sysctls restored.
//   - Status: running while the VIP is on IFACE.
type IPaddrDR struct {
	ip      *IPAgent
	addrs   Addrs
	sysctls savedSysctls // the ARP settings, written at Prepare, restored at Retire
	spec    IPSpec
}

var (
	_ Agent     = (*IPaddrDR)(nil)
	_ Monitored = (*IPaddrDR)(nil)
	_ Preparer  = (*IPaddrDR)(nil)
)

// NewIPaddrDR parses the resource's arguments (IPaddr2's forms; the
// interface is required) and returns its agent.
func NewIPaddrDR(args []string, addrs Addrs, vips *VIPAnnouncer, sysctls Sysctls, log *slog.Logger) (*IPaddrDR, error) {
	spec, err := ParseIPSpec(AgentIPaddr2, args)
	if err != nil {
		return nil, err
	}
	if spec.Iface == "" {
		return nil, fmt.Errorf("%s needs its interface: %s::VIP/BITS/IFACE", AgentIPaddrDR, AgentIPaddrDR)
	}
	if spec.Iface == loopback {
		return nil, fmt.Errorf("%s: the interface is where the active node holds the VIP, not %s", AgentIPaddrDR, loopback)
	}
	if log == nil {
		log = slog.Default()
	}
	ip := NewIPAgent(IPConfig{Spec: spec, Addrs: addrs, VIPs: vips, Kind: AgentIPaddrDR, Logger: log})
	return &IPaddrDR{ip: ip, addrs: addrs, sysctls: savedSysctls{set: sysctls}, spec: spec}, nil
}

// Monitored: the status is an address list.
func (a *IPaddrDR) Monitored() bool { return true }

func (a *IPaddrDR) onLo() Addr {
	return Addr{Prefix: netip.PrefixFrom(a.spec.IP, 32), Iface: loopback}
}

// arpSysctls are the real-server ARP settings of LVS-DR.
func (a *IPaddrDR) arpSysctls() [][2]string {
	var out [][2]string
	for _, dev := range []string{"all", a.spec.Iface} {
		out = append(out, [2]string{"net.ipv4.conf." + dev + ".arp_ignore", "1"},
			[2]string{"net.ipv4.conf." + dev + ".arp_announce", "2"})
	}
	return out
}

// Prepare puts the node in the standby role.
func (a *IPaddrDR) Prepare(ctx context.Context) error {
	if err := a.sysctls.apply(a.arpSysctls()); err != nil {
		return fmt.Errorf("%s %s: %w", AgentIPaddrDR, a.spec.IP, err)
	}
	if err := a.ip.Stop(ctx); err != nil {
		return err
	}
	return a.addLo(ctx)
}

// Start moves the VIP from lo to the interface and announces it.
func (a *IPaddrDR) Start(ctx context.Context) error {
	if err := a.delLo(ctx); err != nil {
		return err
	}
	return a.ip.Start(ctx)
}

// Stop moves the VIP from the interface back to lo.
func (a *IPaddrDR) Stop(ctx context.Context) error {
	if err := a.ip.Stop(ctx); err != nil {
		return err
	}
	return a.addLo(ctx)
}

// Status is running while the VIP is on the interface.
func (a *IPaddrDR) Status(ctx context.Context) (Status, error) { return a.ip.Status(ctx) }

// Retire removes the VIP from lo and restores the sysctls.
func (a *IPaddrDR) Retire(ctx context.Context) error {
	return errors.Join(a.delLo(ctx), a.sysctls.restore())
}

func (a *IPaddrDR) addLo(ctx context.Context) error {
	list, err := a.addrs.List(ctx)
	if err != nil {
		return fmt.Errorf("%s %s: %w", AgentIPaddrDR, a.spec.IP, err)
	}
	lo := a.onLo()
	if slices.ContainsFunc(list, func(x Addr) bool { return x.Iface == loopback && x.Prefix.Addr() == a.spec.IP }) {
		return nil
	}
	if err := a.addrs.Add(ctx, lo); err != nil && !errors.Is(err, ErrAddrExists) {
		return fmt.Errorf("%s %s: adding %s on %s: %w", AgentIPaddrDR, a.spec.IP, lo.Prefix, loopback, err)
	}
	return nil
}

func (a *IPaddrDR) delLo(ctx context.Context) error {
	list, err := a.addrs.List(ctx)
	if err != nil {
		return fmt.Errorf("%s %s: %w", AgentIPaddrDR, a.spec.IP, err)
	}
	for _, x := range list {
		if x.Iface != loopback || x.Prefix.Addr() != a.spec.IP {
			continue
		}
		if err := a.addrs.Del(ctx, x); err != nil && !errors.Is(err, ErrAddrNotFound) {
			return fmt.Errorf("%s %s: removing from %s: %w", AgentIPaddrDR, a.spec.IP, loopback, err)
		}
	}
	return nil
}
