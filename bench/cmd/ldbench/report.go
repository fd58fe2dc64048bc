package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	ldbench "github.com/ultramonkey/ultramonkey/bench/ldirectord"
)

const (
	beginMark = "<!-- results:begin (written by make bench) -->"
	endMark   = "<!-- results:end -->"
)

// report re-indents the VM's JSON line and rewrites the results section of
// the README between its markers.
func report(args []string) int {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	hostPath := fs.String("host", "bench/results/host.json", "host results")
	vmRaw := fs.String("vm-raw", "", "the VM's one-line JSON, re-indented into -vm")
	vmPath := fs.String("vm", "bench/results/vm.json", "VM results")
	readme := fs.String("readme", "bench/README.md", "README to update")
	vmNote := fs.String("vm-note", "", "a note added to the VM results read from -vm-raw (the host's load during the run)")
	fs.Parse(args)
	if *vmRaw != "" {
		if b, err := os.ReadFile(*vmRaw); err == nil && len(bytes.TrimSpace(b)) > 0 {
			var r ldbench.Results
			if err := json.Unmarshal(bytes.TrimSpace(b), &r); err != nil {
				fmt.Fprintln(os.Stderr, "ldbench report: vm json:", err)
				return 1
			}
			if *vmNote != "" {
				r.Notes = append(r.Notes, *vmNote)
			}
			out, _ := json.MarshalIndent(r, "", "  ")
			os.WriteFile(*vmPath, append(out, '\n'), 0o644)
		}
	}
	host, err := ldbench.ReadResults(*hostPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ldbench report:", err)
		return 1
	}
	vm, err := ldbench.ReadResults(*vmPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ldbench report:", err)
		return 1
	}
	md := ldbench.Markdown(host, vm)
	old, err := os.ReadFile(*readme)
	if err != nil {
		fmt.Println(md)
		return 0
	}
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		fmt.Fprintf(os.Stderr, "ldbench report: %s has no results markers\n", *readme)
		return 1
	}
	s = s[:i+len(beginMark)] + "\n\n" + md + "\n" + s[j:]
	if err := os.WriteFile(*readme, []byte(s), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "ldbench report:", err)
		return 1
	}
	return 0
}
