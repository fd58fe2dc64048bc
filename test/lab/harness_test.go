//go:build lab

package lab

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/packet"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

// The harness's own tests: topology, link cuts, watchers, processes and
// the generated configuration, without hbd.

// udpReach reports whether a datagram sent from src's addr to dst's addr
// arrives within wait.
func udpReach(t *testing.T, src *NS, from netip.Addr, dst *NS, to netip.Addr, wait time.Duration) bool {
	t.Helper()
	var rc, sc net.PacketConn
	if err := dst.Do(func() (err error) { rc, err = net.ListenPacket("udp4", to.String()+":0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := src.Do(func() (err error) { sc, err = net.ListenPacket("udp4", from.String()+":0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.WriteTo([]byte("lab"), rc.LocalAddr()); err != nil {
		return false // e.g. no route or ARP failure reported at once
	}
	rc.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 16)
	n, _, err := rc.ReadFrom(buf)
	return err == nil && string(buf[:n]) == "lab"
}

func TestHarnessTopology(t *testing.T) {
	l := New(t)
	n1, n2 := l.Nodes[0], l.Nodes[1]
	tests := []struct {
		name     string
		src, dst *NS
		from, to netip.Addr
		cut      *Node
		cutLink  string
		want     bool
	}{
		{name: "lan node1 to node2", src: n1.NS, dst: n2.NS, from: n1.LAN.Addr(), to: n2.LAN.Addr(), want: true},
		{name: "hb link node2 to node1", src: n2.NS, dst: n1.NS, from: n2.HB.Addr(), to: n1.HB.Addr(), want: true},
		{name: "client to node1", src: l.Client, dst: n1.NS, from: ClientAddr.Addr(), to: n1.LAN.Addr(), want: true},
		{name: "hb link cut", src: n1.NS, dst: n2.NS, from: n1.HB.Addr(), to: n2.HB.Addr(), cut: n2, cutLink: HBLink, want: false},
		{name: "lan still up while hb cut", src: n1.NS, dst: n2.NS, from: n1.LAN.Addr(), to: n2.LAN.Addr(), cut: n2, cutLink: HBLink, want: true},
		{name: "lan cut", src: l.Client, dst: n1.NS, from: ClientAddr.Addr(), to: n1.LAN.Addr(), cut: n1, cutLink: LANLink, want: false},
		{name: "hb link healed", src: n1.NS, dst: n2.NS, from: n1.HB.Addr(), to: n2.HB.Addr(), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cut != nil {
				l.Cut(t, tc.cut, tc.cutLink)
				defer l.Heal(t, tc.cut, tc.cutLink)
			}
			// A positive case may wait for the kernel to retry an ARP
			// entry that failed while the link was cut (retrans_time, 1 s);
			// a negative one needs only to outlast a LAN round trip.
			wait := 300 * time.Millisecond
			if tc.want {
				wait = 3 * time.Second
			}
			if got := udpReach(t, tc.src, tc.from, tc.dst, tc.to, wait); got != tc.want {
				t.Errorf("datagram %s -> %s arrived = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
	if !strings.HasPrefix(l.Switch.Name, NamePrefix+"sw-") || l.Switch.Name == l.Client.Name {
		t.Errorf("namespace names %q, %q: want %q prefix and distinct", l.Switch.Name, l.Client.Name, NamePrefix)
	}
}

func TestHarnessCutIsCarrierLoss(t *testing.T) {
	l := New(t)
	n := l.Nodes[1]
	carrier := func() string {
		up, err := n.NS.Carrier(HBLink)
		if err != nil {
			t.Fatal(err)
		}
		if up {
			return "carrier"
		}
		return "no-carrier"
	}
	if got := carrier(); got != "carrier" {
		t.Fatalf("before cut: %s", got)
	}
	l.Cut(t, n, HBLink)
	if got := carrier(); got != "no-carrier" {
		t.Errorf("after cut: %s, want no-carrier", got)
	}
	l.Heal(t, n, HBLink)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	for carrier() != "carrier" {
		select {
		case <-ctx.Done():
			t.Fatal("carrier not back 2 s after heal")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestHarnessAddrWatch(t *testing.T) {
	l := New(t)
	n := l.Nodes[0]
	mark := l.Addrs.Len()
	if err := n.NS.AddAddr(LANLink, VIP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	vip := func(added bool) func(AddrEvent) bool {
		return func(e AddrEvent) bool { return e.Prefix == VIP && e.Added == added }
	}
	add, i, err := l.Addrs.First(ctx, mark, vip(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.NS.DelAddr(LANLink, VIP); err != nil {
		t.Fatal(err)
	}
	del, _, err := l.Addrs.First(ctx, i+1, vip(false))
	if err != nil {
		t.Fatal(err)
	}
	got := []AddrEvent{add, del}
	want := []AddrEvent{{Node: "node1", Link: LANLink, Prefix: VIP, Added: true}, {Node: "node1", Link: LANLink, Prefix: VIP}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(AddrEvent{}, "At"), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("VIP events (-want +got):\n%s", diff)
	}
	if del.At.Before(add.At) {
		t.Errorf("delete stamped %v before add %v", del.At, add.At)
	}
	if h := Holders(l.Addrs.Since(0), VIP.Addr()); len(h) != 0 {
		t.Errorf("holders after delete = %v, want none", h)
	}
	// The initial dump reported each node's own addresses.
	h := Holders(l.Addrs.Since(0), l.Nodes[1].HB.Addr())
	if diff := cmp.Diff(map[string]bool{"node2": true}, h); diff != "" {
		t.Errorf("holders of node2's eth1 address (-want +got):\n%s", diff)
	}
}

func TestHarnessARPWatch(t *testing.T) {
	l := New(t)
	n := l.Nodes[1]
	mark := l.ARPs.Len()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	for range 2 { // two RFC 5227 announcement rounds, as IPaddr sends them
		sendARP(t, n.NS, arp.OperationRequest, VIP.Addr(), VIP.Addr())
		sendARP(t, n.NS, arp.OperationReply, VIP.Addr(), VIP.Addr())
	}
	var got []arp.Operation
	from := mark
	for range 4 {
		e, i, err := l.ARPs.First(ctx, from, func(e ARPEvent) bool { return e.Gratuitous(VIP.Addr()) })
		if err != nil {
			t.Fatalf("GARP %d: %v", len(got)+1, err)
		}
		if e.From.String() != n.MAC.String() || e.SenderHW.String() != n.MAC.String() {
			t.Errorf("GARP from %s sender %s, want node2's %s", e.From, e.SenderHW, n.MAC)
		}
		got = append(got, e.Op)
		from = i + 1
	}
	want := []arp.Operation{arp.OperationRequest, arp.OperationReply, arp.OperationRequest, arp.OperationReply}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GARP operations (-want +got):\n%s", diff)
	}
	// node2's answer to a who-has from the client is recorded but is not
	// gratuitous.
	sendARP(t, l.Client, arp.OperationRequest, ClientAddr.Addr(), n.LAN.Addr())
	e, _, err := l.ARPs.First(ctx, mark, func(e ARPEvent) bool { return e.TargetIP == ClientAddr.Addr() })
	if err != nil {
		t.Fatal(err)
	}
	if e.Gratuitous(n.LAN.Addr()) || e.SenderIP != n.LAN.Addr() || e.Op != arp.OperationReply {
		t.Errorf("answer to who-has: %v, want a reply from %s that is not gratuitous", e, n.LAN.Addr())
	}
}

// sendARP sends one broadcast ARP frame from ns's LAN link: op, sender
// ip with the link's MAC, target (MAC broadcast).
func sendARP(t *testing.T, ns *NS, op arp.Operation, ip, target netip.Addr) {
	t.Helper()
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(LANLink)
		if err != nil {
			return err
		}
		c, err := packet.Listen(ifi, packet.Raw, 0, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		p, err := arp.NewPacket(op, ifi.HardwareAddr, ip, ethernet.Broadcast, target)
		if err != nil {
			return err
		}
		pb, err := p.MarshalBinary()
		if err != nil {
			return err
		}
		f := &ethernet.Frame{Destination: ethernet.Broadcast, Source: ifi.HardwareAddr, EtherType: ethernet.EtherTypeARP, Payload: pb}
		fb, err := f.MarshalBinary()
		if err != nil {
			return err
		}
		_, err = c.WriteTo(fb, &packet.Addr{HardwareAddr: ethernet.Broadcast})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHarnessProcess(t *testing.T) {
	l := New(t)
	n := l.Nodes[1]
	marker := filepath.Join(n.Dir, "who")
	n.StartArgv(t, "sh", "-c", `{ uname -n; readlink /proc/self/ns/net; echo $$; } > "$0"; exec sleep 60`, marker)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var lines []string
	for len(lines) < 3 {
		b, _ := os.ReadFile(marker)
		lines = strings.Fields(string(b))
		select {
		case <-ctx.Done():
			t.Fatalf("stand-in never wrote %s (got %q)", marker, lines)
		case <-time.After(5 * time.Millisecond):
		}
	}
	var nsLink string
	if err := n.NS.Do(func() (err error) { nsLink, err = os.Readlink("/proc/thread-self/ns/net"); return err }); err != nil {
		t.Fatal(err)
	}
	want := []string{"node2", nsLink, strconv.Itoa(n.Pid())}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("stand-in hostname, netns, pid (-want +got):\n%s", diff)
	}
	if h, _ := os.Hostname(); h == "node2" {
		t.Errorf("the test's own hostname changed to %q", h)
	}
	at := n.Kill9(t)
	if n.Running() || time.Since(at) > time.Second {
		t.Errorf("after Kill9: running=%v, took %v", n.Running(), time.Since(at))
	}
	var ee *exec.ExitError
	if err := n.ExitErr(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("exit = %v, want killed by SIGKILL", err)
	}
}

func TestConfigAcceptedByParsers(t *testing.T) {
	l := New(t)
	for _, c := range []Cluster{Fast, S1Timing} {
		for _, n := range l.Nodes {
			text := c.HaCf(n, l.Peer(n))
			cfg, _, err := hacf.ParseHaCf("ha.cf", []byte(text))
			if err != nil {
				t.Fatalf("%s ha.cf:\n%s\nparse: %v", n.Name, text, err)
			}
			got := []any{cfg.Keepalive, cfg.Deadtime, cfg.Initdead, len(cfg.Ucast), len(cfg.Nodes), cfg.LogFile}
			want := []any{c.Keepalive, c.Deadtime, c.Initdead, 2, 2, n.LogFile()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: keepalive, deadtime, initdead, ucast, nodes, logfile (-want +got):\n%s", n.Name, diff)
			}
		}
	}
	if _, err := hacf.ParseAuthKeys("authkeys", []byte(AuthKeys("hbd-lab-secret"))); err != nil {
		t.Error(err)
	}
	groups, err := resources.ParseHaresources("haresources", []byte(HaResources()))
	if err != nil || len(groups) != 1 {
		t.Fatalf("haresources %q: %d groups, %v", HaResources(), len(groups), err)
	}
}

func TestHarnessUnexpectedExit(t *testing.T) {
	l := New(t)
	n := l.Nodes[0]
	n.StartArgv(t, "sh", "-c", "exit 3")
	select {
	case <-l.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("lab context not cancelled 5 s after the process exited")
	}
	cause := context.Cause(l.Context()).Error()
	for _, want := range []string{"node1", "exited unexpectedly", "exit status 3"} {
		if !strings.Contains(cause, want) {
			t.Errorf("cause %q lacks %q", cause, want)
		}
	}
}
