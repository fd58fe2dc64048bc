// Package resources parses haresources, plans the start and stop of resource
// groups (left to right, right to left, rollback on failure), and runs them
// through Agents: the built-in IPaddr, IPaddr2 and ldirectord agents, and
// resource.d and init.d scripts.
package resources
