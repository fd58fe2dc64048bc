package main

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/director/ipvstest"
)

// syncNS is the harness's network namespace for ipvs_sync: its sync
// daemons (none running) and the sysctls ipvs_sync writes, at the
// kernel's defaults. open counts the openings of the sync control and
// fails while openErr is set.
type syncNS struct {
	*ipvstest.SyncDaemons
	mu       sync.Mutex
	openErr  error
	openings int
}

var _ syncDaemons = (*ipvstest.SyncDaemons)(nil)

func newSyncNS() *syncNS {
	return &syncNS{SyncDaemons: ipvstest.NewSyncDaemons(map[string]string{"sloppy_tcp": "0", "sync_threshold": "3 50", "sync_refresh_period": "0"})}
}

func (f *syncNS) open() (syncDaemons, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.openErr != nil {
		return nil, f.openErr
	}
	f.openings++
	return f.SyncDaemons, nil
}

// state is the running daemons and the sysctls, for comparisons.
func (f *syncNS) state() string {
	var out []string
	ds, _ := f.Daemons()
	for _, d := range ds {
		out = append(out, d.String())
	}
	sc := f.Sysctls()
	for _, k := range slices.Sorted(maps.Keys(sc)) {
		out = append(out, k+"="+sc[k])
	}
	return strings.Join(out, "\n")
}

const syncConfig = `checkinterval=1
ipvs_sync = all-to-all eth1 syncid 10
virtual=10.1.1.10:80
	real=192.168.2.236:80 gate
	checktype=connect
	scheduler=mh
	schedflags=mh-port
`

// TestSyncDaemon: with ipvs_sync, the daemon starts a master and a backup
// and sets the scale-out sysctls; a reload that changes the sync id
// restarts both; stop stops them and puts the sysctls back.
func TestSyncDaemon(t *testing.T) {
	h := newHarness(t, syncConfig)
	h.checks.set("192.168.2.236:80", true)
	before := h.sync.state()
	g := h.start()
	want := "master sync daemon (mcast=eth1, syncid=10)\nbackup sync daemon (mcast=eth1, syncid=10)\n" +
		"sloppy_tcp=1\nsync_refresh_period=1\nsync_threshold=3 0"
	if diff := cmp.Diff(want, h.sync.state()); diff != "" {
		t.Errorf("after start (-want +got):\n%s", diff)
	}
	h.sync.TakeCalls()

	writeFile(t, h.cfg, strings.Replace(syncConfig, "syncid 10", "syncid 11", 1))
	if err := h.kill(g.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new sync id", func() bool { return strings.Contains(h.sync.state(), "syncid=11") })
	wantCalls := []string{"stop master", "stop backup",
		"start master sync daemon (mcast=eth1, syncid=11)", "start backup sync daemon (mcast=eth1, syncid=11)"}
	if diff := cmp.Diff(wantCalls, h.sync.TakeCalls()); diff != "" {
		t.Errorf("reload's calls (-want +got):\n%s", diff)
	}

	if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-g.done
	if diff := cmp.Diff(before, h.sync.state()); diff != "" {
		t.Errorf("after stop (-want +got):\n%s", diff)
	}
}

// TestSyncAdoptsRunning: daemons already running as ipvs_sync wants (a
// killed ldirectord left them) are kept, not restarted, and stopped at
// stop; a failure to reach the kernel's sync control is logged and the
// director runs without it.
func TestSyncAdoptsRunning(t *testing.T) {
	t.Run("adopt", func(t *testing.T) {
		h := newHarness(t, syncConfig)
		h.checks.set("192.168.2.236:80", true)
		for _, s := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
			h.sync.Put(ipvs.SyncDaemon{State: s, Interface: "eth1", SyncID: 10, Port: 8848, Group: ipvs.DefaultSyncGroup})
		}
		h.sync.TakeCalls()
		g := h.start()
		h.waitLog("IPVS sync daemons already running as ipvs_sync wants")
		if c := h.sync.TakeCalls(); len(c) != 0 {
			t.Errorf("calls at start %q, want none", c)
		}
		if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		<-g.done
		if diff := cmp.Diff([]string{"stop master", "stop backup"}, h.sync.TakeCalls()); diff != "" {
			t.Errorf("calls at stop (-want +got):\n%s", diff)
		}
	})
	t.Run("no sync control", func(t *testing.T) {
		h := newHarness(t, syncConfig)
		h.checks.set("192.168.2.236:80", true)
		h.sync.openErr = fmt.Errorf("open ipvs sync netlink: %w", ipvs.ErrNoIPVS)
		g := h.start()
		h.waitLog("IPVS connection sync (ipvs_sync) not fully applied; load balancing goes on without it")
		h.waitKernel("TCP  10.1.1.10:80 mh (mh-port)\n  -> 192.168.2.236:80             Route   1      0          0\n")
		if err := h.kill(g.pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		<-g.done
		if g.code != exitOK {
			t.Errorf("exit %d, want %d", g.code, exitOK)
		}
	})
}

// TestSyncCheck: check prints the daemons and sysctls ipvs_sync sets.
func TestSyncCheck(t *testing.T) {
	h := newHarness(t, syncConfig)
	code, out, stderr := h.cli(h.cfg, "check")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "IPVS sync: all-to-all\n  master sync daemon (mcast=eth1, syncid=10)\n  backup sync daemon (mcast=eth1, syncid=10)\n" +
		"  net.ipv4.vs.sloppy_tcp = 1\n  net.ipv4.vs.sync_threshold = 3 0\n  net.ipv4.vs.sync_refresh_period = 1\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("check output:\n%s\nwant it to end with:\n%s", out, want)
	}
	if c := h.sync.TakeCalls(); len(c) != 0 || h.sync.openings != 0 {
		t.Errorf("check touched the kernel: calls %q, %d openings", c, h.sync.openings)
	}
}

// TestSyncHoldsAnnouncements: with ipvs_sync and bgp_*, the first routes
// reach the speaker only SyncSettle after the sync daemons started, so
// the backup has learnt the other directors' connections before the
// router sends this director any.
func TestSyncHoldsAnnouncements(t *testing.T) {
	h := newHarness(t, strings.Replace(bgpConfig, "checkinterval=1\n", "checkinterval=1\nipvs_sync = all-to-all eth1 syncid 10\n", 1))
	h.syncSettle = 2 * time.Second
	h.checks.set("192.168.2.236:80", true)
	vip := netip.MustParsePrefix("10.1.1.10/32")
	start := time.Now()
	h.start()
	h.waitKernel("TCP  10.1.1.10:80 mh (mh-fallback,mh-port)\n  -> 192.168.2.236:80             Route   1      0          0\n  -> 192.168.2.237:80             Route   0      0          0\n")
	h.waitLog("holding the BGP announcements for 2s")
	h.waitFor("the VIP announced", func() bool { return h.bgp.Announced(vip) })
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("the VIP was announced %v after the start, want no earlier than SyncSettle (2s)", d)
	}
	if diff := cmp.Diff([]string{"start", "+10.1.1.10/32"}, h.bgp.Take()); diff != "" {
		t.Errorf("speaker calls (-want +got):\n%s", diff)
	}
}
