# Ultra Monkey in Go: hbd (Heartbeat) and ldirectord.
#
#   make build      bin/hbd and bin/ldirectord
#   make test       every test: unit (with -race), the netns lab, the IPVS VM
#   make test-unit  unit tests only (root-only netns tests run when root)
#   make test-vm    only the real-IPVS stage inside a qemu VM
#   make test-lab   only the multi-node network-namespace lab (root)
#   make fuzz       every fuzz target for FUZZTIME each
#   make bench      benchmarks (results under bench/results/)

GO       ?= go
FUZZTIME ?= 30s
PKG      := ./...
BINS     := bin/hbd bin/ldirectord

.PHONY: all build test test-unit test-vm test-lab fuzz bench clean vet

all: build

build: $(BINS)

bin/%: FORCE
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./cmd/$*

FORCE:

vet:
	$(GO) vet $(PKG)

test: test-unit test-lab test-vm

test-unit:
	$(GO) vet $(PKG)
	$(GO) test -race -count=1 -timeout 600s $(PKG)

test-lab: build
	test/lab/run.sh

test-vm:
	test/vm/run.sh

fuzz:
	test/fuzz.sh $(FUZZTIME)

bench: build
	bench/run.sh

clean:
	rm -rf bin .cache test/vm/out test/lab/out
