#!/bin/sh
# go vet over every Go file (and gofmt): the default build, then the build with every
# tag the tree's //go:build lines name (lab, vm, vmbench, interop, bench,
# ...), so the tagged test code of the lab, the VM and the benchmarks is
# vetted too. The tag list is read from the tree, so a new tag is covered
# without editing this file. (No file uses a negated tag, so the two
# builds together cover every file.)
set -eu
cd "$(dirname "$0")/.."
tags=$(grep -rhE '^//go:build ' --include='*.go' --exclude-dir=.cache --exclude-dir=out --exclude-dir=.git . |
	sed 's|^//go:build ||' | tr -c 'A-Za-z0-9_.\n' '\n' |
	grep -vxE '|ignore|linux|amd64|arm64|cgo|go1\.[0-9]+' | sort -u | tr '\n' ' ')
if grep -rqE '^//go:build .*!' --include='*.go' --exclude-dir=.cache --exclude-dir=out --exclude-dir=.git .; then
	echo "vet: a //go:build line negates a tag: vet each tag set separately (test/vet.sh)" >&2
	exit 1
fi
echo "go vet ./... (default, and -tags \"${tags% }\")"
go vet ./...
[ -z "$tags" ] || go vet -tags "${tags% }" ./...
# gofmt: every tracked Go file as gofmt writes it.
unformatted=$(find . \( -name .cache -o -name out -o -name .git \) -prune -o -name '*.go' -print | xargs gofmt -l)
if [ -n "$unformatted" ]; then
	echo "vet: not gofmt'ed (run gofmt -w):" $unformatted >&2
	exit 1
fi
