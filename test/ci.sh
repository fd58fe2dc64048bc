# Guards shared by the root-only test stages (test/lab, test/vm,
# test/interop run.sh source this file): such a stage must not pass when
# it could not run (not root), when it ran nothing, or when a CI run
# (CI=true, set by .ci/run) was narrowed from the environment.

# ci_need_root STAGE WHY: exits 1 unless running as root.
ci_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: FAIL: must run as root ($2)" >&2
		exit 1
	fi
}

# ci_refuse STAGE NAME=VALUE...: under CI=true, exits 1 if any VALUE is
# set: a run filter, a package list or another binary would narrow or
# change what CI tests.
ci_refuse() {
	ci_stage=$1
	shift
	[ "${CI:-}" = true ] || return 0
	for ci_kv in "$@"; do
		if [ -n "${ci_kv#*=}" ]; then
			echo "$ci_stage: FAIL: CI=true and ${ci_kv%%=*} is set (${ci_kv#*=}): it would narrow or change the CI run; refused" >&2
			exit 1
		fi
	done
}

# ci_tests_ran STAGE LOG: counts the top-level results in LOG (go test -v
# output) and returns 1 when no test passed: a stage where every test was
# filtered out or skipped ran nothing.
ci_tests_ran() {
	ci_pass=$(grep -ac '^--- PASS: ' "$2" || true)
	ci_fail=$(grep -ac '^--- FAIL: ' "$2" || true)
	ci_skip=$(grep -ac '^--- SKIP: ' "$2" || true)
	echo "$1: top-level tests: $ci_pass passed, $ci_fail failed, $ci_skip skipped"
	if [ "$ci_pass" -eq 0 ]; then
		echo "$1: FAIL: no test ran" >&2
		return 1
	fi
}
