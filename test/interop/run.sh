#!/bin/sh
# The mixed-cluster interop lab (root): one node runs Debian's real
# Heartbeat 3.0.6, the other bin/hbd. Installs the heartbeat package if
# missing, builds bin/hbd, then runs every Go test behind the build tag
# "interop" in test/interop.
#
# Usage: test/interop/run.sh [RUN-REGEXP]     e.g. test/interop/run.sh 'TestMixedKill'
#   HBD=/path/to/hbd       run another binary (skips the build)
#   INTEROP_VERBOSE=1      dump configs, logs and address timelines even on success
# Under CI=true (.ci/run) RUN-REGEXP and HBD are refused. The stage fails
# when not root, and when no test ran.
set -eu
cd "$(dirname "$0")/../.."
. test/ci.sh
run=${1:-}
ci_need_root interop "network, mount and pid namespaces"
ci_refuse interop "RUN-REGEXP=$run" "HBD=${HBD:-}"
test/interop/deps.sh interop

if [ -z "${HBD:-}" ]; then
	make bin/hbd
fi

marker=$(mktemp)
log=$(mktemp)
rc=0
{
	go test -count=1 -timeout 1200s -tags interop ${run:+-run "$run"} -v ./test/interop/... 2>&1
	echo $? >"$log.rc"
} | tee "$log"
rc=$(cat "$log.rc")
ci_tests_ran interop "$log" || rc=1
rm -f "$log" "$log.rc"
# t.Cleanup kills every sandbox and removes every namespace, also on
# failure; only a killed test binary can leave namespaces behind (its
# sandboxes die with it: Pdeathsig and unshare --kill-child). They are
# named hbi-*; only those created during this run are removed, and only
# after a failure, so a concurrent user of the package keeps its own.
left=""
for f in $(find /run/netns -maxdepth 1 -name 'hbi-*' -newer "$marker" 2>/dev/null); do
	left="$left ${f##*/}"
done
rm -f "$marker"
if [ -n "$left" ] && [ "$rc" -ne 0 ]; then
	echo "interop: removing leftover namespaces: $left" >&2
	for ns in $left; do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done
fi
exit "$rc"
