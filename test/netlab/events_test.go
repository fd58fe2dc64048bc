package netlab

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEvents(t *testing.T) {
	ev := NewEvents[string]()
	for _, e := range []string{"a", "b", "c"} {
		ev.Add(e)
	}
	if got := ev.Len(); got != 3 {
		t.Fatalf("Len = %d, want 3", got)
	}
	tests := []struct {
		name string
		from int
		want []string
	}{
		{name: "all", from: 0, want: []string{"a", "b", "c"}},
		{name: "tail", from: 2, want: []string{"c"}},
		{name: "at end", from: 3, want: nil},
		{name: "past end", from: 9, want: nil},
		{name: "negative", from: -1, want: []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run("Since "+tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ev.Since(tc.from)); diff != "" {
				t.Errorf("Since(%d) (-want +got):\n%s", tc.from, diff)
			}
		})
	}
	t.Run("First finds a present event and its position", func(t *testing.T) {
		e, i, err := ev.First(t.Context(), 1, func(s string) bool { return s != "a" })
		if err != nil || e != "b" || i != 1 {
			t.Errorf("First = %q, %d, %v; want b, 1, nil", e, i, err)
		}
	})
	t.Run("First waits for a later Add", func(t *testing.T) {
		type result struct {
			e   string
			i   int
			err error
		}
		got := make(chan result, 1)
		go func() {
			e, i, err := ev.First(t.Context(), 0, func(s string) bool { return s == "d" })
			got <- result{e, i, err}
		}()
		ev.Add("x")
		ev.Add("d")
		select {
		case r := <-got:
			if r.err != nil || r.e != "d" || r.i != 4 {
				t.Errorf("First = %q, %d, %v; want d, 4, nil", r.e, r.i, r.err)
			}
		case <-time.After(10 * time.Second): // a bound, not a timing assertion
			t.Fatal("First did not return after the matching Add")
		}
	})
	t.Run("First ends with its context", func(t *testing.T) {
		cause := errors.New("test over")
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(cause)
		_, i, err := ev.First(ctx, 0, func(string) bool { return false })
		if !errors.Is(err, cause) || i != -1 {
			t.Errorf("First = %d, %v; want -1 and an error wrapping %v", i, err, cause)
		}
	})
}

func TestHolders(t *testing.T) {
	vip := netip.MustParseAddr("192.0.2.100")
	add := func(node string, p string) AddrEvent {
		return AddrEvent{Node: node, Link: "eth0", Prefix: netip.MustParsePrefix(p), Added: true}
	}
	del := func(node string, p string) AddrEvent { e := add(node, p); e.Added = false; return e }
	tests := []struct {
		name string
		evs  []AddrEvent
		want map[string]bool
	}{
		{name: "none", evs: nil, want: map[string]bool{}},
		{name: "other address", evs: []AddrEvent{add("node1", "192.0.2.1/24")}, want: map[string]bool{}},
		{name: "added", evs: []AddrEvent{add("node1", "192.0.2.100/24")}, want: map[string]bool{"node1": true}},
		{name: "moved", evs: []AddrEvent{add("node1", "192.0.2.100/24"), add("node2", "192.0.2.100/24"), del("node1", "192.0.2.100/24")}, want: map[string]bool{"node2": true}},
		{name: "both (split brain)", evs: []AddrEvent{add("node1", "192.0.2.100/24"), add("node2", "192.0.2.100/24")}, want: map[string]bool{"node1": true, "node2": true}},
		{name: "listed twice then deleted", evs: []AddrEvent{add("node1", "192.0.2.100/24"), add("node1", "192.0.2.100/24"), del("node1", "192.0.2.100/24")}, want: map[string]bool{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Holders(tc.evs, vip)); diff != "" {
				t.Errorf("Holders (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogLines(t *testing.T) {
	text := "a: node1 dead\nb: ok\nc: node1 dead\n"
	tests := []struct {
		name string
		sub  string
		want int
	}{
		{name: "twice", sub: "node1 dead", want: 2},
		{name: "once", sub: "ok", want: 1},
		{name: "never", sub: "node2", want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CountLines(text, tc.sub); got != tc.want {
				t.Errorf("CountLines(%q) = %d, want %d", tc.sub, got, tc.want)
			}
		})
	}
	t.Run("Tail", func(t *testing.T) {
		if diff := cmp.Diff("[… 2 lines]\n3\n4", Tail("1\n2\n3\n4", 2)); diff != "" {
			t.Errorf("Tail (-want +got):\n%s", diff)
		}
		if got := Tail("1\n2", 5); got != "1\n2" {
			t.Errorf("Tail of a short text = %q, want it whole", got)
		}
	})
}

func TestWaitLines(t *testing.T) {
	reads := []string{"", "x\n", "x\ngone dead\n"}
	n := 0
	read := func() string { // each read shows one more line
		s := reads[min(n, len(reads)-1)]
		n++
		return s
	}
	got, err := WaitLines(t.Context(), time.Millisecond, read, 0, "is dead", "gone dead")
	if err != nil || got != "gone dead" {
		t.Fatalf("WaitLines = %q, %v; want gone dead", got, err)
	}
	t.Run("already counted lines do not match", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := WaitLines(ctx, time.Millisecond, func() string { return "gone dead\n" }, 1, "gone dead")
		if err == nil || !strings.Contains(err.Error(), `log line "gone dead" not seen`) {
			t.Errorf("WaitLines = %v, want a not-seen error", err)
		}
	})
}

func TestHaCf(t *testing.T) {
	c := Cluster{Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Initdead: time.Second, AutoFailback: "on"}
	got := c.HaCf(HaCfNode{Comment: "lab: node1", LogFile: "/l/ha-log", DebugFile: "/l/ha-debug",
		PeerLAN: netip.MustParseAddr("192.0.2.2"), PeerHB: netip.MustParseAddr("198.51.100.2")})
	want := `# lab: node1
logfile /l/ha-log
debugfile /l/ha-debug
use_logd no
keepalive 100ms
deadtime 500ms
initdead 1000ms
udpport 694
ucast eth0 192.0.2.2
ucast eth1 198.51.100.2
auto_failback on
node node1
node node2
crm off
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HaCf (-want +got):\n%s", diff)
	}
	texts := []struct{ name, got, want string }{
		{"authkeys sha1", SHA1.AuthKeys(), "auth 1\n1 sha1 hbd-lab-secret\n"},
		{"authkeys crc", Auth{Method: "crc"}.AuthKeys(), "auth 1\n1 crc\n"},
		{"haresources", HaResources(), "node1 IPaddr::192.0.2.100/24/eth0/192.0.2.255\n"},
		{"haresources extra", HaResources("stuck"), "node1 IPaddr::192.0.2.100/24/eth0/192.0.2.255 stuck\n"},
	}
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
