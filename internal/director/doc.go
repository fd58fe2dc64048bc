// Package director is ldirectord's engine: per-real health state, the desired
// IPVS table computed from the configuration and that state, the diff against
// the kernel table, and the loop that applies it. Desired and Diff are pure;
// the kernel is reached only through ipvs.Kernel.
package director
