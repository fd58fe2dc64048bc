#!/bin/bash
# The real-IPVS stage: runs every Go test behind the build tag "vm" inside a
# throwaway qemu VM (TCG) booted from Debian's cloud kernel, with a real IPVS.
# Recipe and pitfalls: /work/shared/reference/ipvs-vm.md. Nothing is loaded
# into the host kernel and nothing is installed under /boot.
#
# Usage: test/vm/run.sh [RUN-REGEXP]      (as root on Debian 12; make test-vm)
#
# The stage fails when not run as root, when no test ran in the VM, and
# (without a RUN-REGEXP) when a test binary ran no test. Under CI=true
# (.ci/run) RUN-REGEXP, IPVSVM_RUN, IPVSVM_PKGS and IPVSVM_NOBUILD are
# refused: the environment cannot narrow a CI run.
#
#   RUN-REGEXP or IPVSVM_RUN   passed to every test binary as -test.run
#   IPVSVM_PKGS                space-separated package dirs (./internal/x) to
#                              run instead of every package with vm tests
#   IPVSVM_TIMEOUT             per-binary test timeout in seconds (300)
#   IPVSVM_MODULES             extra kernel modules to load in the VM
#   IPVSVM_SMP, IPVSVM_MEM     qemu -smp (2) and -m (1024)
#   IPVSVM_NOBUILD=1           skip "make build" (debugging only: copies
#                              whatever bin/hbd and bin/ldirectord exist)
#   IPVSVM_ACCEL               qemu -accel (tcg; KVM here is PVM and cannot
#                              boot a stock kernel, see ipvs-vm.md)
#   IPVSVM_TAGS                extra build tags for the test binaries (bench/run.sh
#                              uses "vmbench" for the in-VM benchmark)
#   IPVSVM_OUT                 output directory (test/vm/out), so that two runs
#                              at once do not share a serial log
#   IPVSVM_APPEND              extra kernel command line (e.g. clocksource=tsc)
#   IPVSVM_OVERLAY             a directory copied over the initramfs root (extra
#                              programs with their libraries, e.g. keepalived)
#
# What it does:
#   1. apt-get installs what is missing: qemu-system-x86 busybox-static
#      ipvsadm cpio kmod iproute2 bird2.
#   2. Resolves the kernel package behind linux-image-cloud-amd64 with
#      apt-cache depends (never a pinned version: Debian drops superseded
#      ABIs), apt-get downloads it, dpkg-deb -x + depmod -b into
#      .cache/vm/kernel/<package>_<version>/ (kept for the next run; older
#      ones are removed).
#   3. make build; go test -c -tags vm (CGO_ENABLED=0, static) for every
#      package with a "//go:build ... vm" test file.
#   4. Packs an initramfs: busybox, test/vm/init.sh as /init, the test
#      binaries under /opt/tests/<name>/ (with the package's testdata/),
#      /opt/bin/{ipvsadm,ip,bird,birdc,hbd,ldirectord} with their shared libraries, the
#      module closure of ip_vs, every scheduler, veth, dummy, bridge and
#      softdog (loaded with soft_noboot=1).
#   5. Boots qemu (-nographic -nic none -no-reboot, panic=-1) under timeout,
#      prints the in-VM test output and exits 0 only on the marker line
#      "IPVSVM-RESULT: PASS n/n".
#
# Inside the VM: IPVS_VM=1, PATH=/opt/bin:..., tools at /opt/bin/ipvsadm,
# /opt/bin/ip, /opt/bin/hbd, /opt/bin/ldirectord (when make build made them),
# the kernel's config at /etc/vm/kernel-config, each test binary started in
# its own /opt/tests/<pkg>/ (cwd, with testdata/). Output: test/vm/out/
# (serial.log.txt is the whole console).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
. test/ci.sh
ci_need_root vm "apt-get, depmod of the VM kernel, the VM's namespaces"
ci_refuse vm "RUN-REGEXP=${1:-}" "IPVSVM_RUN=${IPVSVM_RUN:-}" "IPVSVM_PKGS=${IPVSVM_PKGS:-}" "IPVSVM_NOBUILD=${IPVSVM_NOBUILD:-}"
OUT=${IPVSVM_OUT:-$ROOT/test/vm/out}
CACHE=$ROOT/.cache/vm
RUN=${1:-${IPVSVM_RUN:-}}
TIMEOUT=${IPVSVM_TIMEOUT:-300}
SMP=${IPVSVM_SMP:-2}
ACCEL=${IPVSVM_ACCEL:-tcg}
MEM=${IPVSVM_MEM:-1024}
export DEBIAN_FRONTEND=noninteractive

T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
phase() { echo "vm: [$(since "$T0")s] $*"; }
die() { echo "vm: FAIL: $*" >&2; exit 1; }

# --- 1. host packages -------------------------------------------------------
need_pkgs() {
	local missing=() p
	for p in qemu-system-x86 busybox-static ipvsadm cpio kmod iproute2 bird2; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]} and not root to install them"
	echo "vm: installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
		die "apt-get install ${missing[*]}"
}
need_pkgs
phase "host packages ready"

# --- 2. kernel ----------------------------------------------------------------
# kernel_resolve prints "<package>_<version>" of the kernel the metapackage
# linux-image-cloud-amd64 currently depends on (the cache key).
kernel_resolve() {
	local pkg ver
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
	[ -n "$ver" ] || return 1
	echo "${pkg}_$ver"
}
fetch_kernel() { # $1 = <package>_<version>; extracts into $CACHE/kernel/$1/root
	local key=$1 dir=$CACHE/kernel/$1 tmp kver
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	(cd "$tmp" && apt-get download -qq "${key%%_*}=${key#*_}" 2>/dev/null) || { rm -rf "$tmp"; return 1; }
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/*.deb "$dir/root"
	rm -rf "$tmp"
	kver=$(ls "$dir/root/lib/modules" 2>/dev/null || ls "$dir/root/usr/lib/modules")
	depmod -b "$dir/root" "$kver"
	echo "$kver" >"$dir/kver"
}
mkdir -p "$CACHE/kernel" "$OUT"
KEY=$(kernel_resolve) || { apt-get update -qq || true; KEY=$(kernel_resolve) || KEY=""; }
if [ -z "$KEY" ]; then # offline: fall back to the newest cached kernel
	KEY=$(ls -t "$CACHE/kernel" 2>/dev/null | head -n1)
	[ -n "$KEY" ] || die "cannot resolve linux-image-cloud-amd64 (apt-cache depends) and no cached kernel"
	echo "vm: apt-cache cannot resolve the kernel; using cached $KEY"
fi
if [ ! -s "$CACHE/kernel/$KEY/kver" ]; then
	echo "vm: downloading $KEY"
	if ! fetch_kernel "$KEY"; then
		# Stale package lists: Debian drops superseded kernels from the mirror.
		apt-get update -qq
		KEY=$(kernel_resolve) && fetch_kernel "$KEY" || die "download the kernel behind linux-image-cloud-amd64"
	fi
	for old in "$CACHE"/kernel/*; do # keep only the current kernel
		[ "$old" = "$CACHE/kernel/$KEY" ] || rm -rf "$old"
	done
fi
KPKG=${KEY%%_*}
KROOT=$CACHE/kernel/$KEY/root
KVER=$(cat "$CACHE/kernel/$KEY/kver")
VMLINUZ=$KROOT/boot/vmlinuz-$KVER
MODDIR=$KROOT/lib/modules/$KVER
[ -d "$MODDIR" ] || MODDIR=$KROOT/usr/lib/modules/$KVER
[ -f "$VMLINUZ" ] || die "no $VMLINUZ in $KPKG"
phase "kernel $KEY ($KVER)"

# --- 3. binaries -------------------------------------------------------------------
if [ "${IPVSVM_NOBUILD:-}" = 1 ]; then
	echo "vm: IPVSVM_NOBUILD=1: not running make build; using bin/ as it is"
else
	make -s build >/dev/null || die "make build"
fi
INITRD=$OUT/initramfs
rm -rf "$INITRD" && mkdir -p "$INITRD"/{bin,opt/bin,opt/tests,etc/vm,lib/modules/"$KVER"}

if [ -n "${IPVSVM_PKGS:-}" ]; then
	read -r -a PKGDIRS <<<"$IPVSVM_PKGS"
else
	mapfile -t PKGDIRS < <(
		grep -rlE --include='*_test.go' '^//go:build .*\bvm\b' \
			--exclude-dir=.cache --exclude-dir=out --exclude-dir=.git . |
			xargs -r -n1 dirname | sort -u)
fi
[ ${#PKGDIRS[@]} -gt 0 ] || die "no package has a test file with //go:build vm"
NAMES=()
for d in "${PKGDIRS[@]}"; do
	d=./${d#./}
	name=$(echo "${d#./}" | tr '/' '_')
	mkdir -p "$INITRD/opt/tests/$name"
	CGO_ENABLED=0 go test -c -tags "vm ${IPVSVM_TAGS:-}" -trimpath -o "$INITRD/opt/tests/$name/$name.test" "$d" ||
		die "go test -c -tags vm $d"
	[ -d "$d/testdata" ] && cp -r "$d/testdata" "$INITRD/opt/tests/$name/"
	NAMES+=("$name")
done
phase "built ${#NAMES[@]} test binaries: ${NAMES[*]}"

# --- 4. initramfs -------------------------------------------------------------------
cp /bin/busybox "$INITRD/bin/busybox"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$INITRD/bin/busybox" || die "/bin/busybox is not static (install busybox-static)"
install -m 0755 test/vm/init.sh "$INITRD/init"
copy_with_libs() { # $1 = host binary, $2 = name under /opt/bin
	cp "$1" "$INITRD/opt/bin/$2"
	ldd "$1" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
		mkdir -p "$INITRD$(dirname "$lib")"
		cp -L "$lib" "$INITRD$lib"
	done
}
copy_with_libs "$(command -v ipvsadm || echo /usr/sbin/ipvsadm)" ipvsadm
copy_with_libs /usr/sbin/ip ip # iproute2's ip (busybox ip has no netns)
# BIRD 2, the upstream router of the scale-out lab (test/vm/ldirectord,
# TestScaleOut): Debian's bird2 from the host, with its libraries.
copy_with_libs /usr/sbin/bird bird
copy_with_libs /usr/sbin/birdc birdc
for b in hbd ldirectord; do
	[ -x "bin/$b" ] && cp "bin/$b" "$INITRD/opt/bin/$b"
done
[ -z "${IPVSVM_OVERLAY:-}" ] || cp -a "$IPVSVM_OVERLAY"/. "$INITRD"/

WANT="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh
	ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_twos veth dummy bridge softdog ${IPVSVM_MODULES:-}"
LOAD=()
ABSENT=()
for m in $WANT; do
	deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null) || { ABSENT+=("$m"); continue; }
	LOAD+=("$m")
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$MODDIR"/}
		dst=$INITRD/lib/modules/$KVER/$rel
		[ -e "${dst%.xz}" ] || [ -e "${dst%.zst}" ] && continue
		mkdir -p "$(dirname "$dst")"
		case $path in
		*.xz) xz -dc "$path" >"${dst%.xz}" ;;
		*.zst) zstd -qdc "$path" >"${dst%.zst}" ;;
		*) cp "$path" "$dst" ;;
		esac
	done <<<"$deps"
done
cp "$MODDIR"/modules.{order,builtin,builtin.modinfo} "$INITRD/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$INITRD" "$KVER"
# softdog for hbd's watchdog test: soft_noboot=1 makes an expiry log
# "Triggered - Reboot ignored" instead of rebooting the VM.
mkdir -p "$INITRD/etc/modprobe.d"
echo "options softdog soft_noboot=1" >"$INITRD/etc/modprobe.d/softdog.conf"
printf '%s\n' "${LOAD[@]}" >"$INITRD/etc/vm/modules"
[ ${#ABSENT[@]} -eq 0 ] || echo "vm: modules absent from $KPKG (not loaded): ${ABSENT[*]}"
cp "$KROOT/boot/config-$KVER" "$INITRD/etc/vm/kernel-config" 2>/dev/null || true
echo "$TIMEOUT" >"$INITRD/etc/vm/timeout"
printf '%s' "$RUN" >"$INITRD/etc/vm/run"
(cd "$INITRD" && find . | cpio -o -H newc --quiet) >"$OUT/initramfs.cpio"
phase "initramfs $(du -m "$OUT/initramfs.cpio" | cut -f1) MB"

# --- 5. boot -------------------------------------------------------------------------
LOG=$OUT/serial.log
NBIN=${#NAMES[@]}
QTIMEOUT=$((60 + NBIN * (TIMEOUT + 15)))
B0=$(date +%s.%N)
set +e
timeout "$QTIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -m "$MEM" -smp "$SMP" \
	-nographic -nic none -no-reboot \
	-kernel "$VMLINUZ" -initrd "$OUT/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init ${IPVSVM_APPEND:-}" \
	</dev/null >"$LOG" 2>&1
QRC=$?
set -e
BOOT=$(since "$B0")
# Drop carriage returns and the terminal escapes SeaBIOS prints.
tr -d '\r' <"$LOG" | sed -E 's/\x1b(\[[0-9;?]*[a-zA-Z]|c)//g' >"$LOG.txt"

# Print what the VM printed from the first marker on (kernel boot noise skipped).
awk '/IPVSVM-BOOT:/ { on = 1 } on' "$LOG.txt" | grep -av '^\[ *[0-9.]*\] reboot:' || true
RESULT=$(grep -a '^IPVSVM-RESULT:' "$LOG.txt" | tail -n1 || true)
phase "qemu exited ($QRC) after ${BOOT}s of boot-to-result"
if [ -z "$RESULT" ]; then
	echo "vm: no IPVSVM-RESULT marker (qemu exit $QRC; timeout ${QTIMEOUT}s). Last lines of $LOG:" >&2
	tail -n 40 "$LOG.txt" >&2
	exit 1
fi
case $RESULT in
"IPVSVM-RESULT: PASS"*) ;;
*)
	echo "vm: FAIL ($RESULT)" >&2
	exit 1
	;;
esac
# init.sh counts binaries; count the tests. Each binary's -test.v output
# lies between its "=== IPVSVM-RUN name" and "IPVSVM-TEST:" lines.
awk '/^IPVSVM-BEGIN/ { on = 1 } /^IPVSVM-END/ { on = 0 } on' "$LOG.txt" >"$OUT/tests.log"
ci_tests_ran vm "$OUT/tests.log" || exit 1
if [ -z "$RUN" ]; then
	EMPTY=$(awk '/^=== IPVSVM-RUN / { name = $3; n = 0 } /^--- PASS: / { n++ }
		/^IPVSVM-TEST: / && name != "" { if (n == 0) printf "%s ", name; name = "" }' "$OUT/tests.log")
	[ -z "$EMPTY" ] || die "test binaries that ran no test: $EMPTY"
fi
echo "vm: PASS"
