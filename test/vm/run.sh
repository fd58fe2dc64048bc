#!/bin/sh
# The real-IPVS stage in a qemu VM. Filled in by the ldirectord work.
echo "vm: not built yet"
