# Ultra Monkey in Go: hbd (Heartbeat) and ldirectord.
#
#   make build      bin/hbd and bin/ldirectord
#   make man        the man pages of docs/man/*.md rendered into bin/man/
#   make packages   .deb and .rpm packages under dist/ (nfpm)
#   make test       every test: unit (with -race), the netns lab, the IPVS VM,
#                   and the mixed pair with a real Heartbeat 3.0.6
#   make test-unit  unit tests only (root-only netns tests run when root)
#   make test-vm    only the real-IPVS stage inside a qemu VM
#   make test-lab   only the multi-node network-namespace lab (root)
#   make test-interop  only the hbd + real Heartbeat 3.0.6 lab (root)
#   make test-pkg   only the package tests (lintian, rpmlint, dpkg install and
#                   purge in an overlay namespace; part of test-unit, root)
#   make fuzz       every fuzz target for FUZZTIME each
#   make bench      benchmarks (results under bench/results/)

GO       ?= go
FUZZTIME ?= 30s
PKG      := ./...
BINS     := bin/hbd bin/ldirectord
# The directory holding the built hbd and ldirectord that install and
# packages take (default bin/, built first).
INSTALL_FROM ?= bin

.PHONY: all build man test test-unit test-vm test-lab test-interop test-pkg fuzz bench clean vet

all: build man

build: $(BINS)

# The man pages are written in Markdown (docs/man/NAME.SECTION.md) and
# rendered with go-md2man, a Go tool pinned in tools/go.mod (a module of
# its own, so the daemons' go.mod does not carry the build tools).
TOOL     := $(GO) tool -modfile=tools/go.mod
MANSRC   := $(wildcard docs/man/*.md)
MANNAMES := $(notdir $(MANSRC:.md=))
MAN_FROM ?= $(INSTALL_FROM)/man

man: $(addprefix $(MAN_FROM)/,$(MANNAMES))

$(MAN_FROM)/%: docs/man/%.md
	@mkdir -p $(MAN_FROM)
	$(TOOL) go-md2man -in $< -out $@

bin/%: FORCE
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=auto -o $@ ./cmd/$*

FORCE:

# vet: the default build and every build tag of the tree (test/vet.sh), so
# the lab, VM, interop and benchmark test code is vetted too.
vet:
	test/vet.sh

test: test-unit test-lab test-vm test-interop

test-unit: vet
	$(GO) test -race -count=1 -timeout 600s $(PKG)

test-lab: build
	test/lab/run.sh

test-vm:
	test/vm/run.sh

test-pkg:
	$(GO) test -count=1 -v ./test/pkg/

test-interop: build
	test/interop/run.sh

fuzz:
	test/fuzz.sh $(FUZZTIME)

bench: build
	bench/run.sh

clean:
	rm -rf bin dist .cache test/vm/out test/lab/out

# make install [DESTDIR=/tmp/root] [PREFIX=/usr] [SBINDIR=...] [SYSCONFDIR=/etc]
# puts the daemons, the Heartbeat tool names, the init scripts, the systemd
# units and the samples where an Ultra Monkey (Heartbeat + ldirectord) user
# expects them. Existing configuration (/etc/ha.d/*, /etc/default/*) is
# never overwritten; a fresh authkeys gets a random key and mode 0600.
# Nothing is enabled or started. INSTALL_FROM is the directory holding the
# built hbd and ldirectord (default bin/, built first).
# make uninstall removes what install put there, except the configuration
# and a non-empty state directory.
PREFIX         ?= /usr
SBINDIR        ?= $(PREFIX)/sbin
BINDIR         ?= $(PREFIX)/bin
HBSHAREDIR     ?= $(PREFIX)/share/heartbeat
DOCDIR         ?= $(PREFIX)/share/doc/ultramonkey
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= /etc
HADIR          ?= $(SYSCONFDIR)/ha.d
INITDIR        ?= $(SYSCONFDIR)/init.d
DEFAULTDIR     ?= $(SYSCONFDIR)/default
LOGROTATEDIR   ?= $(SYSCONFDIR)/logrotate.d
SYSTEMDUNITDIR ?= /lib/systemd/system
HBDSTATEDIR    ?= /var/lib/hbd
INSTALL        ?= install
HA_SAMPLES     := ha.cf haresources authkeys ldirectord.cf
UNITS          := hbd.service ldirectord.service ldirectord@.service
INITSCRIPTS    := hbd ldirectord
# The scripts and units name /usr/sbin; another SBINDIR is written in.
FIXPATHS       := sed -e 's|/usr/sbin/|$(SBINDIR)/|g'

.PHONY: install uninstall

install: $(INSTALL_FROM)/hbd $(INSTALL_FROM)/ldirectord man
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(HBSHAREDIR) \
		$(DESTDIR)$(INITDIR) $(DESTDIR)$(DEFAULTDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(HADIR) $(DESTDIR)$(HADIR)/resource.d $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(HBDSTATEDIR) $(addprefix $(DESTDIR)$(MANDIR)/man,1 5 8) $(DESTDIR)$(LOGROTATEDIR)
	set -e; for m in $(MANNAMES); do \
		$(INSTALL) -m 0644 $(MAN_FROM)/$$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; \
	done
	$(INSTALL) -m 0755 $(INSTALL_FROM)/hbd $(INSTALL_FROM)/ldirectord $(DESTDIR)$(SBINDIR)/
	ln -sfn $(SBINDIR)/hbd $(DESTDIR)$(HBSHAREDIR)/hb_standby
	ln -sfn $(SBINDIR)/hbd $(DESTDIR)$(HBSHAREDIR)/hb_takeover
	ln -sfn $(SBINDIR)/hbd $(DESTDIR)$(BINDIR)/cl_status
	set -e; for f in $(INITSCRIPTS); do \
		$(FIXPATHS) etc/init.d/$$f > $(DESTDIR)$(INITDIR)/.$$f.new; \
		chmod 0755 $(DESTDIR)$(INITDIR)/.$$f.new; \
		mv -f $(DESTDIR)$(INITDIR)/.$$f.new $(DESTDIR)$(INITDIR)/$$f; \
	done
	set -e; for f in $(UNITS); do \
		$(FIXPATHS) etc/systemd/$$f > $(DESTDIR)$(SYSTEMDUNITDIR)/.$$f.new; \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/.$$f.new; \
		mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/.$$f.new $(DESTDIR)$(SYSTEMDUNITDIR)/$$f; \
	done
	$(INSTALL) -m 0644 $(addprefix etc/ha.d/,$(HA_SAMPLES)) $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 0644 etc/default/hbd $(DESTDIR)$(DOCDIR)/examples/default.hbd
	$(INSTALL) -m 0644 etc/default/ldirectord $(DESTDIR)$(DOCDIR)/examples/default.ldirectord
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	@set -e; keep() { [ -e "$$1" ] || [ -L "$$1" ]; }; \
	for f in ha.cf haresources ldirectord.cf; do \
		t=$(DESTDIR)$(HADIR)/$$f; \
		if keep $$t; then echo "kept    $(HADIR)/$$f (exists)"; \
		else $(INSTALL) -m 0644 etc/ha.d/$$f $$t; echo "sample  $(HADIR)/$$f"; fi; \
	done; \
	t=$(DESTDIR)$(HADIR)/authkeys; \
	if keep $$t; then echo "kept    $(HADIR)/authkeys (exists)"; \
	else key=$$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n'); \
		(umask 077; sed "s/PASSWORD/$$key/" etc/ha.d/authkeys > $$t); chmod 0600 $$t; \
		echo "sample  $(HADIR)/authkeys (mode 0600, random key: copy this file to the peer)"; fi; \
	for f in hbd ldirectord; do \
		t=$(DESTDIR)$(DEFAULTDIR)/$$f; \
		if keep $$t; then echo "kept    $(DEFAULTDIR)/$$f (exists)"; \
		else $(FIXPATHS) etc/default/$$f > $$t; chmod 0644 $$t; echo "sample  $(DEFAULTDIR)/$$f"; fi; \
	done; \
	for f in heartbeat ldirectord; do \
		t=$(DESTDIR)$(LOGROTATEDIR)/$$f; \
		if keep $$t; then echo "kept    $(LOGROTATEDIR)/$$f (exists)"; \
		else $(INSTALL) -m 0644 etc/logrotate.d/$$f $$t; echo "logrotate $(LOGROTATEDIR)/$$f"; fi; \
	done; \
	t=$(DESTDIR)$(HADIR)/resource.d/ldirectord; \
	if keep $$t; then echo "kept    $(HADIR)/resource.d/ldirectord (exists)"; \
	else ln -s $(SBINDIR)/ldirectord $$t; echo "link    $(HADIR)/resource.d/ldirectord -> $(SBINDIR)/ldirectord"; fi
	@echo
	@echo "Nothing was enabled or started."
	@echo "  Cluster: edit $(HADIR)/ha.cf, haresources and authkeys (same authkeys on both nodes), then"
	@echo "      systemctl enable --now hbd      or: update-rc.d hbd defaults && $(INITDIR)/hbd start"
	@echo "  Under hbd, do NOT enable ldirectord at boot: hbd starts it as a resource"
	@echo "      (haresources: ldirectord::ldirectord.cf)."
	@echo "  ldirectord on its own: systemctl enable --now ldirectord   (or ldirectord@NAME.cf)"
	@echo "  After new unit files: systemctl daemon-reload"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/hbd $(DESTDIR)$(SBINDIR)/ldirectord
	@set -e; for l in $(HBSHAREDIR)/hb_standby $(HBSHAREDIR)/hb_takeover $(BINDIR)/cl_status \
		$(HADIR)/resource.d/ldirectord; do \
		case "$$(readlink $(DESTDIR)$$l 2>/dev/null)" in \
		$(SBINDIR)/hbd|$(SBINDIR)/ldirectord) rm -f $(DESTDIR)$$l; echo "removed $$l";; \
		esac; \
	done
	rm -f $(addprefix $(DESTDIR)$(INITDIR)/,$(INITSCRIPTS)) $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	rm -rf $(DESTDIR)$(DOCDIR)
	set -e; for m in $(MANNAMES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rmdir $(DESTDIR)$(HBSHAREDIR) $(DESTDIR)$(HBDSTATEDIR) 2>/dev/null || true
	@echo "Kept: $(HADIR), $(DEFAULTDIR)/{hbd,ldirectord} and $(LOGROTATEDIR)/{heartbeat,ldirectord} (configuration), $(HBDSTATEDIR) if not empty."
	@echo "Disable the services first if enabled (systemctl disable hbd ldirectord; update-rc.d -f hbd remove)."

# make packages: dist/ultramonkey_VERSION_ARCH.deb and
# dist/ultramonkey-VERSION-1.ARCH.rpm, built with nfpm (a Go tool pinned in
# tools/go.mod; no dpkg-dev or rpmbuild) from stripped static binaries
# (dist/bin), the man pages gzipped (dist/stage) and packaging/nfpm.yaml.
# DIST=DIR writes all of it below DIR instead of dist/.
# VERSION defaults to the git tag vX.Y.Z, else 0~gitDATE.REVISION.
GIT_TIME    = $(shell git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null)
GIT_REV     = $(shell git rev-parse --short=12 HEAD 2>/dev/null)
VERSION    ?= $(or $(patsubst v%,%,$(shell git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null)),0~git$(or $(GIT_TIME),0).$(or $(GIT_REV),unknown))
ARCH       ?= $(shell $(GO) env GOARCH)
# The repository names no maintainer address; this one follows the module
# path (github.com/ultramonkey). Set MAINTAINER to sign your own build.
MAINTAINER ?= Ultra Monkey in Go developers <ultramonkey@users.noreply.github.com>
DIST       ?= dist
PKG_STAGE  := $(DIST)/stage
PKG_BIN    := $(DIST)/bin

.PHONY: packages
packages: man
	rm -rf $(PKG_BIN) $(PKG_STAGE) $(DIST)/*.deb $(DIST)/*.rpm
	mkdir -p $(PKG_BIN) $(addprefix $(PKG_STAGE)/man/man,1 5 8) $(PKG_STAGE)/doc $(PKG_STAGE)/examples
	set -e; for c in hbd ldirectord; do \
		CGO_ENABLED=0 GOARCH=$(ARCH) $(GO) build -trimpath -buildvcs=auto -ldflags='-s -w' -o $(PKG_BIN)/$$c ./cmd/$$c; \
	done
	set -e; for m in $(MANNAMES); do \
		gzip -9n < $(MAN_FROM)/$$m > $(PKG_STAGE)/man/man$${m##*.}/$$m.gz; \
	done
	cp README.md docs/metrics.md packaging/copyright $(PKG_STAGE)/doc/
	cp $(addprefix etc/ha.d/,$(HA_SAMPLES)) $(PKG_STAGE)/examples/
	printf -- '- semver: %s\n  date: %s\n  packager: %s\n  changes:\n    - note: built from revision %s\n' \
		'$(VERSION)' "$$(git log -1 --format=%cI 2>/dev/null || date -Iseconds)" '$(MAINTAINER)' \
		'$(or $(GIT_REV),unknown)' > $(PKG_STAGE)/changelog.yml
	sed 's|dist/stage/|$(PKG_STAGE)/|' packaging/nfpm.yaml > $(PKG_STAGE)/nfpm.yaml
	set -e; for p in deb rpm; do \
		VERSION='$(VERSION)' ARCH=$(ARCH) MAINTAINER='$(MAINTAINER)' PKG_BIN=$(PKG_BIN) PKG_STAGE=$(PKG_STAGE) \
			$(TOOL) nfpm package -f $(PKG_STAGE)/nfpm.yaml -p $$p -t $(DIST)/; \
	done

# make demo: build, then the narrated S1 pair (two directors, three web
# servers, a client) in network namespaces, in the test VM when this
# kernel has no IPVS. See test/e2e/demo.sh.
.PHONY: demo
demo: build
	@test/e2e/demo.sh
