// Package metrics serves Prometheus metrics for hbd and ldirectord
// (--metrics-address HOST:PORT, off by default): the address check, the
// listener (bound at start, before the daemon touches IPVS or resources,
// so a bad or busy address stops the start) and the HTTP server of
// /metrics. It also holds the helpers both daemons' collectors share.
//
// The engines (internal/director, internal/heartbeat) never import this
// package or Prometheus: they report to small observer interfaces of their
// own, and cmd/hbd and cmd/ldirectord turn those reports and the engines'
// Status snapshots into metrics.
package metrics
