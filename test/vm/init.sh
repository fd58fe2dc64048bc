#!/bin/busybox sh
# /init of the IPVS test VM (test/vm/run.sh packs this file as /init).
#
# Runs as PID 1 from the initramfs: mounts the pseudo file systems, loads the
# modules listed in /etc/vm/modules, runs every /opt/tests/<name>/<name>.test
# with -test.v (bounded by a timeout), prints one "IPVSVM-TEST:" line per
# binary and a final "IPVSVM-RESULT: PASS|FAIL passed/total" marker that the
# host script judges the run by, then powers off. Nothing here may exit: if
# PID 1 dies the kernel panics (panic=-1 makes qemu stop).
#
# Pitfall (ipvs-vm.md): Debian's busybox ash runs its own applets before
# searching PATH, so the real iproute2 "ip" must be called as /opt/bin/ip.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /tmp /dev /run /var
/bin/busybox --install -s
export PATH=/opt/bin:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/tmp TMPDIR=/tmp IPVS_VM=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
ln -sfn /run /var/run
mkdir -p /run/netns
dmesg -n 1

timeout_s=$(cat /etc/vm/timeout 2>/dev/null || echo 300)
run_filter=$(cat /etc/vm/run 2>/dev/null)

echo "IPVSVM-BOOT: kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)s"

loaded=""
failed=""
for m in $(cat /etc/vm/modules); do
	if modprobe "$m" 2>/tmp/modprobe.err; then
		loaded="$loaded $m"
	else
		failed="$failed $m($(cat /tmp/modprobe.err))"
	fi
done
echo "IPVSVM-MODULES: loaded:$loaded"
[ -n "$failed" ] && echo "IPVSVM-MODULES: FAILED:$failed"
/opt/bin/ip link set lo up

pass=0
total=0
echo "IPVSVM-BEGIN"
for dir in /opt/tests/*/; do
	name=$(basename "$dir")
	bin="$dir$name.test"
	[ -x "$bin" ] || continue
	total=$((total + 1))
	start=$(cut -d' ' -f1 /proc/uptime)
	echo "=== IPVSVM-RUN $name"
	if [ -n "$run_filter" ]; then
		(cd "$dir" && timeout "$((timeout_s + 10))" "$bin" -test.v -test.count=1 \
			-test.timeout="${timeout_s}s" -test.run="$run_filter") </dev/null 2>&1
	else
		(cd "$dir" && timeout "$((timeout_s + 10))" "$bin" -test.v -test.count=1 \
			-test.timeout="${timeout_s}s") </dev/null 2>&1
	fi
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	secs=$(awk "BEGIN{printf \"%.2f\", $end - $start}")
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "IPVSVM-TEST: PASS $name (${secs}s)"
	else
		echo "IPVSVM-TEST: FAIL $name (exit $rc, ${secs}s)"
	fi
done
echo "IPVSVM-END"

if [ "$total" -gt 0 ] && [ "$pass" -eq "$total" ] && [ -z "$failed" ]; then
	verdict=PASS
else
	verdict=FAIL
fi
echo "IPVSVM-RESULT: $verdict $pass/$total (uptime $(cut -d' ' -f1 /proc/uptime)s)"
sync
poweroff -f
