// Package ipvs holds the identity and value types of the kernel IPVS table
// (virtual services and their real servers), the Kernel interface the
// director reconciles against, and the one adapter that talks to the real
// kernel over generic netlink (netlink.go, through github.com/moby/ipvs).
//
// The types here are plain comparable values: the director's pure desired
// state and diff use them without touching the kernel. Only netlink.go
// performs I/O.
package ipvs
