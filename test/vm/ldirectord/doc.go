// Package ldirectord holds the real-IPVS end-to-end scenarios of the
// ldirectord command (files behind the build tag vm, run inside the qemu
// VM by test/vm/run.sh, `make test-vm`). They drive the real binary,
// /opt/bin/ldirectord, with --rundir and a config in a temporary directory,
// against a vmnet.Lab: a client namespace, a director namespace holding
// the VIP and the IPVS table, real servers behind a bridge (NAT, like the
// seed scenario S1). TestScaleOut (scaleout_vm_test.go) is issue 15's
// lab instead: three directors running ldirectord with BGP route health
// injection behind a BIRD 2 router's ECMP, direct routing to three reals,
// all-to-all connection sync (docs/scale-out.md). The package has no
// non-test code.
package ldirectord
