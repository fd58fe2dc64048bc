package director

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ultramonkey/ultramonkey/internal/director/ldcf"
)

var prefixCmp = cmpopts.EquateComparable(netip.Prefix{})

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

const routesConf = `bgp_asn=65001
bgp_router_id=192.0.2.11
bgp_peer=192.0.2.1 asn 65000
virtual=10.1.1.10:80
    real=10.0.0.2:80 gate
    real=10.0.0.3:80 gate
    checktype=connect
virtual=10.1.1.10:443
    real=10.0.0.4:443 gate
    checktype=connect
virtual=10.1.1.20:80
    real=10.0.0.5:80 gate
    fallback=127.0.0.1:80
    checktype=connect
virtual6=[2001:db8::10]:80
    real6=[2001:db8::2]:80 gate
    checktype=connect
virtual=10.1.1.30:80
    real=10.0.0.6:80 gate
    checktype=on
virtual=10.1.1.40:80
    real=10.0.0.7:80 gate
    checktype=off
virtual=7
    real=10.0.0.8 gate
    checktype=connect
`

func TestRoutes(t *testing.T) {
	cfg := parseConf(t, routesConf)
	tests := []struct {
		name   string
		health healthMap
		want   []netip.Prefix
	}{
		{name: "nothing known: only checktype=on", health: healthMap{}, want: prefixes("10.1.1.30/32")},
		{name: "every real up (off and fwmark never)", health: healthMap{"10.0.0.2:80": Up, "10.0.0.3:80": Up, "10.0.0.4:443": Up,
			"10.0.0.5:80": Up, "[2001:db8::2]:80": Up, "10.0.0.7:80": Up, "10.0.0.8:0": Up},
			want: prefixes("10.1.1.10/32", "10.1.1.20/32", "10.1.1.30/32", "2001:db8::10/128")},
		{name: "one real of two down: announced", health: healthMap{"10.0.0.2:80": Down, "10.0.0.3:80": Up},
			want: prefixes("10.1.1.10/32", "10.1.1.30/32")},
		{name: "port 80 all down, port 443 up: the address stays", health: healthMap{"10.0.0.2:80": Down, "10.0.0.3:80": Down, "10.0.0.4:443": Up},
			want: prefixes("10.1.1.10/32", "10.1.1.30/32")},
		{name: "a fallback serving does not count", health: healthMap{"10.0.0.5:80": Down}, want: prefixes("10.1.1.30/32")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Routes(cfg, tt.health), prefixCmp); diff != "" {
				t.Errorf("Routes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteChanges(t *testing.T) {
	a, w := RouteChanges(prefixes("10.0.0.1/32", "10.0.0.2/32"), prefixes("2001:db8::1/128", "10.0.0.2/32", "10.0.0.0/32"))
	if diff := cmp.Diff(prefixes("10.0.0.0/32", "2001:db8::1/128"), a, prefixCmp); diff != "" {
		t.Errorf("announce (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(prefixes("10.0.0.1/32"), w, prefixCmp); diff != "" {
		t.Errorf("withdraw (-want +got):\n%s", diff)
	}
	if p := HostRoute(netip.MustParseAddr("::ffff:10.0.0.1")); p != netip.MustParsePrefix("10.0.0.1/32") {
		t.Errorf("HostRoute(mapped) = %s", p)
	}
}

// routeRecorder is a RouteAnnouncer keeping every set it is given.
type routeRecorder struct {
	mu   sync.Mutex
	sets [][]netip.Prefix
}

func (r *routeRecorder) SetRoutes(routes []netip.Prefix) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sets = append(r.sets, routes)
}

func (r *routeRecorder) take() [][]netip.Prefix {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sets
	r.sets = nil
	return out
}

var _ RouteAnnouncer = (*routeRecorder)(nil)

// TestRoutesFollowHealth runs the engine: the routes it announces follow
// the reals' health one transition at a time (the same sets TestRoutes
// expects of Routes), and are all withdrawn on stop.
func TestRoutesFollowHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := parseConf(t, routesConf)
		fc := newFakeChecker()
		for _, a := range []string{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.5:80"} {
			fc.set(a, true)
		}
		rec := &routeRecorder{}
		h := start(t, "", cfg, fc, func(c *Config) { c.Routes = rec })
		expect := func(step string, want ...[]netip.Prefix) {
			t.Helper()
			got := rec.take()
			if diff := cmp.Diff(want, got, prefixCmp, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: sets announced (-want +got):\n%s", step, diff)
			}
		}
		// The start-up diff announces checktype=on at once; each first
		// result adds its address.
		sets := rec.take()
		if len(sets) == 0 || !slices.Equal(sets[len(sets)-1], prefixes("10.1.1.10/32", "10.1.1.20/32", "10.1.1.30/32")) {
			t.Fatalf("after the first checks: sets %v", sets)
		}
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		expect("one real of two down")
		h.expectLogs()
		fc.set("10.0.0.3:80", false)
		h.advance(10 * time.Second)
		expect("port 80 all down, port 443 not known yet", prefixes("10.1.1.20/32", "10.1.1.30/32"))
		h.expectLogs("withdrawing route 10.1.1.10/32")
		fc.set("10.0.0.4:443", true)
		h.advance(10 * time.Second)
		expect("port 443 up", prefixes("10.1.1.10/32", "10.1.1.20/32", "10.1.1.30/32"))
		fc.set("10.0.0.5:80", false)
		h.advance(10 * time.Second)
		expect("fallback serving", prefixes("10.1.1.10/32", "10.1.1.30/32"))

		h.d.Reload(parseConf(t, routesConf+"virtual=10.1.1.50:80\n\treal=10.0.0.9:80 gate\n\tchecktype=on\n"))
		synctest.Wait()
		expect("reload adds a virtual", prefixes("10.1.1.10/32", "10.1.1.30/32", "10.1.1.50/32"))
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		expect("stop", nil)
	})
}

// TestRoutesNeedBGP: without bgp_* the engine gives its announcer nothing
// and logs no route (a 4.12 file); a reload that adds bgp_* announces
// what is up, one that removes them publishes nothing more.
func TestRoutesNeedBGP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var plain []string
		for _, l := range strings.Split(routesConf, "\n") {
			if !strings.HasPrefix(l, "bgp_") {
				plain = append(plain, l)
			}
		}
		noBGP := strings.Join(plain, "\n")
		fc := newFakeChecker()
		for _, a := range []string{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.5:80"} {
			fc.set(a, true)
		}
		rec := &routeRecorder{}
		h := start(t, "", parseConf(t, noBGP), fc, func(c *Config) { c.Routes = rec })
		fc.set("10.0.0.2:80", false)
		fc.set("10.0.0.3:80", false)
		h.advance(10 * time.Second)
		if sets := rec.take(); len(sets) != 0 {
			t.Errorf("without bgp_*: sets %v, want none", sets)
		}
		for _, line := range h.logs.take() {
			if strings.Contains(line, " route ") {
				t.Errorf("without bgp_*: logged %q", line)
			}
		}
		fc.set("10.0.0.2:80", true)
		h.advance(10 * time.Second)
		h.d.Reload(parseConf(t, routesConf))
		synctest.Wait()
		if sets := rec.take(); len(sets) != 1 || !slices.Equal(sets[0], prefixes("10.1.1.10/32", "10.1.1.20/32", "10.1.1.30/32")) {
			t.Errorf("reload adding bgp_*: sets %v, want one with every address up", sets)
		}
		h.d.Reload(parseConf(t, noBGP))
		fc.set("10.0.0.2:80", false)
		h.advance(10 * time.Second)
		if sets := rec.take(); len(sets) != 0 {
			t.Errorf("after a reload removing bgp_*: sets %v, want none", sets)
		}
		h.stop()
	})
}

// TestRunMHPlaceholders: an mh virtual gets all its reals at start, at
// weight 0 and in address order, before any check has answered; the first
// results only raise weights, so the real list has one order on every
// director whatever order their checks pass in.
func TestRunMHPlaceholders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc := newFakeChecker()
		fc.gate = make(chan struct{})
		for _, a := range []string{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"} {
			fc.set(a, true)
		}
		cfg := conf(virt("10.1.1.10:80", []ldcf.Real{rl("10.0.0.4:80", 1, ldcf.Gate), rl("10.0.0.2:80", 1, ldcf.Gate), rl("10.0.0.3:80", 1, ldcf.Gate)},
			func(v *ldcf.Virtual) { v.Scheduler, v.SchedFlags, v.Quiescent = "mh", "mh-port", true }))
		h := start(t, "", cfg, fc)
		h.expectOps("-A -t 10.1.1.10:80 -s mh -b mh-port",
			"-a -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 0", "-a -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 0", "-a -t 10.1.1.10:80 -r 10.0.0.4:80 -g -w 0")
		close(fc.gate)
		synctest.Wait()
		got := h.ops()
		slices.Sort(got)
		want := []string{"-e -t 10.1.1.10:80 -r 10.0.0.2:80 -g -w 1", "-e -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 1", "-e -t 10.1.1.10:80 -r 10.0.0.4:80 -g -w 1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ops after the first results (-want +got):\n%s", diff)
		}
		fc.set("10.0.0.3:80", false)
		h.advance(10 * time.Second)
		h.expectOps("-e -t 10.1.1.10:80 -r 10.0.0.3:80 -g -w 0")
		h.stop()
	})
}
