// Command failoverreport renders a failover benchmark result
// (bench/results/failover.json, written by bench/failover/run.sh) as
// Markdown, into the failover section of bench/README.md or to stdout.
//
//	failoverreport -in bench/results/failover.json -readme bench/README.md
//	failoverreport -in bench/results/failover.json          (stdout)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/ultramonkey/ultramonkey/bench/failover"
)

func main() {
	in := flag.String("in", "bench/results/failover.json", "the failover benchmark's JSON")
	readme := flag.String("readme", "", "rewrite this file's failover section (default: print to stdout)")
	flag.Parse()
	if err := run(*in, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "failoverreport:", err)
		os.Exit(1)
	}
}

func run(in, readme string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var r failover.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("decoding %s: %w", in, err)
	}
	if r.Targets == nil {
		r.Targets = failover.Targets(r, failover.LoadProfile)
	}
	body := fmt.Sprintf("Run %s; JSON: `%s`.\n\n%s", r.Date, in, r.Markdown())
	if readme == "" {
		_, err := fmt.Print(body)
		return err
	}
	doc, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	out, err := failover.ReplaceSection(string(doc), body)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	tmp := readme + ".tmp"
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, readme)
}
