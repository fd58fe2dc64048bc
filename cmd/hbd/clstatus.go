package main

// cl_status, Heartbeat's status tool (heartbeat/lib/cl_status.c): the same
// sub-commands, output and exit codes for the ones hbd supports.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ultramonkey/ultramonkey/internal/daemon"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat"
	"github.com/ultramonkey/ultramonkey/internal/heartbeat/member"
)

// cl_status exit codes (cl_status.c).
const (
	clOK             = 0
	clNormalFail     = 1 // the node or link is down, heartbeat is stopped
	clParameterError = 11
	clUnknownError   = 13
)

const clHelp = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
hblinkstatus <node-name> <link-name>
	Show the status of a heartbeat link
hbstatus
	Indicate if heartbeat is running on the local system.
listhblinks <node-name>
	List the network interfaces used as hearbeat links.
listnodes [<option>]
	List the nodes in the cluster.
	Options:
		-p	list only 'ping' type nodes
		-n	list only 'normal' type nodes
nodestatus <node-name>
	List the node status.
nodetype <node-name>
	List the nodes of a given type.
rscstatus
	Show the status of cluster resources.
`

// clStatus is cl_status.
func (a *app) clStatus(ctx context.Context, args []string) int {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-h") {
		fmt.Fprint(a.stdout, clHelp)
		return clOK
	}
	cmd := args[0]
	known := []string{"hbstatus", "listnodes", "nodestatus", "nodetype", "listhblinks", "hblinkstatus", "rscstatus"}
	if !slices.Contains(known, cmd) {
		fmt.Fprintf(a.stderr, "cl_status: %s: invalid sub-command.\n", cmd)
		return clParameterError
	}
	var human, onlyPing, onlyNormal bool
	var params []string
	for _, arg := range args[1:] {
		switch {
		case arg == "-m":
			human = true
		case arg == "-p" && cmd == "listnodes":
			onlyPing = true
		case arg == "-n" && cmd == "listnodes":
			onlyNormal = true
		case arg == "-v" && cmd == "hbstatus":
		case strings.HasPrefix(arg, "-"):
			fmt.Fprintf(a.stderr, "cl_status: Error: getopt returned character code %s.\n", arg)
			return clParameterError
		default:
			params = append(params, arg)
		}
	}
	st, err := a.fetchStatus(ctx)
	if cmd == "hbstatus" {
		if err != nil {
			fmt.Fprintln(a.stdout, "Heartbeat is stopped on this machine.")
			if !errors.Is(err, daemon.ErrNotRunning) {
				// Heartbeat's words, as its failed signon printed them; the
				// reason says when hbd runs but refused this caller.
				fmt.Fprintf(a.stderr, "cl_status: REASON: %v\n", err)
			}
			return clNormalFail
		}
		fmt.Fprintln(a.stdout, "Heartbeat is running on this machine.")
		return clOK
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "cl_status: Cannot signon with heartbeat")
		fmt.Fprintf(a.stderr, "cl_status: REASON: %v\n", err)
		return clNormalFail
	}
	need := map[string]int{"nodestatus": 1, "nodetype": 1, "listhblinks": 1, "hblinkstatus": 2}[cmd]
	if len(params) < need {
		fmt.Fprintln(a.stderr, "Not enough parameters.")
		return clParameterError
	}
	return a.clAnswer(cmd, params, st, human, onlyPing, onlyNormal)
}

func findNode(st heartbeat.Status, name string) *heartbeat.NodeStatus {
	for i := range st.Nodes {
		if strings.EqualFold(st.Nodes[i].Name, name) {
			return &st.Nodes[i]
		}
	}
	return nil
}

func (a *app) clAnswer(cmd string, p []string, st heartbeat.Status, human, onlyPing, onlyNormal bool) int {
	out := a.stdout
	switch cmd {
	case "listnodes":
		if human {
			fmt.Fprintln(out, "The nodes are as follow:")
		}
		for _, n := range st.Nodes {
			if onlyPing && !onlyNormal && n.Type != "ping" || onlyNormal && !onlyPing && n.Type != "normal" {
				continue
			}
			fmt.Fprintln(out, n.Name)
		}
		return clOK
	case "rscstatus":
		if human {
			fmt.Fprintf(out, "This node is holding %s resources.\n", st.Resources)
		} else {
			fmt.Fprintln(out, st.Resources)
		}
		return clOK
	}
	n := findNode(st, p[0])
	if n == nil {
		fmt.Fprintln(a.stderr, "Error. May be due to incorrect node name")
		return clParameterError
	}
	switch cmd {
	case "nodestatus":
		if human {
			fmt.Fprintf(out, "The cluster node %s is %s\n", p[0], n.Status)
		} else {
			fmt.Fprintln(out, n.Status)
		}
		if n.Status == member.StatusActive || n.Status == member.StatusUp || n.Status == member.StatusPing {
			return clOK
		}
		return clNormalFail
	case "nodetype":
		if human {
			fmt.Fprintf(out, "The node %s's type: %s\n", p[0], n.Type)
		} else {
			fmt.Fprintln(out, n.Type)
		}
		return clOK
	case "listhblinks":
		if human {
			fmt.Fprintln(out, "\tthis node have the following heartbeat links:")
		}
		for _, l := range n.Links {
			fmt.Fprintf(out, "\t%s\n", l.Name)
		}
		return clOK
	}
	// hblinkstatus
	for _, l := range n.Links {
		if l.Name != p[1] {
			continue
		}
		if human {
			fmt.Fprintf(out, "The node %s's heartbeat link %s is %s\n", p[0], p[1], l.Status)
		} else {
			fmt.Fprintln(out, l.Status)
		}
		if l.Status == member.LinkStatusUp {
			return clOK
		}
		return clNormalFail
	}
	fmt.Fprintln(a.stderr, "cl_status: Cannot get heartbeat link status")
	return clUnknownError
}
