#!/bin/bash
# make demo: the narrated seeds.md S1 scenario (test/e2e TestDemo). Needs
# root. Needs no configuration and no input.
#
# On a host whose kernel has IPVS (/proc/net/ip_vs), the scenario runs here
# in network namespaces; otherwise inside the throwaway qemu VM of
# test/vm/run.sh (IPVSVM_PKGS=./test/e2e IPVSVM_RUN=TestDemo, IPVSVM_OUT=
# .cache/demo/vm), whose serial console is followed live. Only the narration ("DEMO| " lines) is shown;
# the whole output stays in .cache/demo/. Exits non-zero if a step fails.
#
# Ctrl-C: on the host the demo catches SIGINT, stops and removes every
# namespace and process it made (t.Cleanup); in the VM mode qemu dies with
# the VM and everything in it, and nothing was made on the host.
set -uo pipefail
cd "$(dirname "$0")/../.."
LOGDIR=.cache/demo
mkdir -p "$LOGDIR"
LOG=$LOGDIR/demo.log

# narration keeps the "DEMO| " lines, without the prefix; it ignores SIGINT
# so the demo can still print while it cleans up.
narration() { (trap '' INT; tr -d '\r' | awk '/^DEMO\| / { sub(/^DEMO\| /, ""); print; fflush() }'); }

failed() {
	echo "demo: FAILED (exit $1). The last lines of $LOG:" >&2
	grep -av '^DEMO| ' "$LOG" | tail -n 60 >&2
	exit "$1"
}

if [ -r /proc/net/ip_vs ]; then
	echo "demo: this kernel has IPVS: running in network namespaces on this host"
	[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }
	CGO_ENABLED=0 go test -c -tags vm -o "$LOGDIR/e2e.test" ./test/e2e || exit 1
	(cd test/e2e && exec "../../$LOGDIR/e2e.test" -test.run=TestDemo -test.v -test.count=1 -test.timeout=300s) 2>&1 |
		tee "$LOG" | narration
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || failed "$rc"
	exit 0
fi

echo "demo: no IPVS in this kernel (/proc/net/ip_vs is missing): running inside the test VM (test/vm/run.sh)"
echo "demo: building, then booting qemu; the narration follows (full output: $LOG)"
# A VM output directory of its own, so a concurrent make test-vm does not
# share (or truncate) the serial log followed here.
export IPVSVM_OUT=$PWD/$LOGDIR/vm
SERIAL=$IPVSVM_OUT/serial.log
rm -f "$SERIAL"
IPVSVM_PKGS=./test/e2e IPVSVM_RUN=TestDemo test/vm/run.sh >"$LOG.run" 2>&1 &
RUNPID=$!
trap 'kill -INT $RUNPID 2>/dev/null' INT TERM
# Follow the console while qemu writes it; tail ends once run.sh exits.
tail -n +1 -F --pid="$RUNPID" "$SERIAL" 2>/dev/null | narration
wait "$RUNPID"
rc=$?
cat "$SERIAL.txt" "$LOG.run" >"$LOG" 2>/dev/null
[ "$rc" -eq 0 ] || failed "$rc"
grep -a '^vm: \[' "$LOG.run" | tail -n 1
