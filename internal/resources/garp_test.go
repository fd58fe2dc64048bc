package resources_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"github.com/ultramonkey/ultramonkey/internal/resources"
)

const ethPARP = 0x0806

// frame is a captured ARP frame, reduced to the fields under test.
type frame struct {
	Dst, Src  string // Ethernet addresses
	Op        arp.Operation
	SenderMAC string
	SenderIP  netip.Addr
	TargetMAC string
	TargetIP  netip.Addr
}

func (f frame) String() string {
	return fmt.Sprintf("%s>%s op=%d sha=%s spa=%s tha=%s tpa=%s", f.Src, f.Dst, f.Op, f.SenderMAC, f.SenderIP, f.TargetMAC, f.TargetIP)
}

func parseFrame(b []byte) (frame, error) {
	if len(b) < 14 || binary.BigEndian.Uint16(b[12:14]) != ethPARP {
		return frame{}, errors.New("not an ARP frame")
	}
	var p arp.Packet
	if err := p.UnmarshalBinary(b[14:]); err != nil {
		return frame{}, err
	}
	return frame{
		Dst: net.HardwareAddr(b[0:6]).String(), Src: net.HardwareAddr(b[6:12]).String(),
		Op: p.Operation, SenderMAC: p.SenderHardwareAddr.String(), SenderIP: p.SenderIP,
		TargetMAC: p.TargetHardwareAddr.String(), TargetIP: p.TargetIP,
	}, nil
}

// wantRound is the two frames of one gratuitous ARP round from mac for ip.
func wantRound(mac net.HardwareAddr, ip string) []frame {
	a := ma(ip)
	return []frame{
		{Dst: "ff:ff:ff:ff:ff:ff", Src: mac.String(), Op: arp.OperationRequest, SenderMAC: mac.String(), SenderIP: a, TargetMAC: "00:00:00:00:00:00", TargetIP: a},
		{Dst: "ff:ff:ff:ff:ff:ff", Src: mac.String(), Op: arp.OperationReply, SenderMAC: mac.String(), SenderIP: a, TargetMAC: mac.String(), TargetIP: a},
	}
}

func TestGARPFrames(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	fs, err := resources.GARPFrames(mac, ma("10.1.1.10"))
	if err != nil {
		t.Fatal(err)
	}
	var got []frame
	for _, b := range fs {
		if len(b) != 42 {
			t.Errorf("frame length %d, want 42", len(b))
		}
		f, err := parseFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if diff := cmp.Diff(wantRound(mac, "10.1.1.10"), got, addrCmp...); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
	if _, err := resources.GARPFrames(mac, ma("fd00::1")); err == nil {
		t.Error("GARPFrames accepted an IPv6 address")
	}
}

// capture listens for ARP on a link of lab. next returns the next frame
// whose sender IP is one of ips, waiting at most until the deadline.
type capture struct {
	c   *packet.Conn
	ips []netip.Addr
}

func startCapture(t *testing.T, lab *labNS, link string, ips ...string) *capture {
	t.Helper()
	var c *packet.Conn
	var err error
	lab.inNS(t, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName(link); err == nil {
			c, err = packet.Listen(ifi, packet.Raw, ethPARP, nil)
		}
	})
	if err != nil {
		t.Fatalf("capture on %s: %v", link, err)
	}
	t.Cleanup(func() { c.Close() })
	cp := &capture{c: c}
	for _, ip := range ips {
		cp.ips = append(cp.ips, ma(ip))
	}
	return cp
}

func (cp *capture) frames(t *testing.T, n int) []frame {
	t.Helper()
	if err := cp.c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	var out []frame
	for len(out) < n {
		m, _, err := cp.c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d of %d frames: %v", len(out), n, err)
		}
		f, err := parseFrame(bytes.Clone(buf[:m]))
		if err != nil {
			continue
		}
		for _, ip := range cp.ips {
			if f.SenderIP == ip {
				out = append(out, f)
			}
		}
	}
	return out
}

// none asserts that no further frame of ours arrives before a short
// deadline (used only to check that no extra frames were sent).
func (cp *capture) none(t *testing.T) {
	t.Helper()
	if err := cp.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	for {
		m, _, err := cp.c.ReadFrom(buf)
		if err != nil {
			return // deadline: nothing more
		}
		if f, err := parseFrame(buf[:m]); err == nil {
			for _, ip := range cp.ips {
				if f.SenderIP == ip {
					t.Errorf("unexpected extra frame %v", f)
				}
			}
		}
	}
}

func TestARPAnnounceInNetns(t *testing.T) {
	lab := newLabNS(t)
	cp := startCapture(t, lab, "um1", "10.9.0.100")
	ann := resources.NewARP(resources.ARPConfig{Netns: lab.ns})
	if err := ann.Announce(t.Context(), "um0", ma("10.9.0.100"), resources.Burst{Count: 3, Interval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	mac := lab.mac(t, "um0")
	var want []frame
	for range 3 {
		want = append(want, wantRound(mac, "10.9.0.100")...)
	}
	if diff := cmp.Diff(want, cp.frames(t, 6), addrCmp...); diff != "" {
		t.Errorf("captured frames (-want +got):\n%s", diff)
	}
	cp.none(t)

	if err := ann.Announce(t.Context(), "nosuch0", ma("10.9.0.100"), resources.Burst{Count: 1}); err == nil {
		t.Error("Announce on a missing interface succeeded")
	}
}

func TestARPAnnounceCancel(t *testing.T) {
	lab := newLabNS(t)
	cp := startCapture(t, lab, "um1", "10.9.0.100")
	ann := resources.NewARP(resources.ARPConfig{Netns: lab.ns})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- ann.Announce(ctx, "um0", ma("10.9.0.100"), resources.Burst{Count: 1000, Interval: time.Hour})
	}()
	cp.frames(t, 2) // the first round is out; the next one is an hour away
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Announce after cancel = %v, want context.Canceled", err)
	}
}

// TestAcquireInNetns runs S1's group shape through the real stack: a
// resource.d script, then two IPaddr VIPs, with gratuitous ARP seen on the
// peer, then releases it.
func TestAcquireInNetns(t *testing.T) {
	lab := newLabNS(t)
	nl := openNetlink(t, lab)
	cp := startCapture(t, lab, "um1", "10.9.0.10", "10.9.0.11")
	dir := t.TempDir()
	calls := dir + "/calls"
	writeScript(t, dir+"/resource.d/ldirectord", recorder)
	env := resources.Env{
		ConfDir: dir, InitDir: dir + "/init.d", Addrs: nl,
		VIPs: resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: resources.NewARP(resources.ARPConfig{Netns: lab.ns}),
			IPaddrBurst: resources.Burst{Count: 2, Interval: 10 * time.Millisecond}}),
		ScriptEnv: []string{"CALLS=" + calls, "STATUS_OUT=ldirectord is stopped"},
		Logger:    newLogger(&logBuf{}),
	}
	m := resources.NewManager(resources.ManagerConfig{Logger: env.Logger},
		func(r resources.Resource) (resources.Agent, error) { return resources.Resolve(r, env) })
	g := group(t, "test1.com ldirectord::ldirectord.cf IPaddr::10.9.0.10/24/um0 IPaddr::10.9.0.11/24/um0")

	r := m.Acquire(t.Context(), g)
	if !r.OK {
		t.Fatalf("Acquire: %s", r.Reason)
	}
	if diff := cmp.Diff([]string{
		"10.9.0.1/24 um0 10.9.0.255", "10.9.0.10/24 um0:0 10.9.0.255", "10.9.0.11/24 um0:1 10.9.0.255",
	}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 (-want +got):\n%s", diff)
	}
	// Each VIP's burst runs in its own goroutine: compare per VIP.
	mac := lab.mac(t, "um0")
	got := map[netip.Addr][]frame{}
	for _, f := range cp.frames(t, 8) {
		got[f.SenderIP] = append(got[f.SenderIP], f)
	}
	for _, ip := range []string{"10.9.0.10", "10.9.0.11"} {
		want := append(wantRound(mac, ip), wantRound(mac, ip)...)
		if diff := cmp.Diff(want, got[ma(ip)], addrCmp...); diff != "" {
			t.Errorf("frames for %s (-want +got):\n%s", ip, diff)
		}
	}
	if st := m.GroupStatus(t.Context(), g); st != resources.GroupSome {
		t.Errorf("GroupStatus = %s, want SOME (the script says stopped)", st)
	}

	r = m.Release(t.Context(), g)
	if !r.OK {
		t.Fatalf("Release: %s", r.Reason)
	}
	if diff := cmp.Diff([]string{"10.9.0.1/24 um0 10.9.0.255"}, lab.kernelAddrs(t, "um0")); diff != "" {
		t.Errorf("kernel um0 after release (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	want := "ldirectord.cf status\nldirectord.cf start\nldirectord.cf status\nldirectord.cf stop\n"
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("script calls (-want +got):\n%s", diff)
	}
}
