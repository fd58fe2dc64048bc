// Package resources holds the VM tests (build tag vm) of hbd's resource
// agents that need the kernel's IPVS: LVSSyncDaemonSwap against the real
// sync daemons and sysctls, IPaddrDR against real addresses, each in a
// network namespace of its own. They live here, not in
// internal/resources, so that the VM runs only them and not the package's
// host tests.
package resources
