#!/bin/sh
# The two-node network-namespace lab for hbd (root): every Go test behind
# the build tag "lab" in test/lab, against bin/hbd (make test-lab builds it).
#
# Usage: test/lab/run.sh [RUN-REGEXP]        e.g. test/lab/run.sh 'TestLab/kill'
#   HBD=/path/to/hbd   run another binary     LAB_VERBOSE=1   dump logs even on success
set -eu
cd "$(dirname "$0")/../.."
run=${1:-}
rc=0
labns() { ip netns list 2>/dev/null | awk '/^hbl-/ {print $1}' | sort; }
before=$(mktemp)
trap 'rm -f "$before"' EXIT
labns >"$before"
go test -count=1 -timeout 900s -tags lab ${run:+-run "$run"} -v ./test/lab/... || rc=$?
# t.Cleanup removes every namespace, also on failure; only a killed test
# binary (timeout panic) can leave some behind. Namespaces are named hbl-*;
# only those that appeared during this run are ours: another lab, or the
# failover benchmark that uses this harness, may be running beside us.
left=$(labns | comm -13 "$before" -)
if [ -n "$left" ]; then
	echo "lab: leftover namespaces (removing them): $left" >&2
	for ns in $left; do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done
	[ "$rc" -ne 0 ] || rc=1 # a passing run must leave nothing behind
fi
exit "$rc"
