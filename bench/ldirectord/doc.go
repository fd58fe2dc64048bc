// Package ldbench is the ldirectord benchmark behind `make bench` (issue 4,
// bench/README.md): this project's director and Debian's Perl ldirectord
// 4.12 against one loopback HTTP farm and stand-in IPVS tables on this
// host, and, in the IPVS VM (vm_bench_test.go, tag vmbench), the director
// against the real IPVS beside keepalived's HTTP_GET checker.
// bench/cmd/ldbench is its command.
//
// Files: config.go (the points and subjects), farm.go (the farm of reals
// and its control API), engine.go and roles.go (the helper roles: the Go
// director over ipvstest, the farm), standin.go (the ipvsadm stand-in the
// Perl ldirectord runs), oplog.go (following the stand-ins' op logs),
// measure.go, detect.go and runpoint.go (startup, steady cost, detection
// latency per point), proc.go (CPU time from /proc), host.go (the host
// run), report.go and point.go (JSON results and the Markdown section),
// targets.go (the speed targets the results are checked against).
//
// Size: about 2,500 lines, over the ~2,000 guide: a benchmark harness of
// many small parts that only make bench runs (the farm, the stand-in, the
// measurements and the report); it is not linked into a daemon.
package ldbench
