// Package ops tests the operations files of the suite against the real
// binaries: the LSB init scripts etc/init.d/hbd and etc/init.d/ldirectord,
// the systemd units in etc/systemd, and `make install` / `make uninstall`.
//
// TestMain builds cmd/hbd and cmd/ldirectord into a temporary directory
// (the shared bin/ is left alone). The tests then:
//   - render the man pages (make man) and hold them to mandoc -T lint;
//   - install into a DESTDIR twice and check the tree, the modes, the
//     symlinks, that existing configuration is kept, a PREFIX override and
//     uninstall;
//   - run every init script action, with and without /lib/lsb/init-functions,
//     in the stopped and running states and with missing, broken and valid
//     configuration, and compare the LSB exit codes. hbd runs for real (a
//     two-node ha.cf whose peer never answers, and a resource.d script that
//     leaves a marker file while its group is held); ldirectord cannot start
//     on a kernel without IPVS, so its running state is played by a
//     stand-in process whose command line names ldirectord (the test binary
//     re-executed, see standin_test.go) while the real ldirectord binary
//     and script do the rest;
//   - parse the units for the keys operators rely on, run systemd-analyze
//     verify on an installed tree when it is available, and run the units'
//     own ExecStart lines with NOTIFY_SOCKET and WATCHDOG_USEC pointing at a
//     socket in t.TempDir(), asserting READY=1, WATCHDOG=1, RELOADING=1 and
//     STOPPING=1 as systemd would receive them.
//
// Every script and daemon the tests start writes only below t.TempDir(),
// talks only to loopback, and is stopped in t.Cleanup, also on failure.
// Every wait is bounded.
package ops
