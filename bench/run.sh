#!/bin/bash
# make bench (issue 4): ldirectord health-check cost, this project against
# Debian's Perl ldirectord 4.12 on the host, and against keepalived 2.2.7's
# HTTP_GET checker in the IPVS VM. Writes bench/results/{host,vm}.json and
# the results table of bench/README.md. See bench/README.md for the method.
# Then (issue 5) hbd's failover against Heartbeat 3.0.6 in the netns lab:
# bench/results/failover.json and the failover section of bench/README.md.
#
#   QUICK=1          fewer points and trials (N=100,1000; Perl N=100; ~8 min)
#   BENCH_NS         N for this project on the host   (100,1000,10000)
#   BENCH_PERL_NS    N for Perl ldirectord            (100,1000,10000)
#   BENCH_WINDOW     steady-state window              (20s; QUICK 10s)
#   BENCH_HOST=0     skip the host part (keeps bench/results/host.json)
#   BENCH_VM=0       skip the VM part
#   BENCH_VM_NS      N in the VM, comma-separated     (100,1000; QUICK 1000;
#                    BENCH_VM_N, the older knob, is one N)
#   BENCH_VM_REPEAT  repetitions of every VM point in one boot (3; QUICK 1);
#                    the report gives the median and spread of the ratios
#   BENCH_VM_WINDOW  steady window in the VM, seconds (20)
#   BENCH_VM_GOMAXPROCS  GOMAXPROCS values of this project's engine to
#                    compare in the VM, comma-separated, 0 = Go's default
#                    (one per vCPU); each is a point of its own (unset:
#                    ldirectord's own default, daemon.OneProc)
#   BENCH_VM_PROFILE=1 instead of the VM bench, profile (issue 14): a CPU
#                    profile of this project's engine and strace -c of it
#                    and of keepalived's checker at each N, into
#                    bench/out/vm-profile/ (go tool pprof -top is printed)
#   BENCH_FAILOVER=0 skip the hbd failover part (bench/failover/run.sh;
#                    keeps bench/results/failover.json); QUICK=1 applies
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
RES=$ROOT/bench/results
KA=$ROOT/.cache/bench/keepalived
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$OUT" "$RES"

if [ "${QUICK:-0}" = 1 ]; then
	NS=${BENCH_NS:-100,1000} PERL_NS=${BENCH_PERL_NS:-100} WINDOW=${BENCH_WINDOW:-10s} QFLAG=-quick
	VM_NS=${BENCH_VM_NS:-${BENCH_VM_N:-1000}} VM_REPEAT=${BENCH_VM_REPEAT:-1}
else
	NS=${BENCH_NS:-100,1000,10000} PERL_NS=${BENCH_PERL_NS:-100,1000,10000} WINDOW=${BENCH_WINDOW:-20s} QFLAG=
	VM_NS=${BENCH_VM_NS:-${BENCH_VM_N:-100,1000}} VM_REPEAT=${BENCH_VM_REPEAT:-3}
fi
if [ "${BENCH_VM_PROFILE:-0}" = 1 ]; then
	BENCH_HOST=0 BENCH_FAILOVER=0
fi

# perl_fetch unpacks Debian's ldirectord 4.12 (the Perl reference) into
# $PL/root and installs only the Perl libraries it depends on: installing
# the package itself would displace this project's package in test/pkg's
# install and purge (ours replaces Debian's ldirectord).
PL=$ROOT/.cache/bench/perl-ldirectord
PERL_DEPS="libauthen-radius-perl libcrypt-ssleay-perl libdbi-perl libdigest-hmac-perl libio-socket-inet6-perl
	libmail-pop3client-perl libmailtools-perl libnet-dns-perl libnet-imap-simple-perl libnet-imap-simple-ssl-perl
	libnet-ldap-perl libsocket6-perl libwww-perl"
perl_fetch() {
	[ -x "$PL/root/usr/sbin/ldirectord" ] && return 0
	echo "bench: fetching Debian's ldirectord (the Perl reference) and its Perl libraries"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $PERL_DEPS >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $PERL_DEPS >/dev/null; }
	rm -rf "$PL" && mkdir -p "$PL/dl"
	(cd "$PL/dl" && apt-get download -qq ldirectord) || { apt-get update -qq && (cd "$PL/dl" && apt-get download -qq ldirectord); }
	dpkg-deb -x "$PL"/dl/ldirectord_*.deb "$PL/root"
}
perl_fetch

CGO_ENABLED=0 go build -trimpath -o "$OUT/ldbench" ./bench/cmd/ldbench
ulimit -n "$(ulimit -Hn)"

if [ "${BENCH_HOST:-1}" = 1 ]; then
	echo "bench: host points: ours N=$NS, Perl N=$PERL_NS, window $WINDOW"
	"$OUT/ldbench" host -ns "$NS" -perl-ns "$PERL_NS" -perl "$PL/root/usr/sbin/ldirectord" -window "$WINDOW" $QFLAG \
		-work "$OUT/host" -out "$RES/host.json" || echo "bench: host run reported an error (see $RES/host.json)"
fi

# keepalived_fetch unpacks Debian's keepalived and libnftnl11 (its one
# library this host lacks) into $KA/root; nothing is installed.
keepalived_fetch() {
	[ -x "$KA/root/usr/sbin/keepalived" ] && return 0
	rm -rf "$KA" && mkdir -p "$KA/dl"
	(cd "$KA/dl" && apt-get download -qq keepalived libnftnl11 2>/dev/null) ||
		{ apt-get update -qq && (cd "$KA/dl" && apt-get download -qq keepalived libnftnl11); }
	for d in "$KA"/dl/*.deb; do dpkg-deb -x "$d" "$KA/root"; done
}

# vm_overlay lays out keepalived (and, to profile, Debian's strace) with
# every library ldd finds for it (the unpacked ones first) and the in-VM
# knobs, for IPVSVM_OVERLAY.
vm_overlay() {
	local ov=$OUT/vm-overlay lib
	rm -rf "$ov" && mkdir -p "$ov/opt/bench/sbin" "$ov/etc/vm"
	cp "$KA/root/usr/sbin/keepalived" "$ov/opt/bench/sbin/"
	overlay_libs "$ov" "$KA/root/usr/sbin/keepalived"
	if [ "${BENCH_VM_PROFILE:-0}" = 1 ]; then
		installed strace || apt-get install -y -qq --no-install-recommends strace >/dev/null
		mkdir -p "$ov/usr/bin" && cp /usr/bin/strace "$ov/usr/bin/"
		overlay_libs "$ov" /usr/bin/strace
	fi
	echo "$VM_NS" >"$ov/etc/vm/bench-ns"
	echo "$VM_REPEAT" >"$ov/etc/vm/bench-repeat"
	echo "${BENCH_VM_WINDOW:-20}" >"$ov/etc/vm/bench-window"
	[ -z "${BENCH_VM_GOMAXPROCS:-}" ] || echo "$BENCH_VM_GOMAXPROCS" >"$ov/etc/vm/bench-gomaxprocs"
}

overlay_libs() {
	local ov=$1 bin=$2 lib
	LD_LIBRARY_PATH=$KA/root/usr/lib/x86_64-linux-gnu ldd "$bin" |
		grep -oE '/[^ ]+' | while read -r lib; do
		mkdir -p "$ov$(dirname "${lib#"$KA"/root}")"
		cp -L "$lib" "$ov${lib#"$KA"/root}"
	done
}

# vm_profile_extract writes each profile and strace table of the serial
# log to bench/out/vm-profile/ and prints the profile's top.
vm_profile_extract() {
	local d=$OUT/vm-profile log=$OUT/vm/serial.log.txt
	rm -rf "$d" && mkdir -p "$d"
	tr -d '\r' <"$log" | awk -v d="$d" '
		/^LDBENCH-PPROF-BEGIN/ { f = d "/" $2 "-" substr($3, 3) ".b64"; print > (d "/" $2 "-" substr($3, 3) ".pprof.txt"); next }
		/^LDBENCH-PPROF-END/ { f = ""; next }
		/^LDBENCH-STRACE-BEGIN/ { s = d "/" $2 "-" substr($3, 3) ".strace.txt"; print > s; next }
		/^LDBENCH-STRACE-END/ { s = ""; next }
		f != "" { print > f } s != "" { print > s }'
	for b in "$d"/*.b64; do
		[ -e "$b" ] || continue
		base64 -d "$b" >"${b%.b64}.pprof" && rm "$b"
		go tool pprof -top -nodecount=45 "${b%.b64}.pprof" >>"${b%.b64}.pprof.txt" 2>/dev/null
	done
	ls -l "$d"
}

if [ "${BENCH_VM:-1}" = 1 ]; then
	keepalived_fetch
	vm_overlay
	RUN=TestVMBench
	[ "${BENCH_VM_PROFILE:-0}" = 1 ] && RUN=TestVMProfile
	echo "bench: VM ($RUN): ours (real IPVS) and keepalived, N=$VM_NS, $VM_REPEAT repetition(s)"
	rm -rf "$OUT/vm"
	load0=$(cut -d' ' -f1 /proc/loadavg) stat0=$(head -1 /proc/stat)
	# A point takes about 2 min under TCG; the bound is twice that.
	subjects=$((1 + $(echo "${BENCH_VM_GOMAXPROCS:-x}" | tr ',' ' ' | wc -w)))
	timeout=$((300 + 240 * VM_REPEAT * $(echo "$VM_NS" | tr ',' ' ' | wc -w) * subjects))
	# IPVSVM_NOBUILD: the in-VM bench uses no bin/ binary (make bench built them).
	IPVSVM_OUT=$OUT/vm IPVSVM_NOBUILD=1 IPVSVM_PKGS=./bench/ldirectord IPVSVM_TAGS=vmbench IPVSVM_RUN=$RUN \
		IPVSVM_OVERLAY=$OUT/vm-overlay IPVSVM_TIMEOUT=$timeout IPVSVM_MEM=2048 \
		IPVSVM_APPEND="clocksource=tsc tsc=reliable" test/vm/run.sh ||
		echo "bench: the VM run failed (see bench/out/vm/serial.log.txt)"
	if [ "${BENCH_VM_PROFILE:-0}" = 1 ]; then
		vm_profile_extract
		exit 0
	fi
	sed -n 's/^LDBENCH-JSON: //p' "$OUT/vm/serial.log.txt" | tail -n1 >"$OUT/vm.json"
	[ -s "$OUT/vm.json" ] || echo "bench: no LDBENCH-JSON line in the VM's serial log"
	# The host's own load over the VM run (other work on the machine shows
	# here, not in the VM's figures).
	VM_NOTE=$(printf '%s\n%s\n' "$stat0" "$(head -1 /proc/stat)" | awk -v l0="$load0" -v l1="$(cut -d' ' -f1 /proc/loadavg)" '
		{ busy = $2 + $3 + $4 + $7 + $8 + $9; tot = busy + $5 + $6 } NR == 1 { b0 = busy; t0 = tot }
		NR == 2 { printf "host (2 CPUs, shared) during the VM run: %.0f%% busy, load average %s at the start, %s at the end", 100 * (busy - b0) / (tot - t0), l0, l1 }')
fi

# report re-indents the VM's one-line JSON into $RES/vm.json (when there is
# one) and rewrites the results section of bench/README.md.
"$OUT/ldbench" report -host "$RES/host.json" -vm-raw "$OUT/vm.json" -vm "$RES/vm.json" -vm-note "${VM_NOTE:-}" -readme bench/README.md
echo "bench: results in bench/results/ and bench/README.md"

# hbd failover against Heartbeat 3.0.6 (issue 5), after the ldirectord part.
if [ "${BENCH_FAILOVER:-1}" = 1 ]; then
	echo "bench: failover: hbd against Heartbeat 3.0.6 (bench/failover/run.sh)"
	FAILOVER_OUT=$RES/failover.json bench/failover/run.sh ||
		echo "bench: the failover run reported an error (see its output above)"
fi
if [ -s "$RES/failover.json" ]; then
	go run ./bench/cmd/failoverreport -in bench/results/failover.json -readme bench/README.md
	echo "bench: failover results in bench/results/failover.json and bench/README.md"
fi
