// Package check holds the health checks of real servers: the Checker
// interface, the table of services and one file per protocol.
package check
