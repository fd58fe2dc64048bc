// Package buildinfo formats what the Go toolchain recorded in a binary
// (debug.ReadBuildInfo): the main module's version, the VCS revision and
// time, and the Go version. Both daemons print it for --version and -V.
// It performs no I/O beyond reading the running binary's build info.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is the part of the build info --version prints.
type Info struct {
	Module    string // main module path
	Version   string // main module version: a tag, a pseudo-version, or "(devel)"
	Revision  string // vcs.revision, "" when the build did not stamp it
	Time      string // vcs.time (RFC 3339)
	Modified  bool   // vcs.modified: the work tree had uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// Read returns the running binary's Info. Without build info (a test
// binary built in an unusual way) the fields say "unknown".
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Module: "unknown", Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo picks the Info out of bi.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	in.Platform = goos + "/" + goarch
	return in
}

// Text is the --version output for program, one fact a line:
//
//	hbd v0.0.0-20261206052911-519b254abcde+dirty
//	module github.com/ultramonkey/ultramonkey
//	revision 519b254abcdef0123456789abcdef0123456789a (2026-12-06T05:29:11Z, modified)
//	go1.26.8 linux/amd64
func (in Info) Text(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", program, in.Version)
	if in.Module != "" {
		fmt.Fprintf(&b, "module %s\n", in.Module)
	}
	switch {
	case in.Revision == "":
		b.WriteString("revision unknown (built without VCS stamping)\n")
	default:
		var extra []string
		if in.Time != "" {
			extra = append(extra, in.Time)
		}
		if in.Modified {
			extra = append(extra, "modified")
		}
		fmt.Fprintf(&b, "revision %s", in.Revision)
		if len(extra) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(extra, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s\n", in.GoVersion, in.Platform)
	return b.String()
}
