package heartbeat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hacf"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/hbtest"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/r1"
	"github.com/ultramonkey/ultramonkey/internal/resources"
	"github.com/ultramonkey/ultramonkey/internal/resources/restest"
)

// The engine loop tests: two real Nodes over hbtest.Net with fake resource
// agents, in a synctest bubble, so deadtime and RQSTDELAY pass in virtual
// time. Timing: keepalive 1 s, deadtime 3 s, initdead 6 s.

const (
	vip1 = "IPaddr::10.0.0.100/24/eth0"
	vip2 = "IPaddr::10.0.0.200/24/eth0"
)

func haCf(autoFailback string) string {
	return "keepalive 1\ndeadtime 3\nwarntime 2\ninitdead 6\nbcast eth0 eth1\nauto_failback " + autoFailback +
		"\nnode node1\nnode node2\n"
}

const haresources = "node1 " + vip1 + " httpd\nnode2 " + vip2 + "\n"

// logRec is one captured log record.
type logRec struct {
	at    time.Time
	level slog.Level
	msg   string
}

type logSink struct {
	mu   sync.Mutex
	recs []logRec
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, logRec{at: r.Time, level: r.Level, msg: r.Message})
	return nil
}
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

func (s *logSink) count(msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recs {
		if r.msg == msg {
			n++
		}
	}
	return n
}

func (s *logSink) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, r := range s.recs {
		fmt.Fprintf(&b, "%s %s %s\n", r.at.Format("15:04:05.000"), r.level, r.msg)
	}
	return b.String()
}

// timedAgent records when its resource was started and stopped.
type timedAgent struct {
	*restest.Agent
	mu     sync.Mutex
	starts []time.Time
	stops  []time.Time
}

func (a *timedAgent) Start(ctx context.Context) error {
	a.mu.Lock()
	a.starts = append(a.starts, time.Now())
	a.mu.Unlock()
	return a.Agent.Start(ctx)
}

func (a *timedAgent) Stop(ctx context.Context) error {
	a.mu.Lock()
	a.stops = append(a.stops, time.Now())
	a.mu.Unlock()
	return a.Agent.Stop(ctx)
}

func (a *timedAgent) times() (starts, stops []time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.starts), slices.Clone(a.stops)
}

// host is one machine: its agents and logs survive hbd restarts.
type host struct {
	name   string
	calls  *restest.Log
	agents map[string]*timedAgent
	logs   *logSink
	garp   *restest.Announcer
	gen    uint64
	key    string
	pinger *hbtest.Pinger        // nil: no ping medium
	prep   map[string]*prepAgent // resources with a standby role, resolved first
	hares  string                // haresources; "" is the package's haresources
	node   *heartbeat.Node
	cancel context.CancelFunc
	runErr chan error
	obs    heartbeat.Observer // nil: none
}

func (h *host) resolve(r resources.Resource) (resources.Agent, error) {
	if a, ok := h.prep[r.String()]; ok {
		return a, nil
	}
	if a, ok := h.agents[r.String()]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("resolving %s: %w", r, resources.ErrNoScript)
}

func (h *host) running(res string) bool { return h.agents[res].IsRunning() }

type cluster struct {
	t     *testing.T
	net   *hbtest.Net
	hacf  string
	hosts map[string]*host
}

func newCluster(t *testing.T, autoFailback string) *cluster {
	c := &cluster{t: t, net: hbtest.NewNet(), hacf: haCf(autoFailback), hosts: map[string]*host{}}
	for i, name := range []string{"node1", "node2"} {
		h := &host{name: name, calls: &restest.Log{}, agents: map[string]*timedAgent{}, logs: &logSink{},
			garp: &restest.Announcer{}, gen: uint64(1000 * (i + 1)), key: "auth 1\n1 sha1 secret\n"}
		for _, r := range []string{vip1, "httpd", vip2} {
			h.agents[r] = &timedAgent{Agent: &restest.Agent{Name: r, Log: h.calls}}
		}
		c.hosts[name] = h
	}
	return c
}

// start runs hbd on the host (a new generation each time).
func (c *cluster) start(name string) *host {
	t := c.t
	h := c.hosts[name]
	cf, _, err := hacf.ParseHaCf("ha.cf", []byte(c.hacf))
	if err != nil {
		t.Fatalf("ha.cf: %v", err)
	}
	keys, err := hacf.ParseAuthKeys("authkeys", []byte(h.key))
	if err != nil {
		t.Fatalf("authkeys: %v", err)
	}
	hares := h.hares
	if hares == "" {
		hares = haresources
	}
	groups, err := resources.ParseHaresources("haresources", []byte(hares))
	if err != nil {
		t.Fatalf("haresources: %v", err)
	}
	h.gen++
	log := slog.New(h.logs)
	var pinger heartbeat.Pinger
	if h.pinger != nil {
		pinger = h.pinger
	}
	mgr := resources.NewManager(resources.ManagerConfig{Logger: log, StopRetries: -1,
		VIPs: resources.NewVIPAnnouncer(resources.VIPAnnouncerConfig{Sender: h.garp, Logger: log})}, h.resolve)
	node, err := heartbeat.New(heartbeat.Config{HaCf: cf, Keys: keys, Groups: groups, Local: name,
		Transport: c.net.Endpoint(name, "eth0", "eth1"), Pinger: pinger,
		Runner: mgr, Monitor: mgr, Preparer: mgr, VIPs: mgr, Generation: h.gen, UUID: [16]byte{byte(len(name)), name[4]}, Logger: log, Observer: h.obs})
	if err != nil {
		t.Fatalf("new node %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.node, h.cancel, h.runErr = node, cancel, make(chan error, 1)
	go func() { h.runErr <- node.Run(ctx) }()
	return h
}

// kill stops the host's loop abruptly: no release, like SIGKILL.
func (c *cluster) kill(name string) {
	h := c.hosts[name]
	h.cancel()
	if err := <-h.runErr; err != nil {
		c.t.Errorf("run %s: %v", name, err)
	}
}

// stopAll ends every running loop at the end of a test.
func (c *cluster) stopAll() {
	for _, h := range c.hosts {
		if h.cancel != nil {
			h.cancel()
			<-h.node.Done()
		}
	}
}

func (c *cluster) dumpLogs() string {
	var b strings.Builder
	for _, name := range []string{"node1", "node2"} {
		fmt.Fprintf(&b, "--- %s\n%s", name, c.hosts[name].logs.dump())
	}
	return b.String()
}

// holders says which host runs each resource.
func (c *cluster) holders() map[string][]string {
	out := map[string][]string{}
	for _, r := range []string{vip1, "httpd", vip2} {
		out[r] = []string{}
		for _, name := range []string{"node1", "node2"} {
			if c.hosts[name].running(r) {
				out[r] = append(out[r], name)
			}
		}
	}
	return out
}

func (c *cluster) wantHolders(when string, want map[string][]string) {
	c.t.Helper()
	if diff := cmp.Diff(want, c.holders()); diff != "" {
		c.t.Fatalf("%s: holders (-want +got):\n%s\n%s", when, diff, c.dumpLogs())
	}
}

var settled = map[string][]string{vip1: {"node1"}, "httpd": {"node1"}, vip2: {"node2"}}

// settle starts both nodes and lets the negotiation finish.
func (c *cluster) settle() {
	c.start("node1")
	c.start("node2")
	time.Sleep(15 * time.Second)
	synctest.Wait()
	c.wantHolders("after start", settled)
}

func TestPreferredNodeGetsItsGroupInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		calls := c.hosts["node1"].calls.Calls()
		i, j := slices.Index(calls, vip1+" start"), slices.Index(calls, "httpd start")
		if i < 0 || j < i {
			t.Errorf("node1 did not start %s before httpd: %q", vip1, calls)
		}
		if n := c.hosts["node2"].logs.count("Link node1:eth1 up."); n != 1 {
			t.Errorf("node2 logged %q %d times, want 1", "Link node1:eth1 up.", n)
		}
	})
}

func TestKillFailsOverAtDeadtime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		killed := time.Now()
		c.kill("node1")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		// node1's fake agents still run (SIGKILL leaves the VIP).
		c.wantHolders("after kill", map[string][]string{vip1: {"node1", "node2"}, "httpd": {"node1", "node2"}, vip2: {"node2"}})
		starts, _ := c.hosts["node2"].agents[vip1].times()
		if len(starts) != 1 {
			t.Fatalf("node2 started %s %d times, want 1\n%s", vip1, len(starts), c.dumpLogs())
		}
		// The last heartbeat came at most one keepalive before the kill;
		// the takeover must follow deadtime after it, not a poll later.
		took := starts[0].Sub(killed)
		t.Logf("kill -> VIP on node2: %v", took)
		if took > 3*time.Second+100*time.Millisecond || took < 2*time.Second {
			t.Errorf("kill -> VIP on node2 took %v, want within (deadtime-keepalive, deadtime+100ms]", took)
		}
		if c.hosts["node2"].logs.count("node node1: is dead") != 1 {
			t.Errorf("node2 did not log the death once\n%s", c.hosts["node2"].logs.dump())
		}
	})
}

func TestOneLinkCutIsNoFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		c.net.Cut("node1", "eth1")
		time.Sleep(10 * time.Second)
		synctest.Wait()
		c.wantHolders("after cutting eth1", settled)
		for name, line := range map[string]string{"node1": "Link node2:eth1 dead.", "node2": "Link node1:eth1 dead."} {
			if c.hosts[name].logs.count(line) != 1 {
				t.Errorf("%s did not log %q once\n%s", name, line, c.hosts[name].logs.dump())
			}
		}
		st, err := c.hosts["node2"].node.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Nodes[0].Links[1]; got.Name != "eth1" || got.Status != "dead" || st.Nodes[0].Status != "active" {
			t.Errorf("node2 sees node1 %s, eth1 %+v; want active, eth1 dead", st.Nodes[0].Status, got)
		}
		c.net.Heal("node1", "eth1")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if c.hosts["node2"].logs.count("Link node1:eth1 up.") != 2 {
			t.Errorf("node2 did not log the link up again\n%s", c.hosts["node2"].logs.dump())
		}
		c.wantHolders("after heal", settled)
	})
}

func TestSplitBrainHealKeepsPreferredOwner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "off")
		defer c.stopAll()
		c.settle()
		c.net.Cut("node2", "eth0")
		c.net.Cut("node2", "eth1")
		time.Sleep(8 * time.Second)
		synctest.Wait()
		both := map[string][]string{vip1: {"node1", "node2"}, "httpd": {"node1", "node2"}, vip2: {"node1", "node2"}}
		c.wantHolders("during the partition", both)
		healed := time.Now()
		c.net.Heal("node2", "eth0")
		c.net.Heal("node2", "eth1")
		time.Sleep(2 * time.Second) // two keepalives
		synctest.Wait()
		c.wantHolders("two keepalives after the heal", settled)
		// The preferred owner never let go: node1 never stopped vip1, and
		// node2 never stopped vip2.
		for name, res := range map[string]string{"node1": vip1, "node2": vip2} {
			if _, stops := c.hosts[name].agents[res].times(); len(stops) != 0 {
				t.Errorf("%s stopped %s during the split brain at %v", name, res, stops)
			}
		}
		_, stops := c.hosts["node2"].agents[vip1].times()
		if len(stops) != 1 || stops[0].Sub(healed) > 2*time.Second {
			t.Errorf("node2 released %s at %v, want once within 2 s of the heal", vip1, stops)
		}
		if g := c.hosts["node1"].garp.Calls(); len(g) == 0 || g[0].IP.String() != "10.0.0.100" || g[0].Iface != "eth0" {
			t.Errorf("node1 did not re-announce 10.0.0.100 on eth0 after the heal: %+v", g)
		}
		if g := c.hosts["node2"].garp.Calls(); slices.ContainsFunc(g, func(a restest.Announcement) bool { return a.IP.String() == "10.0.0.100" }) {
			t.Errorf("node2 announced the VIP it released: %+v", g)
		}
	})
}

func TestAutoFailback(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  string
		after map[string][]string
	}{
		{name: "on", mode: "on", after: settled},
		{name: "off", mode: "off", after: map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCluster(t, tc.mode)
				defer c.stopAll()
				c.settle()
				c.kill("node1")
				// The killed node's leftovers: as if hbd removed them at start.
				for _, r := range []string{vip1, "httpd"} {
					c.hosts["node1"].agents[r].Stop(context.Background())
				}
				time.Sleep(5 * time.Second)
				c.start("node1")
				time.Sleep(20 * time.Second)
				synctest.Wait()
				c.wantHolders("after node1 returns", tc.after)
			})
		})
	}
}

func TestStandbyAndTakeover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		n1 := c.hosts["node1"].node
		text, err := n1.Standby(context.Background(), r1.HoldAll)
		if err != nil {
			t.Fatalf("standby: %v (%s)\n%s", err, text, c.dumpLogs())
		}
		c.wantHolders("after hb_standby all", map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}})
		text, err = n1.Takeover(context.Background(), r1.HoldLocal)
		if err != nil {
			t.Fatalf("takeover: %v (%s)\n%s", err, text, c.dumpLogs())
		}
		c.wantHolders("after hb_takeover local", settled)
		// Nothing foreign to give: done at once.
		if text, err := n1.Standby(context.Background(), r1.HoldForeign); err != nil || !strings.Contains(text, "holds none of these") {
			t.Errorf("standby foreign with nothing foreign: %q, %v", text, err)
		}
	})
}

func TestStandbyRefusedInLegacyMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "legacy")
		defer c.stopAll()
		c.settle()
		text, err := c.hosts["node1"].node.Standby(context.Background(), r1.HoldAll)
		if !errors.Is(err, heartbeat.ErrRefused) || !strings.Contains(text, r1.MsgStandbyLegacy) {
			t.Errorf("standby in legacy mode: %q, %v; want refused with %q", text, err, r1.MsgStandbyLegacy)
		}
		c.wantHolders("after the refusal", settled)
	})
}

func TestWrongKeyKeepsNodesApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.hosts["node2"].key = "auth 1\n1 sha1 other\n"
		c.start("node1")
		c.start("node2")
		time.Sleep(60 * time.Second)
		synctest.Wait()
		both := map[string][]string{vip1: {"node1", "node2"}, "httpd": {"node1", "node2"}, vip2: {"node1", "node2"}}
		c.wantHolders("with different keys", both)
		st, err := c.hosts["node1"].node.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 60 s at one status per second on two links.
		if got := st.Drops["bad auth"]; got < 100 {
			t.Errorf("node1 counted %d bad-auth drops, want about 120 (%v)", got, st.Drops)
		}
		logged := c.hosts["node1"].logs.count("packet dropped: bad auth (link eth0)") +
			c.hosts["node1"].logs.count("packet dropped: bad auth (link eth1)")
		if logged == 0 || logged > 7 {
			t.Errorf("node1 logged %d drop lines in 60 s, want 1..7 (one per 10 s)", logged)
		}
	})
}

func TestDuplicatesAndDelaysAreNotErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.net.Duplicate("eth0", 2)
		c.net.Delay("eth1", 300*time.Millisecond)
		c.settle()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		c.wantHolders("with duplicates", settled)
		for _, name := range []string{"node1", "node2"} {
			st, err := c.hosts[name].node.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Drops) != 0 {
				t.Errorf("%s dropped packets: %v", name, st.Drops)
			}
			if c.hosts[name].logs.count("node node1: is dead")+c.hosts[name].logs.count("node node2: is dead") != 0 {
				t.Errorf("%s declared its peer dead\n%s", name, c.hosts[name].logs.dump())
			}
		}
	})
}

func TestRestartedPeerIsAcceptedAndReplayDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		old := c.net.Frames("node2")
		c.kill("node2")
		c.start("node2") // new generation, well within deadtime
		time.Sleep(15 * time.Second)
		synctest.Wait()
		if c.hosts["node1"].logs.count("Heartbeat restart on node node2") != 1 {
			t.Errorf("node1 did not log the restart\n%s", c.hosts["node1"].logs.dump())
		}
		c.wantHolders("after the restart", settled)
		// A replayed datagram of the old generation is dropped and counted.
		if err := c.net.Inject("node2", "node1", "eth0", old[len(old)-1].Buf); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		st, err := c.hosts["node1"].node.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Drops[string(member.ReasonOldGeneration)] != 1 {
			t.Errorf("drops after replaying an old datagram: %v", st.Drops)
		}
	})
}

func TestShutdownHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		h := c.hosts["node1"]
		if err := h.node.Shutdown(context.Background()); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if err := <-h.runErr; err != nil {
			t.Errorf("run: %v", err)
		}
		h.cancel = nil
		time.Sleep(2 * time.Second)
		synctest.Wait()
		c.wantHolders("after node1's shutdown", map[string][]string{vip1: {"node2"}, "httpd": {"node2"}, vip2: {"node2"}})
		calls := h.calls.Calls()
		i, j := slices.Index(calls, "httpd stop"), slices.Index(calls, vip1+" stop")
		if i < 0 || j < i {
			t.Errorf("node1 did not stop httpd before %s: %q", vip1, calls)
		}
		if h.logs.count(heartbeat.MsgShutdownComplete) != 1 {
			t.Errorf("no %q\n%s", heartbeat.MsgShutdownComplete, h.logs.dump())
		}
	})
}

func TestReloadedKeysJoinTheNodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.hosts["node2"].key = "auth 2\n2 md5 other\n"
		c.start("node1")
		c.start("node2")
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// SIGHUP on node2 after fixing authkeys: key 1 added and active.
		keys, err := hacf.ParseAuthKeys("authkeys", []byte("2 md5 other\nauth 1\n1 sha1 secret\n"))
		if err != nil {
			t.Fatal(err)
		}
		text, err := c.hosts["node2"].node.Reload(context.Background(), nil, keys)
		if err != nil || !strings.Contains(text, "signing with key 1") {
			t.Fatalf("reload: %q, %v", text, err)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		c.wantHolders("after the key reload", settled)
	})
}

// TestStartTogetherIsQuick: both nodes start at once. Each answers the
// other's t=starting with rsc_hold=none, so each takes its local groups
// as soon as it has the answer, not RQSTDELAY (10 s) later.
func TestStartTogetherIsQuick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		t0 := time.Now()
		c.start("node1")
		c.start("node2")
		time.Sleep(time.Second) // one keepalive
		synctest.Wait()
		c.wantHolders("one keepalive after both started", settled)
		for name, res := range map[string]string{"node1": vip1, "node2": vip2} {
			starts, _ := c.hosts[name].agents[res].times()
			if len(starts) != 1 || starts[0].Sub(t0) >= time.Second {
				t.Errorf("%s started %s at %v after start, want once within one keepalive", name, res, starts)
			}
			if c.hosts[name].logs.count(fmt.Sprintf(r1.MsgBothStarting, c.hosts[name].node.Peer())) != 1 {
				t.Errorf("%s did not log the joint start\n%s", name, c.hosts[name].logs.dump())
			}
		}
	})
}

// TestOldGenerationKeepsLinksDown: node2 comes back with a generation
// lower than the one node1 knows (its generation file was lost or rolled
// back), so node1 drops its packets as a replay. Its unsequenced packets
// (NS_ackmsg for node1's messages, NS_rexmit) carry the same old hg= and
// must not bring the links up either: no "Link node2:ethX up." while every
// status from node2 is dropped.
func TestOldGenerationKeepsLinksDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "on")
		defer c.stopAll()
		c.settle()
		c.kill("node2")
		c.hosts["node2"].gen = 1 // start makes it 2, far below 2000
		c.start("node2")
		n1 := c.hosts["node1"].logs
		time.Sleep(10 * time.Second) // node2 is declared dead after deadtime
		synctest.Wait()
		if n1.count("node node2: is dead") != 1 {
			t.Fatalf("node1 did not declare node2 dead\n%s", n1.dump())
		}
		up := map[string]int{}
		for _, link := range []string{"eth0", "eth1"} {
			up[link] = n1.count(fmt.Sprintf("Link node2:%s up.", link))
		}
		time.Sleep(60 * time.Second)
		synctest.Wait()
		st, err := c.hosts["node1"].node.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Drops[string(member.ReasonOldGeneration)] == 0 {
			t.Fatalf("node1 dropped nothing as old generation: %v\n%s", st.Drops, n1.dump())
		}
		for _, link := range []string{"eth0", "eth1"} {
			if got := n1.count(fmt.Sprintf("Link node2:%s up.", link)) - up[link]; got != 0 {
				t.Errorf("link node2:%s logged up %d times while node2's packets were dropped\n%s", link, got, n1.dump())
			}
		}
	})
}
