// Package daemon is the process plumbing hbd and ldirectord share: pid files,
// the control socket, signals, logging to syslog or a file, and sd_notify.
package daemon
