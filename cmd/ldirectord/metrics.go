package main

import (
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ultramonkey/ultramonkey/internal/director"
	"github.com/ultramonkey/ultramonkey/internal/director/check"
)

// ldMetrics is ldirectord's metric set (docs/metrics.md). Counters and the
// latency histogram follow the director's Observer; the per-real gauges
// are read from director.Status at each scrape (statusCollector), so they
// are never stale and cost nothing between scrapes.
type ldMetrics struct {
	checks        *prometheus.CounterVec
	checkLatency  *prometheus.HistogramVec
	transitions   *prometheus.CounterVec
	ipvsOps       *prometheus.CounterVec
	ipvsErrors    *prometheus.CounterVec
	reloads       prometheus.Counter
	reloadsFailed prometheus.Counter
	status        *statusCollector
	bgp           *bgpCollector
}

var _ director.Observer = (*ldMetrics)(nil)

func newLdMetrics(status func() director.Status, bgpStatus func() *bgpStatus) *ldMetrics {
	realCheck := []string{"real", "check"}
	return &ldMetrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ldirectord_checks_total", Help: "Health checks completed, by real server (address:port probed), check and result (up, down).",
		}, append(realCheck, "result")),
		checkLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ldirectord_check_duration_seconds", Help: "How long health checks took, by real server and check.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, realCheck),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ldirectord_real_transitions_total", Help: "Health transitions of real servers, by real server, check and new state (up, down).",
		}, append(realCheck, "to")),
		ipvsOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ldirectord_ipvs_operations_total", Help: "IPVS changes attempted, by operation (ipvsadm's -A -E -D -a -e -d).",
		}, []string{"op"}),
		ipvsErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ldirectord_ipvs_operation_errors_total", Help: "IPVS changes the kernel refused, by operation.",
		}, []string{"op"}),
		reloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ldirectord_config_reloads_total", Help: "Configuration reloads put in force.",
		}),
		reloadsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ldirectord_config_reload_failures_total", Help: "Configuration reloads refused (broken file: the running configuration stays).",
		}),
		status: &statusCollector{status: status},
		bgp:    &bgpCollector{status: bgpStatus},
	}
}

// collectors lists every collector to register.
func (m *ldMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.checks, m.checkLatency, m.transitions, m.ipvsOps, m.ipvsErrors, m.reloads, m.reloadsFailed, m.status, m.bgp}
}

// targetLabels names a check: the address and port it probes, and the
// check type with its service ("negotiate/http", "connect").
func targetLabels(t check.Target) (real, chk string) {
	real = netip.AddrPortFrom(t.Real.Addr(), t.Port).String()
	chk = string(t.Type)
	if t.Service != "" {
		chk += "/" + t.Service
	}
	return real, chk
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func (m *ldMetrics) CheckDone(t check.Target, r check.Result) {
	real, chk := targetLabels(t)
	m.checks.WithLabelValues(real, chk, upDown(r.Up)).Inc()
	m.checkLatency.WithLabelValues(real, chk).Observe(r.Duration.Seconds())
}

func (m *ldMetrics) RealChanged(t check.Target, tr director.Transition) {
	real, chk := targetLabels(t)
	m.transitions.WithLabelValues(real, chk, upDown(tr.To == director.Up)).Inc()
}

func (m *ldMetrics) KernelOp(op director.Op, err error) {
	m.ipvsOps.WithLabelValues(op.Kind.String()).Inc()
	if err != nil {
		m.ipvsErrors.WithLabelValues(op.Kind.String()).Inc()
	}
}

func (m *ldMetrics) Reloaded()     { m.reloads.Inc() }
func (m *ldMetrics) reloadFailed() { m.reloadsFailed.Inc() }

// statusCollector turns a director.Status into gauges at scrape time.
type statusCollector struct {
	status func() director.Status
}

var (
	descRealUp = prometheus.NewDesc("ldirectord_real_up",
		"1 when the real server's check passes (it is in the IPVS table at its weight), 0 when down or not yet checked.",
		[]string{"virtual", "real"}, nil)
	descRealFailures = prometheus.NewDesc("ldirectord_real_consecutive_failures",
		"Consecutive failed checks of the real server (failurecount= takes it down).",
		[]string{"virtual", "real"}, nil)
	descRealWeight = prometheus.NewDesc("ldirectord_real_weight",
		"The real server's weight in the kernel's IPVS table (absent when not in the table).",
		[]string{"virtual", "real"}, nil)
	descVirtualInKernel = prometheus.NewDesc("ldirectord_virtual_in_kernel",
		"1 when the virtual service is in the kernel's IPVS table.",
		[]string{"virtual"}, nil)
	descLastSync = prometheus.NewDesc("ldirectord_last_sync_timestamp_seconds",
		"When the last full comparison of the IPVS table with the configuration ran.", nil, nil)
	descSyncOK = prometheus.NewDesc("ldirectord_sync_ok",
		"1 when the last full comparison left the IPVS table as configured, 0 when an IPVS error left it unreconciled.", nil, nil)
)

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRealUp, descRealFailures, descRealWeight, descVirtualInKernel, descLastSync, descSyncOK} {
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	for _, v := range st.Virtuals {
		ch <- prometheus.MustNewConstMetric(descVirtualInKernel, prometheus.GaugeValue, b2f(v.InKernel), v.Name)
		for _, r := range v.Reals {
			ch <- prometheus.MustNewConstMetric(descRealUp, prometheus.GaugeValue, b2f(r.State == director.Up), v.Name, r.Addr)
			ch <- prometheus.MustNewConstMetric(descRealFailures, prometheus.GaugeValue, float64(r.Failures), v.Name, r.Addr)
			if r.KernelWeight != nil {
				ch <- prometheus.MustNewConstMetric(descRealWeight, prometheus.GaugeValue, float64(*r.KernelWeight), v.Name, r.Addr)
			}
		}
	}
	if !st.LastSync.IsZero() {
		ch <- prometheus.MustNewConstMetric(descLastSync, prometheus.GaugeValue, float64(st.LastSync.UnixNano())/1e9)
	}
	ch <- prometheus.MustNewConstMetric(descSyncOK, prometheus.GaugeValue, b2f(st.SyncError == ""))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// bgpCollector turns route health injection's state into gauges at scrape
// time; it reports nothing while bgp_* is off.
type bgpCollector struct {
	status func() *bgpStatus
}

var (
	descBGPSessionUp = prometheus.NewDesc("ldirectord_bgp_session_up",
		"1 when the BGP session with the peer is established, 0 otherwise.",
		[]string{"peer"}, nil)
	descBGPRouteAnnounced = prometheus.NewDesc("ldirectord_bgp_route_announced",
		"1 when the director announces the VIP route over BGP, 0 when the configuration could but does not (no real up, or the speaker is down).",
		[]string{"route"}, nil)
)

func (c *bgpCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBGPSessionUp
	ch <- descBGPRouteAnnounced
}

func (c *bgpCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.status()
	if b == nil {
		return
	}
	for _, s := range b.Sessions {
		ch <- prometheus.MustNewConstMetric(descBGPSessionUp, prometheus.GaugeValue, b2f(s.Established()), s.Peer.String())
	}
	routes := map[netip.Prefix]bool{}
	for _, p := range b.Possible {
		routes[p] = false
	}
	for _, p := range b.Announced {
		routes[p] = true
	}
	for p, on := range routes {
		ch <- prometheus.MustNewConstMetric(descBGPRouteAnnounced, prometheus.GaugeValue, b2f(on), p.String())
	}
}
