// Package pkg tests the .deb and .rpm that `make packages` builds.
//
// The packages are built once (make packages DIST=<temp dir>), then:
//   - lintian reports no error on the .deb (its warnings are listed);
//   - rpm -qpil, --conflicts, --provides and -c show the .rpm's metadata,
//     file list and config files, and rpmlint (with packaging/rpmlintrc)
//     reports no error; the .rpm is also installed and erased with this
//     machine's rpm (--nodeps) in an overlay namespace (TestRPMInstallErase);
//   - the .deb is installed, upgraded, refused removal while hbd runs, and
//     purged with the real dpkg of this machine, inside a private mount
//     namespace whose /etc, /usr and /var are overlays (overlay.sh): the
//     host's files and package database are never written. In between,
//     hbd and ldirectord answer --version and check from the installed
//     paths, a user's own file is kept, authkeys gets a random key, the
//     maintainer scripts call systemctl for daemon-reload only (a logging
//     stand-in, as this machine runs no systemd), and after the purge
//     nothing of the package is left but what Debian policy allows
//     (dpkg's database and log, the haclient group, man-db's cache).
//
// Root only (mount namespaces, dpkg); skipped with the reason otherwise,
// or when a tool is missing (.ci/run installs them).
package pkg
