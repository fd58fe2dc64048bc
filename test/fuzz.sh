#!/bin/sh
# Runs every native fuzz target of the module for $1 (default 30s) each.
set -eu
cd "$(dirname "$0")/.."
t=${1:-30s}
n=0
for pkg in $(go list ./...); do
	for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $f"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
		n=$((n + 1))
	done
done
echo "fuzz: $n targets, $t each"
[ "$n" -gt 0 ] || { echo "fuzz: FAIL: no fuzz target found" >&2; exit 1; }
