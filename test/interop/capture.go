//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ultramonkey/ultramonkey/test/netlab"
)

// capture runs tcpdump on the heartbeat-only bridge of the switch (every
// heartbeat datagram of both nodes crosses it; the traffic never leaves the
// lab's namespaces) into a pcap file under the switch's directory. On
// failure, or with INTEROP_VERBOSE, the cleanup copies the file to
// test/interop/out/ and logs the decoded heartbeat messages.
func (l *Lab) capture(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Logf("no tcpdump: heartbeat traffic is not captured")
		return
	}
	pcap := filepath.Join(t.TempDir(), "hb.pcap")
	l.pcap = pcap
	cmd := exec.Command("ip", "netns", "exec", l.Switch.Name, "tcpdump", "--immediate-mode", "-i", netlab.Bridges[1], "-U", "-s", "0", "-w", pcap, "udp", "port", "694")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tcpdump: %v", err)
	}
	// tcpdump says "listening on" once the capture is open.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if !t.Failed() && os.Getenv("INTEROP_VERBOSE") == "" {
			return
		}
		keep := filepath.Join("out", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+".pcap")
		if data, err := os.ReadFile(pcap); err == nil && os.MkdirAll("out", 0o755) == nil && os.WriteFile(keep, data, 0o644) == nil {
			t.Logf("---- heartbeat capture (eth1) kept in test/interop/%s", keep)
		}
		msgs, err := ReadCapture(pcap)
		if err != nil {
			t.Logf("decode capture: %v", err)
		}
		var b strings.Builder
		for _, m := range msgs {
			if m.Type() != "status" && m.Type() != "NS_ackmsg" {
				fmt.Fprintln(&b, m)
			}
		}
		t.Logf("---- heartbeat messages on eth1 other than status and NS_ackmsg:\n%s", netlab.Tail(b.String(), 200))
	})
}

// WaitMessage waits until the capture holds a message sent at or after
// since that match accepts, re-reading the capture every Poll, and
// returns it. Without tcpdump it fails the test.
func (l *Lab) WaitMessage(ctx context.Context, t testing.TB, since time.Time, what string, match func(Message) bool) Message {
	t.Helper()
	if l.pcap == "" {
		t.Fatalf("waiting for %s: no capture (tcpdump missing)", what)
	}
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for {
		msgs, _ := ReadCapture(l.pcap) // a capture being written may end mid-record
		for _, m := range msgs {
			if !m.At.Before(since) && m.Err == nil && match(m) {
				return m
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s on the wire: %v", what, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// WaitStable waits until both nodes have said, since since, that their
// resources are stable ("t=resource … isstable=1", hb_resource.c): a
// Heartbeat node ignores a standby request while the other side is in
// flux, and so does hbd.
func (l *Lab) WaitStable(ctx context.Context, t testing.TB, since time.Time) {
	t.Helper()
	for _, n := range l.Nodes {
		l.WaitMessage(ctx, t, since, "isstable=1 from "+n.Name, func(m Message) bool {
			return m.Type() == "resource" && m.Get("isstable") == "1" && m.Get("src") == n.Name
		})
	}
}

// Message is one captured heartbeat datagram, decoded from the netstring
// wire format (anchors.md §1.9).
type Message struct {
	At     time.Time
	From   netip.Addr
	Fields [][2]string // name, value in wire order; binary values as hex
	Err    error       // not a netstring message
}

// Type is the message's t= field.
func (m Message) Type() string { return m.Get("t") }

// Get returns the first field called name ("" if absent).
func (m Message) Get(name string) string {
	for _, f := range m.Fields {
		if f[0] == name {
			return f[1]
		}
	}
	return ""
}

// String renders the message on one line without the fields every
// message has (srcuuid, hg, ts, ld, ttl, auth).
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", m.At.Format("15:04:05.000"), m.From)
	if m.Err != nil {
		fmt.Fprintf(&b, " undecodable: %v", m.Err)
	}
	for _, f := range m.Fields {
		switch f[0] {
		case "srcuuid", "ts", "ld", "ttl", "auth", "destuuid":
			continue
		}
		fmt.Fprintf(&b, " %s=%s", f[0], f[1])
	}
	return b.String()
}

// ReadCapture decodes every UDP datagram of a pcap file (Ethernet link
// type) as a heartbeat message.
func ReadCapture(path string) ([]Message, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading capture: %w", err)
	}
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		return nil, errors.New("reading capture: not a little-endian microsecond pcap file")
	}
	var out []Message
	for off := 24; off+16 <= len(data); {
		sec, usec := binary.LittleEndian.Uint32(data[off:]), binary.LittleEndian.Uint32(data[off+4:])
		n := int(binary.LittleEndian.Uint32(data[off+8:]))
		off += 16
		if off+n > len(data) {
			break
		}
		frame := data[off : off+n]
		off += n
		from, payload, ok := udpPayload(frame)
		if !ok {
			continue
		}
		m := DecodeMessage(payload)
		m.At, m.From = time.Unix(int64(sec), int64(usec)*1000), from
		out = append(out, m)
	}
	return out, nil
}

// udpPayload returns the IPv4 source and the UDP payload of an Ethernet
// frame.
func udpPayload(f []byte) (netip.Addr, []byte, bool) {
	if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return netip.Addr{}, nil, false
	}
	ip := f[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[9] != 17 || len(ip) < ihl+8 {
		return netip.Addr{}, nil, false
	}
	src := netip.AddrFrom4([4]byte(ip[12:16]))
	return src, ip[ihl+8:], true
}

// DecodeMessage parses the netstring framing: "###\n", then
// "<len>:(<type>)<name>=<value>," per field, "%%%\n", then the auth
// trailer.
func DecodeMessage(p []byte) Message {
	var m Message
	rest, ok := bytes.CutPrefix(p, []byte("###\n"))
	if !ok {
		m.Err = fmt.Errorf("no ### start marker: %q", p[:min(len(p), 16)])
		return m
	}
	for !bytes.HasPrefix(rest, []byte("%%%\n")) {
		colon := bytes.IndexByte(rest, ':')
		if colon <= 0 {
			m.Err = errors.New("bad netstring length")
			return m
		}
		n, err := strconv.Atoi(string(rest[:colon]))
		if err != nil || colon+1+n >= len(rest) || rest[colon+1+n] != ',' {
			m.Err = fmt.Errorf("bad netstring %q", rest[:min(len(rest), 20)])
			return m
		}
		field := rest[colon+1 : colon+1+n]
		rest = rest[colon+2+n:]
		typ := "0"
		if len(field) > 3 && field[0] == '(' && field[2] == ')' {
			typ, field = string(field[1]), field[3:]
		}
		name, value, _ := bytes.Cut(field, []byte("="))
		v := string(value)
		if typ != "0" {
			v = fmt.Sprintf("(%s)%x", typ, value)
		}
		m.Fields = append(m.Fields, [2]string{string(name), v})
	}
	return m
}
