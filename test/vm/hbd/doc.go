// Package hbd holds the VM tests (build tag vm) of hbd's kernel effects
// that this host's kernel cannot run: LVSSyncDaemonSwap against the real
// sync daemons and IPVS sysctls, the watchdog against softdog, each in a
// network namespace of its own where it needs one. They live here, not in
// internal/resources or internal/heartbeat, so that the VM runs only them
// and not those packages' host tests (which need this host's netlink
// families, and whose fuzz seeds take a minute under emulation).
package hbd
