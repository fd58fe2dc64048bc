#!/bin/sh
# Installs the Debian packages the interop lab needs when missing (used by
# test/interop/run.sh and bench/failover/run.sh, which drives the same
# lab): heartbeat pulls in cluster-glue, resource-agents (IPaddr, findif,
# send_arp) and libplumb; IPaddr needs ifconfig (net-tools); the harness
# uses nsenter/unshare (util-linux), findmnt and ps (procps), ip
# (iproute2). .ci/run must provide the same list.
#
# Usage: test/interop/deps.sh [WHO]     WHO prefixes the messages (interop)
set -eu
who=${1:-interop}
need=""
for p in heartbeat net-tools procps iproute2 util-linux; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
[ -n "$need" ] || exit 0
echo "$who: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
# Without a fresh package list the install may fail: then update and retry.
apt-get install -y -qq --no-install-recommends $need ||
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $need; }
