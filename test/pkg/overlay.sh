#!/bin/sh
# overlay.sh STATE CMD [ARGS...]: run CMD with /etc, /usr and /var as
# overlays whose writes land in STATE/{etc,usr,var}.up, and a fresh tmpfs on
# /run. Call it inside `unshare --mount --propagation private`: the host's
# files and package database are never written, and STATE carries the
# changes from one call to the next (install, then check, then purge).
set -eu
state=$1
shift
for d in etc usr var; do
	mkdir -p "$state/$d.up" "$state/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$state/$d.up,workdir=$state/$d.work" "/$d"
done
mount -t tmpfs tmpfs /run
exec "$@"
