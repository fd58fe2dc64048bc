package main

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramonkey/ultramonkey/internal/director/ipvs"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
	"github.com/ultramonkey/ultramonkey/internal/metrics"
)

// checkMetricsAddress validates --metrics-address ("" is fine: none).
func (a *app) checkMetricsAddress() error {
	if a.metricsAddr == "" {
		return nil
	}
	return metrics.CheckAddress(a.metricsAddr)
}

// listenMetrics binds --metrics-address and prepares the metric set the
// node reports to (a.metrics); nil without the flag.
func (a *app) listenMetrics() (net.Listener, error) {
	if a.metricsAddr == "" {
		return nil, nil
	}
	ln, err := metrics.Listen(a.metricsAddr)
	if err != nil {
		return nil, err
	}
	a.metrics = newHBDMetrics()
	return ln, nil
}

// observer is the node's Observer: the metric set, or nil without one.
// syncd is kept for the scrape of the sync daemons.
func (a *app) observer(syncd *ipvs.SyncNetlink) heartbeat.Observer {
	if a.metrics == nil {
		return nil
	}
	if syncd != nil { // a nil *SyncNetlink must stay a nil syncLister
		a.metrics.status.syncd = syncd
	}
	return a.metrics
}

// serveMetrics serves the metric set on ln until ctx ends.
func (a *app) serveMetrics(ctx context.Context, ln net.Listener, node *heartbeat.Node, log *slog.Logger) {
	a.metrics.status.node = node
	reg := metrics.NewRegistry(a.metrics.collectors()...)
	go func() {
		if err := metrics.Serve(ctx, ln, reg); err != nil {
			log.Error("metrics endpoint stopped", "err", err)
		}
	}()
	log.Info("serving metrics on http://" + ln.Addr().String() + "/metrics")
}

// hbdMetrics is hbd's metric set (docs/metrics.md). Counters and the
// takeover histogram follow the node's Observer; the gauges are read from
// the node's Status (and the kernel's sync daemons) at each scrape.
type hbdMetrics struct {
	late        *prometheus.CounterVec
	linkChanges *prometheus.CounterVec
	nodeDeaths  *prometheus.CounterVec
	groupOps    *prometheus.CounterVec
	takeover    *prometheus.HistogramVec
	status      *hbdStatusCollector
}

var _ heartbeat.Observer = (*hbdMetrics)(nil)

func newHBDMetrics() *hbdMetrics {
	return &hbdMetrics{
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hbd_late_heartbeats_total",
			Help: "Heartbeats heard later than warntime (severity warn) or deadtime (crit) after the previous one, by node.",
		}, []string{"node", "severity"}),
		linkChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hbd_link_changes_total", Help: "Heartbeat links that came up or went dead, by node, link and new state.",
		}, []string{"node", "link", "to"}),
		nodeDeaths: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hbd_node_deaths_total", Help: "Nodes declared dead after deadtime without heartbeats, by node.",
		}, []string{"node"}),
		groupOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hbd_group_operations_total",
			Help: "Resource group starts (takeovers) and stops on this node, by group, operation and result.",
		}, []string{"group", "op", "result"}),
		takeover: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hbd_takeover_duration_seconds",
			Help:    "How long resource group starts on this node took, from the decision to the last resource started.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"group"}),
		status: &hbdStatusCollector{},
	}
}

func (m *hbdMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.late, m.linkChanges, m.nodeDeaths, m.groupOps, m.takeover, m.status}
}

func (m *hbdMetrics) Live(e member.LiveEvent) {
	switch e.Kind {
	case member.LinkUp:
		m.linkChanges.WithLabelValues(e.Node, e.Link, "up").Inc()
	case member.LinkDead:
		m.linkChanges.WithLabelValues(e.Node, e.Link, "dead").Inc()
	case member.NodeWarn:
		sev := "warn"
		if e.Crit {
			sev = "crit"
		}
		m.late.WithLabelValues(e.Node, sev).Inc()
	case member.NodeDead:
		m.nodeDeaths.WithLabelValues(e.Node).Inc()
	}
}

func (m *hbdMetrics) GroupDone(group string, start, ok bool, took time.Duration) {
	op, result := "stop", "ok"
	if start {
		op = "start"
	}
	if !ok {
		result = "failed"
	}
	m.groupOps.WithLabelValues(group, op, result).Inc()
	if start && ok {
		m.takeover.WithLabelValues(group).Observe(took.Seconds())
	}
}

// hbdStatusCollector reads the node's Status at scrape time. node and
// syncd are set once the node is built (before the endpoint serves).
type hbdStatusCollector struct {
	node  *heartbeat.Node
	syncd syncLister // nil without an LVSSyncDaemonSwap resource
}

// syncLister lists the kernel's IPVS sync daemons (ipvs.SyncNetlink).
type syncLister interface {
	Daemons() ([]ipvs.SyncDaemon, error)
}

// Node and group states, listed in full so each state is a series that is
// 0 or 1 (an alert on == 1 never meets a missing series).
var (
	normalStates = []string{"init", "up", "active", "dead"}
	pingStates   = []string{"init", "ping", "dead"}
	groupPhases  = []string{"stopped", "starting", "running", "stopping"}
	rscStates    = []string{"none", "local", "foreign", "all"}
)

var (
	descLinkUp = prometheus.NewDesc("hbd_link_up", "1 when heartbeats from the node arrive on the link (up), 0 when dead.",
		[]string{"node", "link"}, nil)
	descLinkAge = prometheus.NewDesc("hbd_link_last_heartbeat_age_seconds",
		"Seconds since the last heartbeat from the node was heard on the link.", []string{"node", "link"}, nil)
	descNodeStatus = prometheus.NewDesc("hbd_node_status",
		"1 for the node's current status (normal nodes: init, up, active, dead; ping nodes: init, ping, dead).",
		[]string{"node", "type", "status"}, nil)
	descGroupPhase = prometheus.NewDesc("hbd_group_phase",
		"1 for the resource group's phase on this node (stopped, starting, running, stopping).", []string{"group", "phase"}, nil)
	descGroupHeld = prometheus.NewDesc("hbd_group_held",
		"1 when this node holds the resource group (starting, running or stopping it).", []string{"group"}, nil)
	descGroupFailed = prometheus.NewDesc("hbd_group_failed",
		"1 when the group's last start here failed.", []string{"group"}, nil)
	descGroupStopFailed = prometheus.NewDesc("hbd_group_stop_failed",
		"1 when a stop left resources of the group running (the group stays held and the stop is retried).", []string{"group"}, nil)
	descResources = prometheus.NewDesc("hbd_resources_status",
		"1 for cl_status rscstatus: which resources this node holds (none, local, foreign, all).", []string{"status"}, nil)
	descDrops = prometheus.NewDesc("hbd_packets_dropped_total",
		"Heartbeat and ping packets dropped, by reason (bad auth, replay, malformed, unknown sender, ...).", []string{"reason"}, nil)
	descSyncDaemon = prometheus.NewDesc("hbd_lvs_sync_daemon_running",
		"1 for each IPVS connection-sync daemon running in the kernel (LVSSyncDaemonSwap), by state, interface and syncid.",
		[]string{"state", "interface", "syncid"}, nil)
	descSyncReadable = prometheus.NewDesc("hbd_lvs_sync_daemons_readable",
		"1 when the kernel's IPVS sync daemons could be listed (only with an LVSSyncDaemonSwap resource).", nil, nil)
	descIPfailPingUp = prometheus.NewDesc("hbd_ipfail_ping_nodes_up",
		"Ping nodes this node reaches, as ipfail compares them with the peer's (only with ipfail).", nil, nil)
	descIPfailPing = prometheus.NewDesc("hbd_ipfail_ping_nodes",
		"Ping nodes ipfail counts (only with ipfail).", nil, nil)
	descIPfailGiveUp = prometheus.NewDesc("hbd_ipfail_give_up_pending",
		"1 when ipfail has decided to give resources (all, foreign) to the better connected peer and the move is pending.",
		[]string{"set"}, nil)
	descUp = prometheus.NewDesc("hbd_status_up", "1 when hbd's loop answered the status request of this scrape.", nil, nil)
)

func (c *hbdStatusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLinkUp, descLinkAge, descNodeStatus, descGroupPhase, descGroupHeld,
		descGroupFailed, descGroupStopFailed, descResources, descDrops, descSyncDaemon, descSyncReadable, descIPfailPingUp, descIPfailPing, descIPfailGiveUp, descUp} {
		ch <- d
	}
}

func (c *hbdStatusCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.node.Status(ctx)
	gauge(descUp, b2f(err == nil))
	if err == nil {
		now := time.Now()
		for _, n := range st.Nodes {
			states := normalStates
			if n.Type == heartbeat.NodeTypePing {
				states = pingStates
			}
			for _, s := range states {
				gauge(descNodeStatus, b2f(n.Status == s), n.Name, n.Type, s)
			}
			if n.Local {
				continue
			}
			for _, l := range n.Links {
				gauge(descLinkUp, b2f(l.Status == "up"), n.Name, l.Name)
				if !l.LastHeard.IsZero() {
					gauge(descLinkAge, now.Sub(l.LastHeard).Seconds(), n.Name, l.Name)
				}
			}
		}
		for _, g := range st.Groups {
			for _, p := range groupPhases {
				gauge(descGroupPhase, b2f(g.Phase == p), g.Key, p)
			}
			gauge(descGroupHeld, b2f(g.Owner == st.Node), g.Key)
			gauge(descGroupFailed, b2f(g.Failed), g.Key)
			gauge(descGroupStopFailed, b2f(g.StopFailed), g.Key)
		}
		for _, s := range rscStates {
			gauge(descResources, b2f(st.Resources == s), s)
		}
		if f := st.IPfail; f != nil {
			gauge(descIPfailPingUp, float64(f.PingNodesUp))
			gauge(descIPfailPing, float64(f.PingNodes))
			for _, set := range []string{"all", "foreign"} {
				gauge(descIPfailGiveUp, b2f(f.GiveUp == set), set)
			}
		}
		for reason, n := range st.Drops {
			ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(n), reason)
		}
	}
	if c.syncd != nil {
		collectSync(c.syncd, gauge)
	}
}

// collectSync reports the running sync daemons.
func collectSync(l syncLister, gauge func(d *prometheus.Desc, v float64, labels ...string)) {
	ds, err := l.Daemons()
	gauge(descSyncReadable, b2f(err == nil))
	for _, d := range ds {
		gauge(descSyncDaemon, 1, d.State.String(), d.Interface, strconv.Itoa(int(d.SyncID)))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
