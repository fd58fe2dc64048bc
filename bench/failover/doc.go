// Package failover is hbd's failover benchmark (make bench, issue 5): the
// time from a kill -9 of the active node to the VIP on its peer and to the
// peer's first gratuitous ARP, for hbd and for Debian's Heartbeat 3.0.6
// in the same lab, at keepalive/deadtime 1 s/3 s, 100 ms/500 ms and
// 10 ms/30 ms; false failovers while both CPUs are busy at 10 ms/30 ms;
// and (issue 14) an idle pair's CPU per second at 10 ms and 100 ms
// keepalive (cpu.go pure, cpurun.go the harness).
//
// The untagged files are pure: Summarize and the report types (stats.go),
// the frame parsers (frames.go), the JSON and Markdown rendering
// (report.go); they take values and return values. capture.go is the one
// effect every build has: an AF_PACKET socket with kernel receive
// timestamps. The harness behind the build tags bench and interop
// (bench_test.go, trial.go, load.go) runs both implementations in the
// sandboxes of test/interop (network, mount, UTS, IPC and pid namespaces
// per node), so a kill is SIGKILL to the node's pid namespace for both.
//
//	go test -tags bench,interop -run TestFailoverBench -v ./bench/failover/
//
// bench/failover/run.sh builds bin/hbd, installs heartbeat if missing and
// runs it; the results go to bench/results/failover-<date>.json.
package failover
