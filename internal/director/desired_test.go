package director

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

// healthMap is a HealthView from a real address to its state (any check).
type healthMap map[string]State

func (h healthMap) State(k CheckKey) State { return h[k.Target().Real.String()] }

func parseConf(t *testing.T, text string) *ldcf.Config {
	t.Helper()
	cfg, err := ldcf.Parse("ldirectord.cf", []byte(strings.ReplaceAll(text, "\n    ", "\n\t")), ldcf.Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

func TestDesired(t *testing.T) {
	tests := []struct {
		name    string
		conf    string
		health  healthMap
		want    string // ipvsadm -Ln body
		pending []string
	}{
		{
			name:    "up at weight, down absent (quiescent=no default), unknown pending",
			conf:    "virtual=10.1.1.10:80\n    real=10.0.0.2:80 gate 3\n    real=10.0.0.3:80 gate\n    real=10.0.0.4:80 gate\n    checktype=connect\n",
			health:  healthMap{"10.0.0.2:80": Up, "10.0.0.3:80": Down},
			want:    "TCP  10.1.1.10:80 wrr\n  -> 10.0.0.2:80 Route 3\n",
			pending: []string{"10.0.0.4:80"},
		},
		{
			name:   "quiescent=yes keeps a down real at weight 0",
			conf:   "quiescent=yes\nvirtual=10.1.1.10:80\n    real=10.0.0.2:80 masq 2\n    real=10.0.0.3:8080 masq\n    checktype=connect\n",
			health: healthMap{"10.0.0.2:80": Up, "10.0.0.3:8080": Down},
			want:   "TCP  10.1.1.10:80 wrr\n  -> 10.0.0.2:80 Masq 2\n  -> 10.0.0.3:8080 Masq 0\n",
		},
		{
			name: "gate and ipip reals take the virtual port; masq keeps its own; port 0 takes the virtual's",
			conf: "virtual=10.1.1.10:80\n    real=10.0.0.2:8080 gate\n    real=10.0.0.3:8080 ipip\n    real=10.0.0.4:8080 masq\n    real=10.0.0.5 masq\n    checktype=on\n",
			want: "TCP  10.1.1.10:80 wrr\n  -> 10.0.0.2:80 Route 1\n  -> 10.0.0.3:80 Tunnel 1\n  -> 10.0.0.4:8080 Masq 1\n  -> 10.0.0.5:80 Masq 1\n",
		},
		{
			name: "checktype=off: no reals, no fallback",
			conf: "fallback=127.0.0.1:80\nvirtual=10.1.1.10:80\n    real=10.0.0.2:80 gate\n    checktype=off\n",
			want: "TCP  10.1.1.10:80 wrr\n",
		},
		{
			name:   "fallback when every real is down, with the virtual port",
			conf:   "virtual=10.1.1.10:80\n    real=10.0.0.2:80 gate\n    fallback=127.0.0.1 gate\n    checktype=connect\n",
			health: healthMap{"10.0.0.2:80": Down},
			want:   "TCP  10.1.1.10:80 wrr\n  -> 127.0.0.1:80 Route 1\n",
		},
		{
			name:    "no fallback while a real is unknown",
			conf:    "virtual=10.1.1.10:80\n    real=10.0.0.2:80 gate\n    real=10.0.0.3:80 gate\n    fallback=127.0.0.1:80\n    checktype=connect\n",
			health:  healthMap{"10.0.0.2:80": Down},
			want:    "TCP  10.1.1.10:80 wrr\n",
			pending: []string{"10.0.0.3:80"},
		},
		{
			name:   "quiescent down reals stay beside the fallback",
			conf:   "quiescent=yes\nfallback=127.0.0.1:80 masq\nvirtual=10.1.1.10:80\n    real=10.0.0.2:80 gate\n    checktype=connect\n",
			health: healthMap{"10.0.0.2:80": Down},
			want:   "TCP  10.1.1.10:80 wrr\n  -> 10.0.0.2:80 Route 0\n  -> 127.0.0.1:80 Masq 1\n",
		},
		{
			name: "persistence, netmask, ops, schedflags, thresholds, fwmark",
			conf: "virtual=10.1.1.10:53\n    protocol=udp\n    real=10.0.0.2:53 masq 1 u:100 l:10\n    scheduler=sh\n    schedflags=sh-fallback,sh-port\n    persistent=300\n    netmask=255.255.255.0\n    ops=yes\n    checktype=on\n" +
				"virtual=80\n    real=10.0.0.3 gate 4\n    scheduler=rr\n    checktype=on\n",
			want: "UDP  10.1.1.10:53 sh persistent 300 mask 255.255.255.0 ops sh-fallback,sh-port\n  -> 10.0.0.2:53 Masq 1 u:100 l:10\n" +
				"FWM  80 rr\n  -> 10.0.0.3:0 Route 4\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Desired(parseConf(t, tc.conf), tc.health)
			want := tableOf(t, tc.want)
			if diff := cmp.Diff(FormatTable(want), FormatTable(got)); diff != "" {
				t.Errorf("desired (-want +got):\n%s", diff)
			}
			var pending []string
			for _, ds := range got {
				for a := range ds.Pending {
					pending = append(pending, a.String())
				}
			}
			if diff := cmp.Diff(tc.pending, pending, cmpEmpty); diff != "" {
				t.Errorf("pending (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanOfSample(t *testing.T) {
	cfg := parseConf(t, "checktimeout=10\ncheckinterval=5\nquiescent=yes\nvirtual=10.1.1.10:80\n"+
		"    real=192.168.2.236:80 masq\n    real=192.168.2.237:80 masq\n    service=http\n    request=\"index.html\"\n    receive=\"ok\"\n")
	want := ipvstest.Header + "TCP  10.1.1.10:80 wrr\n" +
		"  -> 192.168.2.236:80             Masq    1      0          0\n" +
		"  -> 192.168.2.237:80             Masq    1      0          0\n"
	if diff := cmp.Diff(want, FormatTable(Plan(cfg))); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
}

// TestFormatMatchesKernelRendering: the director's rendering of a table read
// from the fake kernel equals the fake's own ipvsadm -Ln rendering.
func TestFormatMatchesKernelRendering(t *testing.T) {
	text := "TCP  10.1.1.10:80 sh persistent 300 mask 255.255.0.0 sh-port\n  -> 10.0.0.2:80 Route 1\n  -> 10.0.0.3:8080 Masq 0 u:5 l:1\n" +
		"UDP  [2001:db8::1]:53 wrr persistent 60 mask 64 ops\n  -> [2001:db8::2]:53 Masq 2\nFWM  7 IPv6 rr flag-3\n"
	k := &ipvstest.Kernel{}
	if err := k.Load(text); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k.String(), FormatTable(mustRead(t, k))); diff != "" {
		t.Errorf("(-fake +director):\n%s", diff)
	}
}

func TestCheckKeySharedAcrossVirtuals(t *testing.T) {
	cfg := parseConf(t, "virtual=10.1.1.10:80\n    real=10.0.0.2:80 gate 1\n    checktype=connect\n"+
		"virtual=10.1.1.11:80\n    real=10.0.0.2:80 masq 5\n    checktype=connect\n"+
		"virtual=10.1.1.12:80\n    real=10.0.0.2:80 gate\n    checktype=connect\n    checkport=81\n"+
		"virtual=10.1.1.13:80\n    real=10.0.0.2:80 gate\n    checktype=external\n    checkcommand=/bin/chk\n"+
		"virtual=10.1.1.14:80\n    real=10.0.0.2:80 gate\n    checktype=external\n    checkcommand=/bin/chk\n")
	v := cfg.Virtuals
	k := func(i int) CheckKey { return CheckKeyFor(v[i], v[i].Reals[0]) }
	if k(0) != k(1) {
		t.Errorf("same connect check under two virtuals (other weight, forwarding) gives two keys")
	}
	if k(0) == k(2) {
		t.Errorf("checkport change kept the key")
	}
	if k(3) == k(4) {
		t.Errorf("external checks of different virtuals share a key, but get the virtual as arguments")
	}
	if got := k(0).Target(); got.Port != 80 || got.Timeout != 5*time.Second {
		t.Errorf("target = %+v, want port 80, timeout 5s", got)
	}
}

func TestSchedFlags(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr string
	}{
		{in: "", want: 0},
		{in: "sh-fallback,sh-port", want: ipvs.FlagSched1 | ipvs.FlagSched2},
		{in: "mh-port", want: ipvs.FlagSched2},
		{in: "flag-3", want: ipvs.FlagSched3},
		{in: "sh-port,bogus", want: ipvs.FlagSched2, wantErr: "unknown schedflags bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := SchedFlags(tc.in)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("SchedFlags(%q) = %#x, %v; want %#x, %q", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestCheckPort is ld_checkport: checkport= first, then the real's port,
// then the service's well-known port, then (ours) the virtual's port.
func TestCheckPort(t *testing.T) {
	for _, tc := range []struct {
		name       string
		checkport  uint16
		real, virt string
		service    string
		want       uint16
	}{
		{"checkport", 8080, "10.0.0.2:80", "10.1.1.10:80", "http", 8080},
		{"real's port", 0, "10.0.0.2:8000", "10.1.1.10:80", "http", 8000},
		{"service port", 0, "10.0.0.2:0", "10.1.1.10:0", "https", 443},
		{"virtual's port", 0, "10.0.0.2:0", "10.1.1.10:81", "none", 81},
	} {
		v := virt(tc.virt, nil, func(v *ldcf.Virtual) { v.CheckPort, v.Service = tc.checkport, tc.service })
		if got := TargetFor(v, rl(tc.real, 1, ldcf.Gate)).Port; got != tc.want {
			t.Errorf("%s: check port %d, want %d", tc.name, got, tc.want)
		}
	}
}
