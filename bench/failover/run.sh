#!/bin/bash
# make bench, failover part (issue 5): hbd against Debian's Heartbeat 3.0.6
# in the same network-namespace lab and run. Per profile (keepalive/deadtime
# 1 s/3 s, 100 ms/500 ms, 10 ms/30 ms) and implementation: N kills of the
# active node, timing kill -> VIP on the peer and kill -> the peer's first
# gratuitous ARP; then 60 s at 10 ms/30 ms with every CPU busy, counting false
# failovers; then (issue 14) the CPU per second of an idle, formed pair at
# 10 ms and 100 ms keepalive, hbd and Heartbeat alternating. Writes bench/results/failover-<UTC date>.json and prints the
# Markdown table. Method: bench/failover/doc.go and Report.Method.
#
#   QUICK=1                 3 trials per set, 15 s load window, 10 s CPU windows
#                           (~8 min; full run ~21 min)
#   FAILOVER_TRIALS=N       trials per set; 0: only the load test (10)
#   FAILOVER_PROFILES=a,b   k1s_d3s,k100ms_d500ms,k10ms_d30ms   (all)
#   FAILOVER_IMPLS=a,b      hbd,heartbeat                       (both)
#   FAILOVER_LOAD=60s       load window; 0 skips the load test  (60s)
#   FAILOVER_BUSY=4         busy-loop processes in the window   (4)
#   FAILOVER_CPU=30s        idle CPU window per run at 10 ms and 100 ms
#                           keepalive, hbd against Heartbeat (QUICK 10s; 0 skips;
#                           CPU time counts in 10 ms ticks: a short window is coarse)
#   FAILOVER_CPU_ROUNDS=3   rounds of that comparison (one run of each)
#   FAILOVER_OUT=path       the JSON file
#   HBD=/path/to/hbd        another binary (skips make build)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/failover: needs root (network, mount and pid namespaces)" >&2
	exit 1
fi
# test/interop runs Heartbeat: its packages, as for test/interop/run.sh.
test/interop/deps.sh bench/failover >/dev/null
if [ -z "${HBD:-}" ]; then
	make build >/dev/null
fi

FAILOVER_HBD_REV=${FAILOVER_HBD_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
FAILOVER_OUT=${FAILOVER_OUT:-$PWD/bench/results/failover-$(date -u +%F).json}
export FAILOVER_HBD_REV FAILOVER_OUT
echo "bench/failover: hbd $FAILOVER_HBD_REV against heartbeat $(dpkg-query -W -f='${Version}' heartbeat), results in $FAILOVER_OUT"
rc=0
go test -count=1 -timeout 1800s -tags bench,interop -run '^TestFailoverBench$' -v ./bench/failover/ || rc=$?
# t.Cleanup removes every namespace and sandbox, also on failure; a killed
# test binary can leave hbi-* namespaces, which test/interop/run.sh removes
# (not done here: other interop runs may own some right now).
exit "$rc"
