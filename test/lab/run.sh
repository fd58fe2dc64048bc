#!/bin/sh
# The two-node network-namespace lab for hbd (root): every Go test behind
# the build tag "lab" in test/lab, against bin/hbd (make test-lab builds it),
# then one failover scenario again against a -race build of hbd
# (bin/hbd-race): a data race makes that hbd exit at once (GORACE
# halt_on_error) and leaves a report, either fails the stage.
#
# Usage: test/lab/run.sh [RUN-REGEXP]        e.g. test/lab/run.sh 'TestLab/kill'
#   HBD=/path/to/hbd   run another binary     LAB_VERBOSE=1   dump logs even on success
#   LAB_RACE=0         skip the -race scenario (a run with RUN-REGEXP skips it too)
# Under CI=true (.ci/run) RUN-REGEXP, HBD and LAB_RACE are refused. The
# stage fails when not root, and when no test ran.
set -eu
cd "$(dirname "$0")/../.."
. test/ci.sh
run=${1:-}
ci_need_root lab "network namespaces"
ci_refuse lab "RUN-REGEXP=$run" "HBD=${HBD:-}" "LAB_RACE=${LAB_RACE:-}"

# The -race scenario: a failover (kill -9, then the survivor takes over)
# and a standby/takeover round trip, both nodes running bin/hbd-race.
race_run='^TestLab$/^(kill_-9_fast|standby_and_takeover)$'

rc=0
labns() { ip netns list 2>/dev/null | awk '/^hbl-/ {print $1}' | sort; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
labns >"$tmp/before"

# labtest LOG ARGS...: go test of the lab, output to the terminal and LOG;
# returns go test's status, or 1 when no test ran.
labtest() {
	log=$1
	shift
	{
		go test -count=1 -timeout 900s -tags lab "$@" -v ./test/lab/... 2>&1
		echo $? >"$log.rc"
	} | tee "$log"
	ci_tests_ran lab "$log" || return 1
	return "$(cat "$log.rc")"
}

labtest "$tmp/lab.log" ${run:+-run "$run"} || rc=$?

if [ -z "$run" ] && [ "${LAB_RACE:-1}" != 0 ]; then
	echo "lab: the -race scenario: $race_run with bin/hbd-race"
	CGO_ENABLED=1 go build -race -trimpath -o bin/hbd-race ./cmd/hbd
	go version -m bin/hbd-race | grep -q 'build.*-race=true' || {
		echo "lab: FAIL: bin/hbd-race is not a -race build" >&2
		exit 1
	}
	mkdir "$tmp/race"
	(
		export HBD="$PWD/bin/hbd-race" GORACE="halt_on_error=1 log_path=$tmp/race/report"
		labtest "$tmp/race.log" -run "$race_run"
	) || rc=$?
	if ls "$tmp"/race/report* >/dev/null 2>&1; then
		echo "lab: FAIL: the -race hbd reported a data race:" >&2
		cat "$tmp"/race/report* >&2
		rc=1
	fi
fi

# t.Cleanup removes every namespace, also on failure; only a killed test
# binary (timeout panic) can leave some behind. Namespaces are named hbl-*;
# only those that appeared during this run are ours: another lab, or the
# failover benchmark that uses this harness, may be running beside us.
left=$(labns | comm -13 "$tmp/before" -)
if [ -n "$left" ]; then
	echo "lab: leftover namespaces (removing them): $left" >&2
	for ns in $left; do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done
	[ "$rc" -ne 0 ] || rc=1 # a passing run must leave nothing behind
fi
exit "$rc"
