// Command ldbench is the ldirectord benchmark (make bench, issue 4): it
// runs this project's director and Debian's Perl ldirectord against a
// loopback HTTP farm and stand-in IPVS tables, and writes JSON results.
//
//	ldbench host [-ns ...] [-perl-ns ...] [-window 20s] [-quick] -out FILE
//	ldbench farm|engine ...      helper roles (started by host)
//	ipvsadm ...                  the ipvsadm stand-in (argv[0] = ipvsadm)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	ldbench "github.com/ultramonkey/ultramonkey/bench/ldirectord"
)

func main() {
	if filepath.Base(os.Args[0]) == "ipvsadm" {
		os.Exit(ldbench.Standin(os.Args[1:], os.Stdout, os.Stderr))
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ldbench host|report|farm|engine ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "host":
		os.Exit(host(os.Args[2:]))
	case "report":
		os.Exit(report(os.Args[2:]))
	default:
		os.Exit(ldbench.Role(os.Args[1:], os.Stderr))
	}
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func host(args []string) int {
	fs := flag.NewFlagSet("host", flag.ExitOnError)
	goNs := fs.String("ns", "100,1000,10000", "N for this project")
	perlNs := fs.String("perl-ns", "100,1000,10000", "N for Perl ldirectord")
	window := fs.Duration("window", 20*time.Second, "steady window")
	quick := fs.Bool("quick", false, "fewer trials")
	work := fs.String("work", "bench/out", "scratch directory")
	out := fs.String("out", "bench/results/host.json", "results file")
	perl := fs.String("perl", "/usr/sbin/ldirectord", "Debian's ldirectord")
	fs.Parse(args)
	self, _ := os.Executable()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o := ldbench.HostOptions{Self: []string{self}, Work: *work, GoNs: ints(*goNs), PerlNs: ints(*perlNs),
		Window: *window, Quick: *quick, PerlOrig: *perl}
	logf := func(f string, a ...any) {
		fmt.Printf("bench: [%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(f, a...))
	}
	res, err := ldbench.RunHost(ctx, o, logf)
	if werr := writeJSON(*out, res); werr != nil {
		fmt.Fprintln(os.Stderr, werr)
		return 1
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ldbench host:", err)
		return 1
	}
	return 0
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
